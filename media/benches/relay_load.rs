//! RTP relay load benchmark: DCE's relay against rtpengine, same run.
//!
//! For each relay (`direct` = no relay, the loopback baseline; `dce`;
//! `rtpengine`) and each call count N it sets up N relay sessions, then
//! sends 160-byte G.711 RTP (20 ms, 50 packets/s) from a caller socket
//! and from a buyer socket per call, in both directions, and reports loss,
//! one-way latency (hdrhistogram; "added" = relay minus the `direct`
//! baseline at the same N) and the relay process's CPU (utime + stime from
//! `/proc/PID/stat` over the measured window).
//!
//! Both relays run in their own process so their CPU is measured alike:
//! DCE's as this same binary in `--serve-relay` mode (a `MediaEngine`
//! with its relay worker threads, set up over a line protocol on
//! stdin/stdout), rtpengine as `rtpengine --table=-1` (userspace
//! forwarding) driven over its ng control protocol.
//!
//! Load generator: one sender thread ticking every 1 ms (`--tick-us`;
//! call i sends in the tick i mod 20, both directions, so the load is
//! smooth), sending
//! each tick's packets for one shared socket with one `sendmmsg`; one
//! receiver thread reading a few shared sockets (`SOCKETS` per side; calls
//! share them, and relays latch per session, so this is legitimate) with
//! `recvmmsg`, sweeping every 100 µs by default (`--rx-poll-us`, 0 =
//! block in poll(2); see `receive` for why). Each payload carries the send
//! instant, call index, direction and a "measured" flag (set after the
//! warm-up). The generator is the same for every relay. Under a
//! real-time policy (`chrt -f`, inherited by generator and relays) the
//! receiver thread runs one priority above the rest, so that a relay
//! worker or the sender's burst holding the CPU at equal FIFO priority
//! does not delay the sweep that timestamps arrivals.
//!
//! Placement: `--gen-cpus 0 --relay-cpus 1` pins the generator's threads
//! and the relay process (all its threads, set before exec) to one core
//! each; `--dce-workers N` and `--rtpengine-threads N` size each relay for
//! the cores it gets.
//!
//! `cargo bench -p dce-media --bench relay_load -- --calls "250 500" --secs 10`
//! (`scripts/load/rtp.sh` runs the whole table). Only 127.0.0.1 is used;
//! every loop is bounded by the step's duration.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::os::fd::AsRawFd;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// Generator sockets per side (caller, buyer); calls share them round-robin.
const SOCKETS: usize = 8;
/// First generator port (callers), buyers at `+ 100`.
const GEN_PORT: u16 = 11_000;
/// DCE relay port range (the child's `MediaConfig::ports`).
const DCE_PORTS: (u16, u16) = (20_000, 39_999);
/// rtpengine port range.
const RTPENGINE_PORTS: (u16, u16) = (40_000, 59_999);
const NG_ADDR: &str = "127.0.0.1:22223";
/// 12-byte RTP header + 160 bytes of G.711 (20 ms at 8 kHz).
const PACKET: usize = 172;
/// RTP packet time.
const PTIME_US: u64 = 20_000;

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ns() -> u64 {
    epoch().elapsed().as_nanos() as u64
}

