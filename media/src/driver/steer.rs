//! Port steering: every datagram for a relay port goes to one socket per
//! worker instead of to the port's own socket.
//!
//! Without it each datagram lands in a different one of thousands of
//! sockets, and the kernel pays per datagram for what is cold in cache:
//! the port's socket, its wait queue and the io_uring receive armed on
//! it (wake callback, task work, one receive and one failing retry).
//! Measured at 2,500 calls, that per-socket wake-up alone was 8 % of the
//! machine's CPU, charged to whoever sent into the relay. With steering a
//! worker's datagrams queue on one socket whose one multishot receive
//! drains them in a batch (docs/PERFORMANCE.md, "RTP relay load").
//!
//! The kernel's tool for it is a `BPF_PROG_TYPE_SK_LOOKUP` program (Linux
//! 5.9; the same mechanism serves many ports with one socket in
//! production proxies): attached to the network namespace, it runs in the
//! UDP socket lookup and, for a port of the relay range that a worker
//! owns, selects that worker's socket. The worker learns the port each
//! datagram was sent to from `IP_ORIGDSTADDR`.
//!
//! The program is 30-odd instructions, assembled here: a BPF toolchain
//! (clang or bpf-linker plus an ELF loader crate) in every build is not
//! worth that, and the instructions are checked by the kernel's verifier
//! when loaded. Which worker owns which port is an `ARRAY` map mapped into
//! this process, written without a syscall when a call opens or closes;
//! the workers' sockets are in a `SOCKMAP`.
//!
//! Needs `CAP_BPF` and `CAP_NET_ADMIN` (root, or a service unit granting
//! them). Without them, or on a kernel without the program type, the
//! engine logs why and relays as before: each port's socket is still
//! bound and receiving, so steering only ever adds a faster path; a
//! datagram the program does not steer (a port not yet routed, IPv6)
//! still reaches its port's socket. The program is detached when the
//! engine (or the process) ends, as its link descriptor closes.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::ops::RangeInclusive;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::setsockopt;

// bpf(2) commands, types and flags (include/uapi/linux/bpf.h).
const BPF_MAP_CREATE: libc::c_long = 0;
const BPF_MAP_UPDATE_ELEM: libc::c_long = 2;
const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_LINK_CREATE: libc::c_long = 28;
const BPF_MAP_TYPE_ARRAY: u32 = 2;
const BPF_MAP_TYPE_SOCKMAP: u32 = 15;
const BPF_F_MMAPABLE: u32 = 1 << 10;
const BPF_PROG_TYPE_SK_LOOKUP: u32 = 30;
const BPF_SK_LOOKUP: u32 = 36;
const BPF_PSEUDO_MAP_FD: u8 = 1;
// Helpers.
const MAP_LOOKUP_ELEM: i32 = 1;
const SK_RELEASE: i32 = 86;
const SK_ASSIGN: i32 = 124;
// `struct bpf_sk_lookup` field offsets.
const CTX_FAMILY: i16 = 8;
const CTX_PROTOCOL: i16 = 12;
const CTX_LOCAL_IP4: i16 = 40;
const CTX_LOCAL_PORT: i16 = 60;
/// The program's verdict: carry on with this (or the selected) socket.
const SK_PASS: i32 = 1;

/// The namespace-wide steering of one engine's port range.
pub(crate) struct Steering {
    /// The address the relay's sockets bind to (unspecified: all).
    bind: Ipv4Addr,
    first: u16,
    /// The `ARRAY` map's values, mapped: port - `first` → worker + 1
    /// (0: not steered). 64-bit: an array map's values are 8-byte
    /// aligned, so the mapping strides by 8 whatever the value size.
    routes: *const AtomicU64,
    span: usize,
    mapped_len: usize,
    _routes_map: OwnedFd,
    workers_map: OwnedFd,
    _prog: OwnedFd,
    _link: OwnedFd,
}

// SAFETY: `routes` points into a shared mapping owned by this value and
// is only accessed through atomics.
unsafe impl Send for Steering {}
// SAFETY: as above.
unsafe impl Sync for Steering {}

