//! A tmux session for end-to-end tests of the console (included with `mod`).
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct Tmux {
    pub socket: String,
    /// The session that `capture`, `send` and `wait_for` talk to.
    target: std::cell::RefCell<String>,
}

impl Tmux {
    pub fn new(socket: &str) -> Tmux {
        Tmux { socket: socket.to_string(), target: std::cell::RefCell::new("e2e".into()) }
    }

    pub fn set_target(&self, session: &str) {
        *self.target.borrow_mut() = session.to_string();
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux").args(["-L", &self.socket, "-f", "/dev/null"]).args(args).output().expect("tmux runs")
    }

    pub fn capture(&self, escapes: bool) -> String {
        let target = self.target.borrow().clone();
        let mut args = vec!["capture-pane", "-p", "-t", &target];
        if escapes {
            args.push("-e");
        }
        String::from_utf8_lossy(&self.run(&args).stdout).into_owned()
    }

    pub fn send(&self, keys: &[&str]) {
        let target = self.target.borrow().clone();
        let mut args = vec!["send-keys", "-t", &target];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success(), "send-keys {keys:?}");
    }

    /// Polls the screen until `ok` holds, failing with the screen after
    /// `timeout`.
    pub fn wait_for(&self, what: &str, timeout: Duration, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture(false);
            if ok(&screen) {
                return screen;
            }
            if start.elapsed() > timeout {
                panic!("timed out after {timeout:?} waiting for {what}; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

pub fn require_tmux() {
    let found = Command::new("tmux").arg("-V").output().map(|o| o.status.success()).unwrap_or(false);
    assert!(found, "tmux is required for the console end-to-end test: install it (apt-get install tmux); .ci/run does");
}

pub fn wait_for_file(path: &Path, timeout: Duration) -> Option<String> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Ok(text) = std::fs::read_to_string(path)
            && text.ends_with('\n')
        {
            return Some(text);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}