fn main() {
    epoch();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == "--serve-relay") {
        serve_relay(args.get(at + 1).and_then(|w| w.parse().ok()).unwrap_or(0));
        return;
    }
    let mut calls = vec![250usize, 500, 1000];
    let mut relays = vec![
        "direct".to_owned(),
        "dce".to_owned(),
        "rtpengine".to_owned(),
    ];
    let mut opts = Options {
        secs: 10,
        warmup: 2,
        rtpengine: "rtpengine".to_owned(),
        dce_workers: 0,
        rx_poll: Some(Duration::from_micros(100)),
        ticks_per_sec: clock_ticks(),
        gen_cpus: Vec::new(),
        relay_cpus: Vec::new(),
        rtpengine_threads: 0,
        tick_us: 1_000,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().expect("missing value");
        match arg.as_str() {
            "--calls" => {
                calls = value()
                    .split([' ', ','])
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse().expect("--calls: numbers"))
                    .collect()
            }
            "--relays" => relays = value().split(',').map(str::to_owned).collect(),
            "--secs" => opts.secs = value().parse().expect("--secs"),
            "--warmup" => opts.warmup = value().parse().expect("--warmup"),
            "--rtpengine" => opts.rtpengine = value(),
            // DCE relay worker threads (0: `MediaEngine::new`'s default, one
            // per core).
            "--dce-workers" => opts.dce_workers = value().parse().expect("--dce-workers"),
            // Generator receiver: sweep every N µs (default 100), or 0 to
            // block in poll(2) and be woken per arrival (see `receive`).
            "--rx-poll-us" => {
                let us: u64 = value().parse().expect("--rx-poll-us");
                opts.rx_poll = (us > 0).then(|| Duration::from_micros(us));
            }
            // Pin the generator's threads / the relay process to these
            // CPUs (comma list; empty: wherever the scheduler puts them).
            "--gen-cpus" => opts.gen_cpus = cpu_list(&value()),
            "--relay-cpus" => opts.relay_cpus = cpu_list(&value()),
            // rtpengine `--num-threads` (0: its default, one per core).
            "--rtpengine-threads" => {
                opts.rtpengine_threads = value().parse().expect("--rtpengine-threads")
            }
            // Sender tick in µs (default 1000; must divide the 20 ms
            // packet time): each tick sends the calls due in it, so a
            // shorter tick spreads the same load in smaller bursts.
            "--tick-us" => {
                opts.tick_us = value().parse().expect("--tick-us");
                assert!(
                    opts.tick_us >= 50 && PTIME_US % opts.tick_us == 0,
                    "--tick-us must divide 20000 and be at least 50"
                );
            }
            // `cargo bench` passes `--bench`.
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    pin(&opts.gen_cpus).expect("--gen-cpus");
    println!(
        "# generator CPUs {:?}, relay CPUs {:?} (empty: not pinned); rtpengine threads: {}",
        opts.gen_cpus,
        opts.relay_cpus,
        match opts.rtpengine_threads {
            0 => "its default".to_owned(),
            t => t.to_string(),
        }
    );
    println!(
        "# {} s measured after {} s warm-up per step; 50 pps per direction per call, \
         sent on {} µs ticks; latency added = relay minus direct at the same N; \
         generator receiver: {}; DCE workers: {}",
        opts.secs,
        opts.warmup,
        opts.tick_us,
        match opts.rx_poll {
            Some(d) => format!("sweeps every {} µs", d.as_micros()),
            None => "blocks in poll(2)".to_owned(),
        },
        match opts.dce_workers {
            0 => "one per core".to_owned(),
            w => w.to_string(),
        }
    );
    println!(
        "| relay | calls | pps (in) | sent | lost | loss % | p50 / p99 / p99.9 one-way | \
         added p50 / p99 | relay CPU % | µs CPU / packet | gen CPU % | load avg |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for &n in &calls {
        let mut baseline: Option<(u64, u64)> = None;
        for relay in &relays {
            let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
            let load = load
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ");
            let result = run_step(relay, n, &opts);
            let r = match result {
                Ok(r) => r,
                Err(e) => {
                    println!("| {relay} | {n} | error: {e} | | | | | | | | | {load} |");
                    continue;
                }
            };
            let (p50, p99, p999) = (
                r.latency.value_at_quantile(0.5),
                r.latency.value_at_quantile(0.99),
                r.latency.value_at_quantile(0.999),
            );
            if relay == "direct" {
                baseline = Some((p50, p99));
            }
            let added = match baseline {
                Some((b50, b99)) if relay != "direct" => format!(
                    "{} / {} µs",
                    us(p50.saturating_sub(b50)),
                    us(p99.saturating_sub(b99))
                ),
                _ => "–".to_owned(),
            };
            let lost = r.sent.saturating_sub(r.received);
            let loss = if r.sent == 0 {
                0.0
            } else {
                lost as f64 * 100.0 / r.sent as f64
            };
            let (cpu, per_packet) = match r.relay_cpu {
                Some(cpu_s) => (
                    format!("{:.1}", cpu_s * 100.0 / r.window_s),
                    format!("{:.2}", cpu_s * 1e6 / r.sent.max(1) as f64),
                ),
                None => ("–".to_owned(), "–".to_owned()),
            };
            println!(
                "| {relay} | {n} | {:.0} | {} | {} | {:.4} | {} / {} / {} µs | {added} | {cpu} | {per_packet} | {:.1} | {load} |",
                r.sent as f64 / r.window_s,
                r.sent,
                lost,
                loss,
                us(p50),
                us(p99),
                us(p999),
                r.gen_cpu * 100.0 / r.window_s,
            );
            if r.send_errors + r.misrouted > 0 {
                println!(
                    "#   {relay} N={n}: generator send errors {}, misrouted {}",
                    r.send_errors, r.misrouted
                );
            }
        }
    }
}

fn us(ns: u64) -> String {
    format!("{:.0}", ns as f64 / 1000.0)
}

struct StepResult {
    sent: u64,
    received: u64,
    send_errors: u64,
    misrouted: u64,
    latency: Histogram<u64>,
    /// Relay process CPU seconds over the window; `None` for `direct`.
    relay_cpu: Option<f64>,
    gen_cpu: f64,
    window_s: f64,
}