impl Steering {
    /// Loads and attaches the program for `ports` on `bind` (IPv4 only;
    /// the unspecified address steers every local address) with room for
    /// `workers` sockets.
    pub(crate) fn new(
        bind: IpAddr,
        ports: RangeInclusive<u16>,
        workers: usize,
    ) -> io::Result<Self> {
        let IpAddr::V4(bind) = bind else {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "port steering is IPv4 only",
            ));
        };
        let first = *ports.start();
        let span = usize::from(ports.end().saturating_sub(first)) + 1;
        let routes_map = map_create(BPF_MAP_TYPE_ARRAY, 8, span as u32, BPF_F_MMAPABLE)?;
        let workers_map = map_create(BPF_MAP_TYPE_SOCKMAP, 4, workers.max(1) as u32, 0)?;
        let insns = program(
            bind,
            first,
            span as u32,
            routes_map.as_raw_fd(),
            workers_map.as_raw_fd(),
        );
        let prog = prog_load(&insns)?;
        let link = link_create(prog.as_raw_fd())?;
        let page = 4096;
        let mapped_len = (span * 8).div_ceil(page) * page;
        // SAFETY: a shared read-write mapping of the map's values, which
        // the kernel sized to at least `mapped_len`; unmapped in Drop.
        let routes = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                mapped_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                routes_map.as_raw_fd(),
                0,
            )
        };
        if routes == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Self {
            bind,
            first,
            routes: routes.cast(),
            span,
            mapped_len,
            _routes_map: routes_map,
            workers_map,
            _prog: prog,
            _link: link,
        })
    }

    /// Puts worker `index`'s receiving socket in the map.
    pub(crate) fn add_worker(&self, index: u32, socket: BorrowedFd<'_>) -> io::Result<()> {
        let key = index;
        let value = socket.as_raw_fd() as u32;
        let mut attr = [0u64; 4];
        attr[0] = u64::from(self.workers_map.as_raw_fd() as u32);
        attr[1] = &key as *const u32 as u64;
        attr[2] = &value as *const u32 as u64;
        bpf(BPF_MAP_UPDATE_ELEM, &mut attr).map(drop)
    }

    /// Where `port` is in the range, if it is.
    fn index(&self, port: u16) -> Option<usize> {
        let i = usize::from(port.checked_sub(self.first)?);
        (i < self.span).then_some(i)
    }

    /// Steers `port` to worker `worker`, or stops steering it (`None`).
    /// Ports outside the range are left alone.
    #[cfg(test)]
    fn route(&self, port: u16, worker: Option<u32>) {
        if let Some(i) = self.index(port) {
            self.store(i, worker);
        }
    }

    /// Sets the route of the port at range index `i` (`< span`).
    fn store(&self, i: usize, worker: Option<u32>) {
        assert!(i < self.span);
        // SAFETY: `i < span`, within the mapping.
        let cell = unsafe { &*self.routes.add(i) };
        cell.store(worker.map_or(0, |w| u64::from(w) + 1), Ordering::Release);
    }
}

/// A worker's share of the steering: its receiving socket, and which of
/// its calls' sockets each port steered to it stands for.
pub(crate) struct WorkerSteer {
    shared: Arc<Steering>,
    index: u32,
    socket: UdpSocket,
    /// Range index of a port → token + 1 of its call socket (0: not a
    /// port of this worker's calls).
    tokens: Vec<u64>,
}

impl WorkerSteer {
    /// Worker `index`'s socket, put in the steering's map.
    pub(crate) fn new(shared: Arc<Steering>, index: u32) -> io::Result<Self> {
        let socket = worker_socket(IpAddr::V4(shared.bind))?;
        shared.add_worker(index, socket.as_fd())?;
        let tokens = vec![0; shared.span];
        Ok(Self {
            shared,
            index,
            socket,
            tokens,
        })
    }

    /// The socket steered datagrams arrive on.
    pub(crate) fn socket(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }

