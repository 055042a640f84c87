//! End to end: the real binary in a 120×40 tmux session with NO_COLOR=1.
//! It starts the embedded demo (seeding it on this first run), visits every
//! screen by key, opens the help and the palette, quits, and checks that
//! the terminal came back and the process exited 0.
//!
//! tmux is required: CI installs it (.ci/run). Without it this test fails
//! with a message saying so; it is never skipped silently.

mod tmux_support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use tmux_support::{Tmux, require_tmux, wait_for_file};

/// SGR parameters that set a colour (not the terminal default).
fn colour_codes(screen: &str) -> Vec<String> {
    let mut found = Vec::new();
    for seq in screen.split("\x1b[").skip(1) {
        let Some(end) = seq.find(|c: char| c.is_ascii_alphabetic()) else { continue };
        if &seq[end..end + 1] != "m" {
            continue;
        }
        for p in seq[..end].split(';') {
            let n: u32 = p.parse().unwrap_or(0);
            if matches!(n, 30..=38 | 40..=48 | 90..=97 | 100..=107) {
                found.push(seq[..end].to_string());
            }
        }
    }
    found
}

#[test]
fn console_end_to_end_in_tmux() {
    require_tmux();
    let dir = tempfile::tempdir().unwrap();
    let exit_file: PathBuf = dir.path().join("exit");
    let tmux = Tmux::new(&format!("beyazmasa-e2e-{}", std::process::id()));
    let command = format!(
        "env NO_COLOR=1 TERM=xterm-256color BEYAZMASA_CONFIG_DIR='{config}' BEYAZMASA_DATA_DIR='{data}' '{bin}'; \
         echo EXIT=$? > '{exit}.tmp'; stty -a > '{stty}'; mv '{exit}.tmp' '{exit}'; sleep 60",
        config = dir.path().join("config").display(),
        data = dir.path().join("data").display(),
        bin = env!("CARGO_BIN_EXE_beyazmasa"),
        exit = exit_file.display(),
        stty = dir.path().join("stty").display(),
    );
    let out = tmux.run(&["new-session", "-d", "-s", "e2e", "-x", "120", "-y", "40", "sh", "-c", &command]);
    assert!(out.status.success(), "tmux new-session: {}", String::from_utf8_lossy(&out.stderr));

    // The first run seeds the demo database; then the agent is signed in.
    tmux.wait_for("the call screen, signed in", Duration::from_secs(60), |s| {
        s.contains("Arayan") && s.contains("agent · Çağrı temsilcisi") && s.contains("● Çevrim içi")
    });
    let styled = tmux.capture(true);
    assert_eq!(colour_codes(&styled), Vec::<String>::new(), "NO_COLOR: no colours at all");
    assert!(styled.contains("\x1b[1;7m") || styled.contains("\x1b[7m"), "bold/reverse survive NO_COLOR");

    for (key, title) in [
        ("F3", "Birim kuyruğu"),
        ("F4", "Birim kuyrukları"),
        ("F5", "Bekleyen kayıtlar"),
        ("F1", "Kullanıcı tuş haritası"),
        ("F2", "Geçmiş başvurular"),
    ] {
        tmux.send(&[key]);
        tmux.wait_for(title, Duration::from_secs(10), |s| s.contains(title));
    }

    tmux.send(&["C-k"]);
    tmux.wait_for("the help overlay", Duration::from_secs(10), |s| s.contains("Bu ekrandaki kısayollar"));
    tmux.send(&["Escape"]);
    tmux.wait_for("the help overlay to close", Duration::from_secs(10), |s| !s.contains("Bu ekrandaki kısayollar"));

    tmux.send(&["C-p"]);
    tmux.wait_for("the palette", Duration::from_secs(10), |s| s.contains("Komut ara"));
    tmux.send(&["-l", "gelen"]);
    tmux.send(&["Enter"]);
    tmux.wait_for("the intake screen from the palette", Duration::from_secs(10), |s| {
        s.contains("Bekleyen kayıtlar") && !s.contains("Komut ara")
    });

    tmux.send(&["C-q"]);
    let exit = wait_for_file(&exit_file, Duration::from_secs(15)).expect("the console exits after ctrl-q");
    assert_eq!(exit.trim(), "EXIT=0");
    // The terminal is out of raw mode: line editing and echo are back.
    let stty = std::fs::read_to_string(dir.path().join("stty")).unwrap();
    let flags: Vec<&str> = stty.split_whitespace().collect();
    assert!(flags.contains(&"icanon") && flags.contains(&"echo"), "terminal left in raw mode:\n{stty}");
    // Back on the normal screen: nothing of the console is left.
    let after = tmux.capture(false);
    assert!(!after.contains("Çevrim içi") && !after.contains("Arayan"), "alternate screen left:\n{after}");
    assert!(after.trim().is_empty(), "nothing was printed over the terminal:\n{after}");
    let log_dir = dir.path().join("data").join("logs");
    let logs: Vec<_> = std::fs::read_dir(&log_dir).expect("a log directory").collect();
    assert!(!logs.is_empty(), "logs go to the data dir");
}