/// The relay under test: destinations per call, and a process to measure.
struct Relay {
    /// Where call i's caller sends (relay's caller-facing port).
    caller_dst: Vec<SocketAddr>,
    /// Where call i's buyer sends.
    buyer_dst: Vec<SocketAddr>,
    process: Option<Child>,
    ng: Option<NgClient>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(ng) = &self.ng {
            for i in 0..self.caller_dst.len() {
                let _ = ng.delete(i);
            }
        }
        if let Some(child) = &mut self.process {
            let _ = child.kill();
            let _ = child.wait();
            // A killed process's sockets can outlive it briefly (an
            // io_uring ring is torn down asynchronously, ~0.5 s for
            // thousands of sockets): wait until the relay's first ports
            // bind again, so the next step's relay finds them free.
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline
                && (DCE_PORTS.0..DCE_PORTS.0 + 4)
                    .any(|p| UdpSocket::bind((Ipv4Addr::LOCALHOST, p)).is_err())
            {
                thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

fn bind_gen(port: u16) -> std::io::Result<UdpSocket> {
    let s = UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))?;
    set_buffers(&s, 16 << 20);
    s.set_nonblocking(true)?;
    Ok(s)
}

/// Big socket buffers for the generator's shared sockets (root: FORCE
/// ignores rmem_max; otherwise capped silently).
fn set_buffers(s: &UdpSocket, bytes: i32) {
    for opt in [
        libc::SO_RCVBUFFORCE,
        libc::SO_SNDBUFFORCE,
        libc::SO_RCVBUF,
        libc::SO_SNDBUF,
    ] {
        // SAFETY: valid fd, pointer to a live i32 of the given length.
        unsafe {
            libc::setsockopt(
                s.as_raw_fd(),
                libc::SOL_SOCKET,
                opt,
                (&bytes as *const i32).cast(),
                std::mem::size_of::<i32>() as libc::socklen_t,
            );
        }
    }
}

/// Settings shared by every step.
struct Options {
    secs: u64,
    warmup: u64,
    rtpengine: String,
    dce_workers: usize,
    rx_poll: Option<Duration>,
    ticks_per_sec: f64,
    gen_cpus: Vec<usize>,
    relay_cpus: Vec<usize>,
    rtpengine_threads: usize,
    tick_us: u64,
}

fn cpu_list(list: &str) -> Vec<usize> {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim().parse().expect("CPU list: numbers"))
        .collect()
}

/// Restricts the calling thread (and what it spawns from now on) to
/// `cpus`; nothing when empty.
fn pin(cpus: &[usize]) -> std::io::Result<()> {
    if cpus.is_empty() {
        return Ok(());
    }
    // SAFETY: all-zero is a valid (empty) cpu_set_t; CPU_SET writes
    // inside it for indexes below CPU_SETSIZE.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &cpu in cpus {
        // SAFETY: as above.
        unsafe { libc::CPU_SET(cpu, &mut set) };
    }
    // SAFETY: `set` is a live cpu_set_t of the given size; 0 = this thread.
    let r = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// A relay process started with its affinity set to `cpus` (before exec,
/// so every thread it starts inherits it).
fn relay_command(program: impl AsRef<std::ffi::OsStr>, opts: &Options) -> Command {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(program);
    let cpus = opts.relay_cpus.clone();
    // SAFETY: between fork and exec only sched_setaffinity is called
    // (async-signal-safe).
    unsafe { command.pre_exec(move || pin(&cpus)) };
    command
}