    /// Steers `port` to this worker as the socket of `token`, or (`None`)
    /// stops steering it.
    pub(crate) fn route(&mut self, port: u16, token: Option<u64>) {
        let Some(i) = self.shared.index(port) else {
            return;
        };
        self.tokens[i] = token.map_or(0, |t| t + 1);
        self.shared.store(i, token.map(|_| self.index));
    }

    /// The token of the call socket a datagram sent to `port` is for.
    pub(crate) fn token(&self, port: u16) -> Option<u64> {
        self.tokens[self.shared.index(port)?].checked_sub(1)
    }
}

impl Drop for Steering {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, unmapped once.
        unsafe { libc::munmap(self.routes as *mut libc::c_void, self.mapped_len) };
    }
}

/// A worker's receiving socket: on the engine's address, any port, with
/// each datagram's original destination reported, and a receive buffer
/// for a whole worker's traffic (it replaces thousands of small ones).
fn worker_socket(bind: IpAddr) -> io::Result<UdpSocket> {
    let socket = UdpSocket::bind(SocketAddr::new(bind, 0))?;
    socket.set_nonblocking(true)?;
    let fd = socket.as_raw_fd();
    setsockopt(fd, libc::SOL_IP, libc::IP_RECVORIGDSTADDR, 1)?;
    let bytes = 8 << 20;
    // FORCE passes rmem_max when privileged (as steering requires anyway).
    if setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, bytes).is_err() {
        setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, bytes)?;
    }
    Ok(socket)
}

/// Room a receive needs for the `IP_ORIGDSTADDR` control message.
pub(crate) const CONTROL_LEN: usize = 64;

/// The destination port an `IP_ORIGDSTADDR` control message in `control`
/// reports, if any.
pub(crate) fn original_port(control: &[u8]) -> Option<u16> {
    let header = std::mem::size_of::<libc::cmsghdr>();
    let mut at = 0;
    while at + header <= control.len() {
        // SAFETY: `header` bytes are in bounds; read unaligned.
        let cmsg: libc::cmsghdr =
            unsafe { std::ptr::read_unaligned(control[at..].as_ptr().cast()) };
        let len = cmsg.cmsg_len as usize;
        if len < header || at + len > control.len() {
            return None;
        }
        if cmsg.cmsg_level == libc::SOL_IP && cmsg.cmsg_type == libc::IP_ORIGDSTADDR {
            let data = &control[at + header..at + len];
            // sockaddr_in: family (2 bytes), then the port, big-endian.
            return data.get(2..4).map(|p| u16::from_be_bytes([p[0], p[1]]));
        }
        // CMSG_ALIGN: control messages are aligned to the word size.
        at += len.next_multiple_of(std::mem::size_of::<usize>());
    }
    None
}

/// bpf(2) with `attr` (zero beyond what the caller set).
fn bpf(cmd: libc::c_long, attr: &mut [u64]) -> io::Result<libc::c_long> {
    // SAFETY: `attr` is a valid, writable buffer of the size passed; the
    // kernel checks that bytes it does not know are zero.
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            attr.as_mut_ptr(),
            std::mem::size_of_val(attr),
        )
    };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn owned(fd: libc::c_long) -> OwnedFd {
    // SAFETY: bpf(2) returned a new descriptor that nothing else owns.
    unsafe { OwnedFd::from_raw_fd(fd as RawFd) }
}

fn map_create(kind: u32, value_size: u32, entries: u32, flags: u32) -> io::Result<OwnedFd> {
    // map_type, key_size | value_size, max_entries | map_flags.
    let mut attr = [0u64; 8];
    attr[0] = u64::from(kind) | 4 << 32;
    attr[1] = u64::from(value_size) | u64::from(entries) << 32;
    attr[2] = u64::from(flags);
    bpf(BPF_MAP_CREATE, &mut attr).map(owned)
}

