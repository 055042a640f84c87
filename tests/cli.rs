//! The `beyazmasa` binary as an operator uses it: admin commands, demo data
//! and `serve`, against a real SQLite file and a real loopback port.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_beyazmasa"))
}

fn run(args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = bin()
        .args(args)
        .env_remove("BEYAZMASA_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn admin_users_tokens_and_demo_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());

    let (ok, out, err) = run(
        &["admin", "--db", &db, "create-user", "ayse", "--role", "agent", "--extension", "1001"],
        Some("uzun-parola\n"),
    );
    assert!(ok, "{err}");
    assert!(out.contains("created user ayse (agent)"), "{out}");
    let (ok, _, err) = run(&["admin", "--db", &db, "create-user", "ayse", "--role", "agent"], Some("uzun-parola\n"));
    assert!(!ok);
    assert!(err.contains("already exists"), "{err}");
    let (ok, _, err) =
        run(&["admin", "--db", &db, "create-user", "x", "--role", "unit_rep", "--password", "uzun-parola"], None);
    assert!(!ok);
    assert!(err.contains("needs at least one --unit"), "{err}");
    let (ok, _, err) =
        run(&["admin", "--db", &db, "create-user", "x", "--role", "pilot", "--password", "uzun-parola"], None);
    assert!(!ok && err.contains("unknown role"), "{err}");
    let (ok, _, err) = run(&["admin", "--db", &db, "create-user", "x", "--role", "agent", "--password", "kisa"], None);
    assert!(!ok && err.contains("at least 8"), "{err}");
    let (ok, _, _) = run(
        &[
            "admin",
            "--db",
            &db,
            "create-user",
            "gaski1",
            "--role",
            "unit_rep",
            "--unit",
            "GASKI",
            "--password",
            "uzun-parola",
        ],
        None,
    );
    assert!(ok);

    let (ok, out, _) = run(&["admin", "--db", &db, "list-users"], None);
    assert!(ok);
    assert!(out.contains("ayse") && out.contains("gaski1") && out.contains("units=GASKI"), "{out}");

    let (ok, token, err) = run(&["admin", "--db", &db, "issue-token", "ayse", "--device-name", "santral"], None);
    assert!(ok, "{err}");
    let token = token.trim().to_string();
    assert_eq!(token.len(), 64);
    let (_, list, _) = run(&["admin", "--db", &db, "list-tokens"], None);
    assert!(list.contains("santral") && list.contains("active"), "{list}");
    assert!(!list.contains(&token), "tokens are never listed");
    let prefix = list.split_whitespace().next().unwrap().to_string();
    let (ok, out, _) = run(&["admin", "--db", &db, "revoke-token", "--id", &prefix], None);
    assert!(ok && out.contains("revoked 1"), "{out}");

    let (ok, _, err) = run(
        &["demo-data", "--db", &db, "--citizens", "300", "--requests", "900", "--now", "2026-11-30T12:00:00Z"],
        None,
    );
    assert!(ok, "{err}");
    assert!(err.contains("citizens 300/300") && err.contains("requests 900/900"), "{err}");
    assert!(err.contains("password"), "{err}");
}

#[test]
fn demo_data_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let mut dumps = Vec::new();
    for name in ["a.db", "b.db"] {
        let path = dir.path().join(name);
        let db = format!("sqlite://{}", path.display());
        let (ok, _, err) = run(
            &["demo-data", "--db", &db, "--citizens", "200", "--requests", "500", "--now", "2026-11-30T12:00:00Z"],
            None,
        );
        assert!(ok, "{err}");
        let out = Command::new("sqlite3")
            .arg(&path)
            .arg(
                "SELECT id, full_name, phones, tckn, district, neighbourhood FROM citizens ORDER BY id; \
                  SELECT id, tracking_no, category, unit, status, description, sla_due_at FROM requests ORDER BY id;",
            )
            .output()
            .expect("sqlite3 is installed");
        dumps.push(String::from_utf8_lossy(&out.stdout).to_string());
    }
    assert!(dumps[0].lines().count() >= 700, "{}", dumps[0].lines().count());
    assert_eq!(dumps[0], dumps[1]);
}

#[test]
fn serve_starts_migrates_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("serve.db").display());
    // Pick a free port, then let the server bind it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = bin()
        .args(["serve", "--db", &db, "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let body = loop {
        assert!(start.elapsed() < Duration::from_secs(30), "server did not come up");
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::Read;
            s.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            if out.contains("200 OK") {
                break out;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(body.contains("\"db\":\"sqlite\""), "{body}");
    // SIGTERM stops it cleanly.
    send_sigterm(child.id());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(dir.path().join("serve.db").exists());
}

fn send_sigterm(pid: u32) {
    let ok = Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap().success();
    assert!(ok);
}