fn run_step(relay: &str, n: usize, opts: &Options) -> Result<StepResult, String> {
    let (secs, warmup, ticks_per_sec) = (opts.secs, opts.warmup, opts.ticks_per_sec);
    let callers: Vec<UdpSocket> = (0..SOCKETS)
        .map(|j| bind_gen(GEN_PORT + j as u16))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("bind generator: {e}"))?;
    let buyers: Vec<UdpSocket> = (0..SOCKETS)
        .map(|j| bind_gen(GEN_PORT + 100 + j as u16))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("bind generator: {e}"))?;
    let caller_addr = |i: usize| callers[i % SOCKETS].local_addr().unwrap();
    let buyer_addr = |i: usize| buyers[i % SOCKETS].local_addr().unwrap();

    let mut setup = match relay {
        "direct" => Relay {
            caller_dst: (0..n).map(buyer_addr).collect(),
            buyer_dst: (0..n).map(caller_addr).collect(),
            process: None,
            ng: None,
        },
        "dce" => setup_dce(n, opts, &caller_addr, &buyer_addr)?,
        "rtpengine" => setup_rtpengine(n, opts, &caller_addr, &buyer_addr)?,
        other => return Err(format!("unknown relay {other}")),
    };
    let pid = setup.process.as_ref().map(Child::id);

    let stop = Arc::new(AtomicBool::new(false));
    let receiver = {
        let socks: Vec<UdpSocket> = callers
            .iter()
            .chain(&buyers)
            .map(|s| s.try_clone().unwrap())
            .collect();
        let stop = Arc::clone(&stop);
        let poll = opts.rx_poll;
        thread::spawn(move || receive(socks, stop, poll))
    };
    let tick = Duration::from_micros(opts.tick_us);
    let total_ticks = ((warmup + secs) * 1_000_000 / opts.tick_us) as usize;
    let warmup_ticks = (warmup * 1_000_000 / opts.tick_us) as usize;
    let pacing = Pacing {
        tick,
        per_ptime: (PTIME_US / opts.tick_us) as usize,
        total: total_ticks,
        warmup: warmup_ticks,
    };
    let start = Instant::now() + Duration::from_millis(50);
    let sender = {
        let callers: Vec<UdpSocket> = callers.iter().map(|s| s.try_clone().unwrap()).collect();
        let buyers: Vec<UdpSocket> = buyers.iter().map(|s| s.try_clone().unwrap()).collect();
        let caller_dst = std::mem::take(&mut setup.caller_dst);
        let buyer_dst = std::mem::take(&mut setup.buyer_dst);
        thread::spawn(move || {
            let r = send(&callers, &buyers, &caller_dst, &buyer_dst, start, pacing);
            (r, caller_dst, buyer_dst)
        })
    };
    // The measured window: warm-up end to last send.
    let window_start = start + tick * warmup_ticks as u32;
    let window_end = start + tick * total_ticks as u32;
    thread::sleep(window_start.saturating_duration_since(Instant::now()));
    let relay_cpu0 = pid.map(|p| proc_cpu(p, ticks_per_sec));
    let gen_cpu0 = proc_cpu(std::process::id(), ticks_per_sec);
    thread::sleep(window_end.saturating_duration_since(Instant::now()));
    let relay_cpu1 = pid.map(|p| proc_cpu(p, ticks_per_sec));
    let gen_cpu1 = proc_cpu(std::process::id(), ticks_per_sec);
    let ((sent, send_errors), caller_dst, buyer_dst) = sender.join().expect("sender");
    // A generator that fell behind stretched the window: say so.
    let lag = Instant::now().saturating_duration_since(window_end);
    if lag > Duration::from_millis(50) {
        println!(
            "#   {relay} N={n}: generator {} ms behind schedule",
            lag.as_millis()
        );
    }
    setup.caller_dst = caller_dst;
    setup.buyer_dst = buyer_dst;
    // Let in-flight packets arrive (anything later than this is lost).
    thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    let (received, misrouted, latency) = receiver.join().expect("receiver");
    drop(setup);
    Ok(StepResult {
        sent,
        received,
        send_errors,
        misrouted,
        latency,
        relay_cpu: relay_cpu0.zip(relay_cpu1).map(|(a, b)| b - a),
        gen_cpu: gen_cpu1 - gen_cpu0,
        window_s: secs as f64,
    })
}

/// The sender's clock: a tick, how many ticks make a packet time (call
/// i sends in ticks i mod `per_ptime`), how many ticks to send, and how
/// many of those are warm-up.
#[derive(Clone, Copy)]
struct Pacing {
    tick: Duration,
    per_ptime: usize,
    total: usize,
    warmup: usize,
}