fn prog_load(insns: &[Insn]) -> io::Result<OwnedFd> {
    let license = b"Apache-2.0\0";
    let mut log = vec![0u8; 16 * 1024];
    // prog_type | insn_cnt, insns, license, log_level | log_size, log_buf,
    // kern_version | prog_flags, prog_name (16), prog_ifindex |
    // expected_attach_type.
    let mut attr = [0u64; 16];
    attr[0] = u64::from(BPF_PROG_TYPE_SK_LOOKUP) | (insns.len() as u64) << 32;
    attr[1] = insns.as_ptr() as u64;
    attr[2] = license.as_ptr() as u64;
    attr[3] = 1 | (log.len() as u64) << 32;
    attr[4] = log.as_mut_ptr() as u64;
    attr[6] = u64::from_le_bytes(*b"dce_stee");
    attr[7] = u64::from_le_bytes(*b"r\0\0\0\0\0\0\0");
    attr[8] = u64::from(BPF_SK_LOOKUP) << 32;
    bpf(BPF_PROG_LOAD, &mut attr).map(owned).map_err(|e| {
        let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
        let verifier = String::from_utf8_lossy(&log[..end]);
        io::Error::new(e.kind(), format!("{e}; verifier: {}", verifier.trim()))
    })
}

fn link_create(prog: RawFd) -> io::Result<OwnedFd> {
    let netns = std::fs::File::open("/proc/self/ns/net")?;
    // prog_fd | target_fd, attach_type | flags.
    let mut attr = [0u64; 8];
    attr[0] = u64::from(prog as u32) | u64::from(netns.as_raw_fd() as u32) << 32;
    attr[1] = u64::from(BPF_SK_LOOKUP);
    bpf(BPF_LINK_CREATE, &mut attr).map(owned)
}

/// One instruction (`struct bpf_insn`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Insn {
    code: u8,
    regs: u8,
    off: i16,
    imm: i32,
}

const R0: u8 = 0;
const R1: u8 = 1;
const R2: u8 = 2;
const R3: u8 = 3;
const R6: u8 = 6;
const R7: u8 = 7;
const R10: u8 = 10;

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn {
        code,
        regs: dst | src << 4,
        off,
        imm,
    }
}

fn mov(dst: u8, src: u8) -> Insn {
    insn(0xbf, dst, src, 0, 0) // ALU64 | MOV | X
}
fn mov_imm(dst: u8, imm: i32) -> Insn {
    insn(0xb7, dst, 0, 0, imm) // ALU64 | MOV | K
}
fn add_imm(dst: u8, imm: i32) -> Insn {
    insn(0x07, dst, 0, 0, imm) // ALU64 | ADD | K
}
fn load32(dst: u8, src: u8, off: i16) -> Insn {
    insn(0x61, dst, src, off, 0) // LDX | MEM | W
}
fn load64(dst: u8, src: u8, off: i16) -> Insn {
    insn(0x79, dst, src, off, 0) // LDX | MEM | DW
}
fn store32(dst: u8, off: i16, src: u8) -> Insn {
    insn(0x63, dst, src, off, 0) // STX | MEM | W
}
fn call(helper: i32) -> Insn {
    insn(0x85, 0, 0, 0, helper)
}
fn map_fd(dst: u8, fd: RawFd) -> [Insn; 2] {
    // LD | DW | IMM: a 64-bit immediate over two slots.
    [
        insn(0x18, dst, BPF_PSEUDO_MAP_FD, 0, fd),
        insn(0, 0, 0, 0, 0),
    ]
}

/// `r0 = bpf_map_lookup_elem(map, &key)` with the 32-bit key taken from
/// r2 and kept on the stack at `r10 + at`.
fn lookup(map: RawFd, at: i16) -> [Insn; 6] {
    let [ld_lo, ld_hi] = map_fd(R1, map);
    [
        store32(R10, at, R2),
        ld_lo,
        ld_hi,
        mov(R2, R10),
        add_imm(R2, i32::from(at)),
        call(MAP_LOOKUP_ELEM),
    ]
}

/// Jumps to the final `return SK_PASS`, patched once its place is known.
enum Jump {
    /// JMP32 | JNE | K: the low 32 bits differ from the immediate.
    Ne32(u8, i32),
    /// JMP | JEQ | K on the whole register (pointers against null).
    Eq64(u8, i32),
    /// JMP | JGT | K, unsigned.
    Gt64(u8, i32),
}

