//! A local server process a test starts (the widget's demo page, a Laravel
//! root's `php -S`), stopped on every exit path.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

pub struct Served {
    child: Child,
    pub url: String,
}

impl Served {
    /// Spawns `command` (its output discarded) and waits, at most 30 s, for
    /// it to listen on `port`.
    pub fn start(mut command: Command, port: u16, what: &str) -> Self {
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {what}: {e}"));
        let served = Self {
            child,
            url: format!("http://127.0.0.1:{port}/"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "{what} did not listen on {port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        served
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