/// Sends for `pacing.total` ticks; returns (measured packets sent, send
/// errors).
///
/// Each tick, the packets due on each shared socket go out in one
/// `sendmmsg` (each message with its own destination): the generator's
/// syscalls no longer grow with the call count, which leaves more of the
/// two cores to the relay under test. Each message's send instant is taken
/// just before its batch's syscall.
fn send(
    callers: &[UdpSocket],
    buyers: &[UdpSocket],
    caller_dst: &[SocketAddr],
    buyer_dst: &[SocketAddr],
    start: Instant,
    pacing: Pacing,
) -> (u64, u64) {
    let Pacing {
        tick: period,
        per_ptime,
        total: total_ticks,
        warmup: warmup_ticks,
    } = pacing;
    let n = caller_dst.len();
    // Socket k < SOCKETS: callers[k] (dir 0); else buyers[k - SOCKETS] (dir 1).
    let fds: Vec<i32> = callers
        .iter()
        .chain(buyers)
        .map(AsRawFd::as_raw_fd)
        .collect();
    let dst: Vec<[libc::sockaddr_in; 2]> = (0..n)
        .map(|i| [sockaddr_in(caller_dst[i]), sockaddr_in(buyer_dst[i])])
        .collect();
    // At most every call due in a tick shares one socket.
    let per_socket = n.div_ceil(per_ptime) + 1;
    let mut bufs = vec![[0u8; PACKET]; per_socket];
    let mut names = vec![sockaddr_in(SocketAddr::from(([127, 0, 0, 1], 0))); per_socket];
    let mut iovs: Vec<libc::iovec> = Vec::with_capacity(per_socket);
    let mut hdrs: Vec<libc::mmsghdr> = Vec::with_capacity(per_socket);
    let mut sent = 0u64;
    let mut errors = 0u64;
    for tick in 0..total_ticks {
        let at = start + period * tick as u32;
        let wait = at.saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            thread::sleep(wait);
        }
        let measured = tick >= warmup_ticks;
        let seq = (tick / per_ptime) as u32;
        for (k, &fd) in fds.iter().enumerate() {
            let dir = u8::from(k >= SOCKETS);
            let j = k % SOCKETS;
            // Calls due this tick on shared socket j.
            let first = tick % per_ptime;
            let due = (first..n).step_by(per_ptime).filter(|i| i % SOCKETS == j);
            let stamp = now_ns();
            let mut count = 0;
            for i in due {
                let packet = &mut bufs[count];
                packet[0] = 0x80; // V=2
                packet[1] = 0; // PT 0, PCMU
                packet[2..4].copy_from_slice(&(seq as u16).to_be_bytes());
                packet[4..8].copy_from_slice(&(seq.wrapping_mul(160)).to_be_bytes());
                packet[8..12].copy_from_slice(&((i as u32) * 2 + u32::from(dir)).to_be_bytes());
                packet[16..20].copy_from_slice(&(i as u32).to_be_bytes());
                packet[20] = dir;
                packet[21] = u8::from(measured);
                packet[22..30].copy_from_slice(&stamp.to_be_bytes());
                names[count] = dst[i][usize::from(dir)];
                count += 1;
            }
            if count == 0 {
                continue;
            }
            iovs.clear();
            hdrs.clear();
            for buf in bufs.iter_mut().take(count) {
                iovs.push(libc::iovec {
                    iov_base: buf.as_mut_ptr().cast(),
                    iov_len: PACKET,
                });
            }
            for m in 0..count {
                // SAFETY: all-zero is a valid msghdr (null pointers, zero lengths).
                let mut hdr: libc::mmsghdr = unsafe { std::mem::zeroed() };
                hdr.msg_hdr.msg_name = (&mut names[m] as *mut libc::sockaddr_in).cast();
                hdr.msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_in>() as u32;
                hdr.msg_hdr.msg_iov = &mut iovs[m];
                hdr.msg_hdr.msg_iovlen = 1;
                hdrs.push(hdr);
            }
            let mut done = 0;
            while done < count {
                // SAFETY: `hdrs[done..count]` point into `names`, `iovs` and
                // `bufs`, all alive and unmoved across the call.
                let r = unsafe {
                    libc::sendmmsg(fd, hdrs[done..].as_mut_ptr(), (count - done) as u32, 0)
                };
                if r <= 0 {
                    // Skip the message that failed (counted as sent: lost).
                    errors += 1;
                    done += 1;
                } else {
                    done += r as usize;
                }
            }
            if measured {
                sent += count as u64;
            }
        }
    }
    (sent, errors)
}

fn sockaddr_in(addr: SocketAddr) -> libc::sockaddr_in {
    let SocketAddr::V4(v4) = addr else {
        panic!("the load generator uses IPv4 loopback only");
    };
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: v4.port().to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(*v4.ip()).to_be(),
        },
        sin_zero: [0; 8],
    }
}

/// Datagrams taken per `recvmmsg`.
const RX_BATCH: usize = 64;