fn program(bind: Ipv4Addr, first: u16, span: u32, routes: RawFd, workers: RawFd) -> Vec<Insn> {
    let mut code: Vec<Insn> = Vec::new();
    let mut exits: Vec<usize> = Vec::new();
    let mut jump = |code: &mut Vec<Insn>, j: Jump| {
        exits.push(code.len());
        code.push(match j {
            Jump::Ne32(r, k) => insn(0x56, r, 0, 0, k),
            Jump::Eq64(r, k) => insn(0x15, r, 0, 0, k),
            Jump::Gt64(r, k) => insn(0x25, r, 0, 0, k),
        });
    };
    code.push(mov(R6, R1));
    code.push(load32(R2, R6, CTX_FAMILY));
    jump(&mut code, Jump::Ne32(R2, libc::AF_INET));
    code.push(load32(R2, R6, CTX_PROTOCOL));
    jump(&mut code, Jump::Ne32(R2, libc::IPPROTO_UDP));
    if !bind.is_unspecified() {
        // Network byte order in the context, read as a native u32.
        code.push(load32(R2, R6, CTX_LOCAL_IP4));
        jump(
            &mut code,
            Jump::Ne32(R2, u32::from_ne_bytes(bind.octets()) as i32),
        );
    }
    // index = local_port - first, in range or pass.
    code.push(load32(R2, R6, CTX_LOCAL_PORT));
    code.push(add_imm(R2, -i32::from(first)));
    jump(&mut code, Jump::Gt64(R2, span as i32 - 1));
    code.extend(lookup(routes, -4));
    jump(&mut code, Jump::Eq64(R0, 0));
    // worker + 1, 0 when the port is not steered.
    code.push(load64(R2, R0, 0));
    jump(&mut code, Jump::Eq64(R2, 0));
    code.push(add_imm(R2, -1));
    code.extend(lookup(workers, -8));
    jump(&mut code, Jump::Eq64(R0, 0));
    // The socket holds a reference: assign, then release it. A failed
    // assignment (the socket is closing) leaves the normal lookup.
    code.push(mov(R7, R0));
    code.push(mov(R1, R6));
    code.push(mov(R2, R7));
    code.push(mov_imm(R3, 0));
    code.push(call(SK_ASSIGN));
    code.push(mov(R1, R7));
    code.push(call(SK_RELEASE));
    let pass = code.len();
    code.push(mov_imm(R0, SK_PASS));
    code.push(insn(0x95, 0, 0, 0, 0)); // EXIT
    for at in exits {
        code[at].off = (pass - at - 1) as i16;
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn every_jump_of_the_program_lands_on_the_pass_exit() {
        let code = program(Ipv4Addr::new(192, 0, 2, 200), 20_000, 10_000, 7, 8);
        let pass = code.len() - 2;
        assert_eq!(code[pass], mov_imm(R0, SK_PASS));
        let jumps: Vec<usize> = (0..code.len())
            .filter(|&i| matches!(code[i].code, 0x56 | 0x15 | 0x25))
            .collect();
        assert_eq!(jumps.len(), 7);
        for i in jumps {
            assert_eq!(i + 1 + code[i].off as usize, pass, "jump at {i}");
        }
        // 200 as the top byte of a native u32 is negative as i32: the
        // compare is 32-bit, so it still matches the loaded address.
        assert!(code.iter().any(|i| i.code == 0x56 && i.imm < 0));
    }

    /// One datagram from `socket` (waiting up to 2 s) and the original
    /// destination port its control message names.
    fn receive(socket: &UdpSocket) -> Option<(Vec<u8>, Option<u16>)> {
        let mut poll = libc::pollfd {
            fd: socket.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut poll, 1, 2_000) } != 1 {
            return None;
        }
        let mut data = [0u8; 64];
        let mut control = [0u8; CONTROL_LEN];
        let mut iov = libc::iovec {
            iov_base: data.as_mut_ptr().cast(),
            iov_len: data.len(),
        };
        // SAFETY: all-zero is a valid msghdr.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = control.len() as _;
        // SAFETY: `msg` points at live buffers of the given sizes.
        let n = unsafe { libc::recvmsg(socket.as_raw_fd(), &mut msg, libc::MSG_DONTWAIT) };
        let n = usize::try_from(n).ok()?;
        let control = &control[..msg.msg_controllen as usize];
        Some((data[..n].to_vec(), original_port(control)))
    }

    #[test]
    fn a_routed_port_reaches_its_worker_socket_and_an_unrouted_one_its_own() {
        let local = IpAddr::from([127, 0, 0, 1]);
        // Two adjacent ports (retried until both are free).
        let (a, b) = loop {
            let a = UdpSocket::bind((local, 0)).unwrap();
            let port = a.local_addr().unwrap().port();
            if port == u16::MAX {
                continue;
            }
            if let Ok(b) = UdpSocket::bind((local, port + 1)) {
                break (a, b);
            }
        };
        let first = a.local_addr().unwrap().port();
        let steering = match Steering::new(local, first..=first + 1, 2) {
            Ok(s) => s,
            Err(e) => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "port steering must load under CI (root): {e}"
                );
                eprintln!("skipped: port steering unavailable here ({e})");
                return;
            }
        };
        let workers = [worker_socket(local).unwrap(), worker_socket(local).unwrap()];
        for (i, w) in workers.iter().enumerate() {
            steering.add_worker(i as u32, w.as_fd()).unwrap();
        }
        let sender = UdpSocket::bind((local, 0)).unwrap();
        let (to_a, to_b) = (
            SocketAddr::new(local, first),
            SocketAddr::new(local, first + 1),
        );

        steering.route(first, Some(1));
        steering.route(first + 1, Some(0));
        sender.send_to(b"to a", to_a).unwrap();
        sender.send_to(b"to b", to_b).unwrap();
        assert_eq!(receive(&workers[1]), Some((b"to a".to_vec(), Some(first))));
        assert_eq!(
            receive(&workers[0]),
            Some((b"to b".to_vec(), Some(first + 1)))
        );

        steering.route(first, None);
        sender.send_to(b"own", to_a).unwrap();
        assert_eq!(receive(&a).map(|r| r.0), Some(b"own".to_vec()));

        // Dropping the steering detaches the program.
        drop(steering);
        sender.send_to(b"after", to_b).unwrap();
        assert_eq!(receive(&b).map(|r| r.0), Some(b"after".to_vec()));
    }

    #[test]
    fn the_original_destination_port_is_read_from_its_control_message() {
        let header = std::mem::size_of::<libc::cmsghdr>();
        let mut control = vec![0u8; CONTROL_LEN];
        // An unrelated message first, then IP_ORIGDSTADDR.
        // SAFETY: all-zero is a valid cmsghdr.
        let mut other: libc::cmsghdr = unsafe { std::mem::zeroed() };
        other.cmsg_len = (header + 4) as _;
        other.cmsg_level = libc::SOL_IP;
        other.cmsg_type = libc::IP_TTL;
        // SAFETY: in bounds; unaligned write of a plain struct.
        unsafe { std::ptr::write_unaligned(control.as_mut_ptr().cast(), other) };
        let at = (header + 4).next_multiple_of(std::mem::size_of::<usize>());
        let mut orig = other;
        orig.cmsg_len = (header + 16) as _;
        orig.cmsg_type = libc::IP_ORIGDSTADDR;
        // SAFETY: as above.
        unsafe { std::ptr::write_unaligned(control[at..].as_mut_ptr().cast(), orig) };
        control[at + header..at + header + 2].copy_from_slice(&2u16.to_ne_bytes());
        control[at + header + 2..at + header + 4].copy_from_slice(&20_002u16.to_be_bytes());
        assert_eq!(original_port(&control), Some(20_002));
        assert_eq!(original_port(&control[..at]), None);
        assert_eq!(original_port(&[]), None);
    }
}
