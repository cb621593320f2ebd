//! A real `redis-server` on a free loopback port, killed when dropped, and `redis-cli` against it.
//! Missing Redis is a failure naming the Debian package (scripts/test installs it), never a skip.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const MISSING: &str = "redis-server is not installed: install the Debian package `redis-server` \
     (it brings redis-cli; scripts/test installs it when run as root)";

pub struct Redis {
    child: Child,
    pub port: u16,
}

impl Redis {
    /// Starts an empty server that keeps nothing on disk, and waits until it answers.
    pub fn start() -> Self {
        // Redis cannot pick a free port itself: take one the system just handed out.
        let port = super::closed_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{MISSING} ({e})"));
        let redis = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while redis.try_cli(&["PING"]).as_deref() != Some("PONG") {
            assert!(
                Instant::now() < deadline,
                "redis-server on port {port} did not answer PING"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        redis
    }

    fn try_cli(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "--raw"])
            .args(args)
            .stderr(Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// `redis-cli ARGS` (arguments passed as they are, no shell quoting); its output.
    pub fn cli(&self, args: &[&str]) -> String {
        self.try_cli(args)
            .unwrap_or_else(|| panic!("redis-cli {args:?} failed; {MISSING}"))
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