/// Receives until `stop`; returns (measured received, misrouted, latency ns).
///
/// `poll_interval`: `None` blocks in `poll(2)` and wakes per readiness
/// (on loopback the relay's `sendto` pays for that wake-up, which a relay
/// sending to a real network never does); `Some(d)` sleeps `d` between
/// sweeps instead, so arrivals wake nobody, and every latency sample
/// carries 0..d of sweep delay, the same for every relay and the `direct`
/// baseline.
fn receive(
    socks: Vec<UdpSocket>,
    stop: Arc<AtomicBool>,
    poll_interval: Option<Duration>,
) -> (u64, u64, Histogram<u64>) {
    let mut hist = Histogram::<u64>::new_with_bounds(1_000, 60_000_000_000, 3).unwrap();
    above_siblings();
    if poll_interval.is_some() {
        // Sleep as asked, not up to the default 50 µs timer slack longer.
        // SAFETY: prctl with integer arguments only.
        unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1_000u64) };
    }
    let mut fds: Vec<libc::pollfd> = socks
        .iter()
        .map(|s| libc::pollfd {
            fd: s.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let mut bufs = vec![[0u8; 2048]; RX_BATCH];
    let mut iovs: Vec<libc::iovec> = bufs
        .iter_mut()
        .map(|b| libc::iovec {
            iov_base: b.as_mut_ptr().cast(),
            iov_len: b.len(),
        })
        .collect();
    let mut hdrs: Vec<libc::mmsghdr> = iovs
        .iter_mut()
        .map(|iov| {
            // SAFETY: all-zero is a valid msghdr (null pointers, zero lengths).
            let mut hdr: libc::mmsghdr = unsafe { std::mem::zeroed() };
            hdr.msg_hdr.msg_iov = iov;
            hdr.msg_hdr.msg_iovlen = 1;
            hdr
        })
        .collect();
    let (mut received, mut misrouted) = (0u64, 0u64);
    while !stop.load(Ordering::Relaxed) {
        // A sweep asks which sockets hold data without waiting (one
        // syscall), then reads only those.
        let wait_ms = match poll_interval {
            Some(d) => {
                thread::sleep(d);
                0
            }
            None => 50,
        };
        // SAFETY: `fds` is a live slice of pollfd of the given length.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait_ms) };
        if ready <= 0 {
            continue;
        }
        for (k, fd) in fds.iter().enumerate() {
            if fd.revents == 0 {
                continue;
            }
            // Sockets 0..SOCKETS are callers (they receive dir 1).
            let expect_dir = u8::from(k < SOCKETS);
            loop {
                // SAFETY: `hdrs` point into `iovs` and `bufs`, alive and
                // unmoved; the kernel writes at most RX_BATCH messages.
                let r = unsafe {
                    libc::recvmmsg(
                        fd.fd,
                        hdrs.as_mut_ptr(),
                        RX_BATCH as u32,
                        libc::MSG_DONTWAIT,
                        std::ptr::null_mut(),
                    )
                };
                if r <= 0 {
                    break;
                }
                let now = now_ns();
                for (hdr, buf) in hdrs.iter().zip(&bufs).take(r as usize) {
                    if hdr.msg_len as usize != PACKET {
                        misrouted += 1;
                        continue;
                    }
                    if buf[20] != expect_dir {
                        misrouted += 1;
                    }
                    if buf[21] == 1 {
                        received += 1;
                        let sent = u64::from_be_bytes(buf[22..30].try_into().unwrap());
                        hist.saturating_record(now.saturating_sub(sent).max(1_000));
                    }
                }
                if (r as usize) < RX_BATCH {
                    break;
                }
            }
        }
    }
    (received, misrouted, hist)
}

/// Under a real-time policy, runs the calling thread one priority above
/// the rest of the process (the sender, and relays that inherited the
/// same policy): a sweep then reads datagrams when they arrive instead of
/// waiting, at equal FIFO priority, until a busy relay worker or the
/// sender's burst blocks, which would be counted as relay latency.
/// Nothing under a normal policy.
fn above_siblings() {
    // SAFETY: plain syscalls on the calling thread with a live out-param.
    unsafe {
        let policy = libc::sched_getscheduler(0);
        if policy != libc::SCHED_FIFO && policy != libc::SCHED_RR {
            return;
        }
        let mut param: libc::sched_param = std::mem::zeroed();
        if libc::sched_getparam(0, &mut param) != 0 {
            return;
        }
        param.sched_priority += 1;
        libc::sched_setscheduler(0, policy, &param);
    }
}

/// utime + stime of a process, in seconds.
fn proc_cpu(pid: u32, ticks_per_sec: f64) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let Some((_, rest)) = stat.rsplit_once(") ") else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of stat(5); `rest` starts at field 3.
    let ticks: u64 =
        fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0);
    ticks as f64 / ticks_per_sec
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

fn sdp(addr: SocketAddr) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=load\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n",
        ip = addr.ip(),
        port = addr.port()
    )
}

fn sdp_port(sdp: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(sdp).ok()?;
    let line = text.lines().find(|l| l.starts_with("m=audio "))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

// ---- DCE: the relay in a child process -------------------------------

fn setup_dce(
    n: usize,
    opts: &Options,
    caller_addr: &dyn Fn(usize) -> SocketAddr,
    buyer_addr: &dyn Fn(usize) -> SocketAddr,
) -> Result<Relay, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = relay_command(exe, opts)
        .args(["--serve-relay", &opts.dce_workers.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn relay: {e}"))?;
    let mut input: ChildStdin = child.stdin.take().unwrap();
    let mut output = BufReader::new(child.stdout.take().unwrap());
    let mut relay = Relay {
        caller_dst: Vec::with_capacity(n),
        buyer_dst: Vec::with_capacity(n),
        process: Some(child),
        ng: None,
    };
    let mut line = String::new();
    for i in 0..n {
        writeln!(input, "alloc {i} {} {}", caller_addr(i), buyer_addr(i))
            .map_err(|e| e.to_string())?;
        line.clear();
        output.read_line(&mut line).map_err(|e| e.to_string())?;
        let mut words = line.split_whitespace();
        if words.next() != Some("ok") {
            return Err(format!("dce alloc {i}: {}", line.trim()));
        }
        let port = |w: Option<&str>| -> Result<SocketAddr, String> {
            let p: u16 = w.and_then(|w| w.parse().ok()).ok_or("bad reply")?;
            Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, p)))
        };
        relay.caller_dst.push(port(words.next())?);
        relay.buyer_dst.push(port(words.next())?);
    }
    // The child's stdin stays open (in `input`, dropped here closes it, and
    // the child keeps serving until killed).
    std::mem::forget(input);
    Ok(relay)
}