/// CPU time (user + system) of a process, in clock ticks, from /proc.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the console is running");
    // Fields after the command name, which is in parentheses.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn sigterm_restores_the_terminal_and_as_picks_the_role() {
    require_tmux();
    let dir = tempfile::tempdir().unwrap();
    let exit_file: PathBuf = dir.path().join("exit");
    let pid_file: PathBuf = dir.path().join("pid");
    let tmux = Tmux::new(&format!("beyazmasa-e2e-term-{}", std::process::id()));
    // The inner shell writes its pid and execs the console, so the pid is
    // the console's.
    let command = format!(
        "sh -c 'echo $$ > \"{pid}\"; exec env NO_COLOR=1 BEYAZMASA_CONFIG_DIR=\"{config}\" \
         BEYAZMASA_DATA_DIR=\"{data}\" \"{bin}\" --as lead --lang en'; \
         echo EXIT=$? > '{exit}.tmp'; stty -a > '{stty}'; mv '{exit}.tmp' '{exit}'; sleep 60",
        pid = pid_file.display(),
        config = dir.path().join("config").display(),
        data = dir.path().join("data").display(),
        bin = env!("CARGO_BIN_EXE_beyazmasa"),
        exit = exit_file.display(),
        stty = dir.path().join("stty").display(),
    );
    let out = tmux.run(&["new-session", "-d", "-s", "e2e", "-x", "120", "-y", "40", "sh", "-c", &command]);
    assert!(out.status.success(), "tmux new-session: {}", String::from_utf8_lossy(&out.stderr));
    tmux.wait_for("the wallboard, signed in as the lead", Duration::from_secs(60), |s| {
        s.contains("Unit queues") && s.contains("lead · Shift lead") && s.contains("● Online")
    });
    // Settled: the first sync (the lead's snapshot) done and the board live.
    tmux.wait_for("the first sync and live figures", Duration::from_secs(60), |s| {
        s.contains("● live") && s.contains("Last sync") && !s.contains("Last sync never")
    });
    let pid: u32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();

    // Idle: no busy loop. Over 3 s the console may use a few ticks for the
    // clock and a health check, nowhere near a core.
    std::thread::sleep(Duration::from_millis(500));
    let before = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(3));
    let used = cpu_ticks(pid) - before;
    assert!(used <= 15, "idle console used {used} clock ticks in 3 s");

    let status = Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    assert!(status.success());
    let exit = wait_for_file(&exit_file, Duration::from_secs(15)).expect("the console exits on SIGTERM");
    assert_eq!(exit.trim(), "EXIT=0");
    let stty = std::fs::read_to_string(dir.path().join("stty")).unwrap();
    let flags: Vec<&str> = stty.split_whitespace().collect();
    assert!(flags.contains(&"icanon") && flags.contains(&"echo"), "terminal left in raw mode:\n{stty}");
    let after = tmux.capture(false);
    assert!(after.trim().is_empty(), "the console's screen is gone:\n{after}");
}
