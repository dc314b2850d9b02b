//! A running `dce serve` with a market of sipp buyers, and sipp itself.

use crate::support::*;
use std::net::{TcpListener, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/sipp");
pub const CALLER: &str = "+12125551234";
pub const DIALED: &str = "18005550100";

/// A port free for both UDP and TCP on 127.0.0.1.
pub fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Whether sipp is installed; without it the SIP end-to-end tests say so
/// and skip, except under CI where it must be there.
pub fn have_sipp() -> bool {
    let ok = Command::new("sipp").arg("-v").output().is_ok();
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "sipp (Debian package sip-tester) must be installed under CI"
        );
        eprintln!("skipped: sipp is not installed (apt-get install sip-tester)");
    }
    ok
}

/// 100 relay ports no other switch of this test run uses.
pub fn relay_ports() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 150;
    let first = 30_000 + n * 100;
    format!("{first}-{}", first + 99)
}

/// A target line for the market.
pub struct Buyer {
    pub name: &'static str,
    pub port: u16,
    pub bid: &'static str,
    pub extra: &'static str,
}

pub fn market(trunk: &str, buyers: &[Buyer]) -> String {
    let mut m = format!(
        "[[seller]]\nname = \"s\"\ntrunks = [\"{trunk}\"]\n\n[[buyer]]\nname = \"b\"\nbalance = \"10000.00\"\n\n\
         [[campaign]]\nname = \"c\"\nseller = \"s\"\nnumbers = [\"+{DIALED}\"]\npayout = \"1.00\"\n"
    );
    for b in buyers {
        m += &format!(
            "\n[[target]]\nname = \"{}\"\nbuyer = \"b\"\ncampaign = \"c\"\ndestination = \"sip:buyer@127.0.0.1:{}\"\nbid = \"{}\"\n{}\n",
            b.name, b.port, b.bid, b.extra
        );
    }
    m
}

/// `dce serve` on loopback ports of its own.
pub struct Switch {
    pub scratch: Scratch,
    pub sip_port: u16,
    pub http_port: u16,
    child: Child,
    env: Vec<(String, String)>,
}

fn spawn_serve(
    scratch: &Scratch,
    sip_port: u16,
    http_port: u16,
    env: &[(String, String)],
) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(scratch.path("dce.log"))
        .unwrap();
    let market = scratch.path("market.toml");
    scratch
        .command(&[
            "serve",
            "--sip-listen",
            &format!("127.0.0.1:{sip_port}"),
            "--http-listen",
            &format!("127.0.0.1:{http_port}"),
            "--market",
            market.to_str().unwrap(),
        ])
        .env("DCE_LOG_LEVEL", "dce=debug,info")
        .env("DCE_SIP_DRAIN_TIMEOUT", "2s")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

impl Switch {
    pub fn start(market_text: &str) -> Switch {
        Switch::start_with(market_text, &[])
    }

    /// With extra `DCE_*` settings.
    pub fn start_with(market_text: &str, env: &[(&str, &str)]) -> Switch {
        let scratch = Scratch::new();
        scratch.write("market.toml", market_text);
        let sip_port = free_port();
        let http_port = free_port();
        let mut env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if !env.iter().any(|(k, _)| k == "DCE_MEDIA_PORTS") {
            // Switches of parallel tests must not share relay ports.
            env.push(("DCE_MEDIA_PORTS".into(), relay_ports()));
        }
        let child = spawn_serve(&scratch, sip_port, http_port, &env);
        let mut s = Switch {
            scratch,
            sip_port,
            http_port,
            child,
            env,
        };
        s.wait_ready();
        s
    }