/// `--serve-relay`: a MediaEngine (its own relay worker threads;
/// `workers` 0 = one per core, as `MediaEngine::new`), set up over stdin:
/// `alloc ID CALLER_ADDR BUYER_ADDR` → `ok CALLER_FACING_PORT
/// BUYER_FACING_PORT`. Runs until killed.
fn serve_relay(workers: usize) {
    use dce_media::{CallId, Leg, MediaConfig, MediaEngine};
    let config = MediaConfig {
        bind: Ipv4Addr::LOCALHOST.into(),
        advertise: Ipv4Addr::LOCALHOST.into(),
        ports: DCE_PORTS.0..=DCE_PORTS.1,
        max_sessions: 10_000,
        ..MediaConfig::default()
    };
    let (engine, mut events) = if workers > 0 {
        MediaEngine::with_workers(config, 1024, workers)
    } else {
        MediaEngine::new(config, 1024)
    };
    thread::spawn(move || while events.blocking_recv().is_some() {});
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.split_whitespace().collect();
        let reply = match words.as_slice() {
            ["alloc", id, caller, buyer] => {
                let call = CallId::from(*id);
                let caller: SocketAddr = caller.parse().expect("caller addr");
                let buyer: SocketAddr = buyer.parse().expect("buyer addr");
                engine
                    .allocate_session(call.clone())
                    .and_then(|ports| {
                        engine.anchor_sdp(&call, Leg::Caller, sdp(caller).as_bytes())?;
                        engine.anchor_sdp(&call, Leg::Buyer, sdp(buyer).as_bytes())?;
                        Ok(ports)
                    })
                    .map(|p| format!("ok {} {}", p.caller.rtp, p.buyer.rtp))
                    .unwrap_or_else(|e| format!("err {e}"))
            }
            _ => "err unknown command".to_owned(),
        };
        let _ = writeln!(stdout, "{reply}");
        let _ = stdout.flush();
    }
    // stdin closed: keep relaying until killed.
    loop {
        thread::sleep(Duration::from_secs(3600));
    }
}

// ---- rtpengine over the ng protocol ----------------------------------

fn setup_rtpengine(
    n: usize,
    opts: &Options,
    caller_addr: &dyn Fn(usize) -> SocketAddr,
    buyer_addr: &dyn Fn(usize) -> SocketAddr,
) -> Result<Relay, String> {
    let log = std::fs::File::create("/tmp/relay_load-rtpengine.log").map_err(|e| e.to_string())?;
    let mut command = relay_command(&opts.rtpengine, opts);
    if opts.rtpengine_threads > 0 {
        command.arg(format!("--num-threads={}", opts.rtpengine_threads));
    }
    let child = command
        .args([
            "--config-file=none",
            "--table=-1",
            "--interface=127.0.0.1",
            &format!("--listen-ng={NG_ADDR}"),
            &format!("--port-min={}", RTPENGINE_PORTS.0),
            &format!("--port-max={}", RTPENGINE_PORTS.1),
            "--foreground",
            "--log-stderr",
            "--log-level=4",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("spawn rtpengine: {e}"))?;
    let mut relay = Relay {
        caller_dst: Vec::with_capacity(n),
        buyer_dst: Vec::with_capacity(n),
        process: Some(child),
        ng: None,
    };
    let ng = NgClient::new()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while ng.command(&[("command", B::s("ping"))]).is_err() {
        if Instant::now() > deadline {
            return Err("rtpengine did not answer ping".into());
        }
    }
    relay.ng = Some(ng);
    let ng = relay.ng.as_ref().unwrap();
    for i in 0..n {
        let call = format!("load-{i}");
        let offer = ng.command(&[
            ("command", B::s("offer")),
            ("call-id", B::s(&call)),
            ("from-tag", B::s(&format!("f{i}"))),
            ("sdp", B::s(&sdp(caller_addr(i)))),
        ])?;
        let answer = ng.command(&[
            ("command", B::s("answer")),
            ("call-id", B::s(&call)),
            ("from-tag", B::s(&format!("f{i}"))),
            ("to-tag", B::s(&format!("t{i}"))),
            ("sdp", B::s(&sdp(buyer_addr(i)))),
        ])?;
        // The offer goes to the buyer: its port is where the buyer sends;
        // the answer's is where the caller sends.
        let to_buyer = sdp_port(offer.get("sdp").and_then(B::bytes).ok_or("offer: no sdp")?)
            .ok_or("offer: no port")?;
        let to_caller = sdp_port(
            answer
                .get("sdp")
                .and_then(B::bytes)
                .ok_or("answer: no sdp")?,
        )
        .ok_or("answer: no port")?;
        relay
            .caller_dst
            .push(SocketAddr::from((Ipv4Addr::LOCALHOST, to_caller)));
        relay
            .buyer_dst
            .push(SocketAddr::from((Ipv4Addr::LOCALHOST, to_buyer)));
    }
    Ok(relay)
}

/// Bencode, by hand: four ng commands need byte strings and flat
/// dictionaries, and the replies' `result`/`sdp`; a crate for that would
/// be more code to trust than this.
#[derive(Debug, Clone)]
enum B {
    Bytes(Vec<u8>),
    Int(i64),
    List(Vec<B>),
    Dict(Vec<(Vec<u8>, B)>),
}

impl B {
    fn s(s: &str) -> Self {
        Self::Bytes(s.as_bytes().to_vec())
    }

    fn bytes(&self) -> Option<&[u8]> {
        match self {
            Self::Bytes(b) => Some(b),
            _ => None,
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Bytes(b) => {
                out.extend_from_slice(format!("{}:", b.len()).as_bytes());
                out.extend_from_slice(b);
            }
            Self::Int(i) => out.extend_from_slice(format!("i{i}e").as_bytes()),
            Self::List(items) => {
                out.push(b'l');
                items.iter().for_each(|b| b.encode(out));
                out.push(b'e');
            }
            Self::Dict(entries) => {
                out.push(b'd');
                for (k, v) in entries {
                    Self::Bytes(k.clone()).encode(out);
                    v.encode(out);
                }
                out.push(b'e');
            }
        }
    }

    /// Decodes one value at the start of `input`; returns it and the rest.
    fn decode(input: &[u8]) -> Option<(Self, &[u8])> {
        match *input.first()? {
            b'i' => {
                let end = input.iter().position(|&c| c == b'e')?;
                let i = std::str::from_utf8(&input[1..end]).ok()?.parse().ok()?;
                Some((Self::Int(i), &input[end + 1..]))
            }
            b'l' => {
                let mut rest = &input[1..];
                let mut items = Vec::new();
                while *rest.first()? != b'e' {
                    let (item, r) = Self::decode(rest)?;
                    items.push(item);
                    rest = r;
                }
                Some((Self::List(items), &rest[1..]))
            }
            b'd' => {
                let mut rest = &input[1..];
                let mut entries = Vec::new();
                while *rest.first()? != b'e' {
                    let (Self::Bytes(k), r) = Self::decode(rest)? else {
                        return None;
                    };
                    let (v, r) = Self::decode(r)?;
                    entries.push((k, v));
                    rest = r;
                }
                Some((Self::Dict(entries), &rest[1..]))
            }
            b'0'..=b'9' => {
                let colon = input.iter().position(|&c| c == b':')?;
                let len: usize = std::str::from_utf8(&input[..colon]).ok()?.parse().ok()?;
                let body = input.get(colon + 1..colon + 1 + len)?;
                Some((Self::Bytes(body.to_vec()), &input[colon + 1 + len..]))
            }
            _ => None,
        }
    }
}

/// An ng client: `COOKIE SP bencoded-dict`, reply with the same cookie.
struct NgClient {
    socket: UdpSocket,
    cookie: std::cell::Cell<u64>,
}

impl NgClient {
    fn new() -> Result<Self, String> {
        let socket = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        socket.connect(NG_ADDR).map_err(|e| e.to_string())?;
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .map_err(|e| e.to_string())?;
        Ok(Self {
            socket,
            cookie: std::cell::Cell::new(0),
        })
    }

    fn command(&self, entries: &[(&str, B)]) -> Result<HashMap<String, B>, String> {
        let cookie = self.cookie.get() + 1;
        self.cookie.set(cookie);
        let cookie = format!("c{cookie}");
        let dict = B::Dict(
            entries
                .iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v.clone()))
                .collect(),
        );
        let mut msg = format!("{cookie} ").into_bytes();
        dict.encode(&mut msg);
        let mut buf = vec![0u8; 65_536];
        for _ in 0..5 {
            self.socket.send(&msg).map_err(|e| e.to_string())?;
            let Ok(len) = self.socket.recv(&mut buf) else {
                continue;
            };
            let reply = &buf[..len];
            let Some(body) = reply.strip_prefix(format!("{cookie} ").as_bytes()) else {
                continue;
            };
            let Some((B::Dict(entries), _)) = B::decode(body) else {
                return Err("ng: undecodable reply".into());
            };
            let map: HashMap<String, B> = entries
                .into_iter()
                .map(|(k, v)| (String::from_utf8_lossy(&k).into_owned(), v))
                .collect();
            return match map.get("result").and_then(B::bytes) {
                Some(b"ok") | Some(b"pong") => Ok(map),
                _ => Err(format!(
                    "ng: {:?}",
                    map.get("error-reason")
                        .and_then(B::bytes)
                        .map(String::from_utf8_lossy)
                )),
            };
        }
        Err("ng: no reply".into())
    }

    fn delete(&self, i: usize) -> Result<(), String> {
        self.command(&[
            ("command", B::s("delete")),
            ("call-id", B::s(&format!("load-{i}"))),
            ("from-tag", B::s(&format!("f{i}"))),
        ])
        .map(drop)
    }
}