    /// `dce ARGS` against this switch's database and settings.
    pub fn dce(&self, args: &[&str]) -> Output {
        self.scratch
            .command(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap()
    }

    /// `kill -9`: no shutdown, no drain, calls cut mid-flight.
    pub fn crash(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the switch again on the same database, ports and settings.
    pub fn restart(&mut self) {
        self.child = spawn_serve(&self.scratch, self.sip_port, self.http_port, &self.env);
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        // Generous: the whole suite runs in parallel on two cores, and a
        // start migrates a fresh database and warms up password hashing.
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "dce serve exited ({status}) before it was ready:\n{}",
                    self.log()
                );
            }
            if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", self.http_port)) {
                // While nothing listens, a connect whose ephemeral source
                // port happens to be the target port connects to itself
                // (TCP simultaneous open): that is not the switch.
                if s.local_addr().ok() != s.peer_addr().ok() {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("dce serve did not start:\n{}", self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.scratch.path("dce.log")).unwrap_or_default()
    }

    /// Sends SIGTERM (the switch then drains).
    pub fn terminate(&self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
    }

    pub fn sip(&self) -> String {
        format!("127.0.0.1:{}", self.sip_port)
    }
}

impl Drop for Switch {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A sipp scenario file, with `CODE` replaced when given.
pub fn scenario(name: &str, code: Option<u16>, dir: &Scratch) -> PathBuf {
    let text = std::fs::read_to_string(format!("{SCENARIOS}/{name}")).unwrap();
    let text = match code {
        Some(c) => text.replace("\"CODE\"", &format!("\"{c}\"")),
        None => text,
    };
    dir.write(name, &text)
}

/// A sipp buyer waiting for `calls` calls on `port`, in the background.
pub fn buyer(dir: &Scratch, name: &str, port: u16, calls: u32, extra: &[&str]) -> Child {
    let sf = scenario(name, None, dir);
    Command::new("sipp")
        .args([
            "-sf",
            sf.to_str().unwrap(),
            "-i",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .args([
            "-m",
            &calls.to_string(),
            "-timeout",
            "30s",
            "-timeout_error",
            "-nostdin",
        ])
        .args(extra)
        .current_dir(dir.dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// A sipp caller of one call at the switch with scenario file `sf`,
/// dialing `dialed`; `extra` adds or overrides options (`-t t1`, `-d 1200`).
pub fn caller_cmd(
    dir: &Scratch,
    switch: &Switch,
    sf: &std::path::Path,
    dialed: &str,
    extra: &[&str],
) -> Command {
    let mut cmd = Command::new("sipp");
    cmd.arg(switch.sip())
        .args([
            "-sf",
            sf.to_str().unwrap(),
            "-i",
            "127.0.0.1",
            "-p",
            &free_port().to_string(),
            "-s",
            dialed,
        ])
        .args([
            "-key",
            "caller",
            CALLER,
            "-m",
            "1",
            "-timeout",
            "30s",
            "-timeout_error",
            "-nostdin",
        ])
        .args(extra)
        .current_dir(dir.dir.path());
    cmd
}

/// A sipp caller of one call to the campaign's number; returns its output.
pub fn caller(
    dir: &Scratch,
    switch: &Switch,
    name: &str,
    code: Option<u16>,
    extra: &[&str],
) -> Output {
    let sf = scenario(name, code, dir);
    let mut args = vec!["-d", "300"];
    args.extend_from_slice(extra);
    caller_cmd(dir, switch, &sf, DIALED, &args)
        .output()
        .unwrap()
}

/// Waits for a background sipp to finish; its exit status tells whether
/// every call of its scenario went as written.
pub fn finish(mut child: Child, what: &str, switch: &Switch) {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use std::io::Read;
                let _ = e.read_to_string(&mut err);
            }
            assert!(
                status.success(),
                "{what} sipp failed ({status}): {err}\n--- dce log ---\n{}",
                switch.log()
            );
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "{what} sipp did not finish\n--- dce log ---\n{}",
                switch.log()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn assert_ok(out: &Output, what: &str, switch: &Switch) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}\n--- dce log ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .rev()
            .take(30)
            .collect::<Vec<_>>()
            .join("\n"),
        String::from_utf8_lossy(&out.stderr),
        switch.log()
    );
}
