//! End-to-end: `soilwatch demo` and `serve --demo` with the real binary.

#![expect(
    clippy::unwrap_used,
    reason = "end-to-end tests: a panic is a failed test"
)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use soilwatch_test_utils::{http_get, http_get_with};

const BIN: &str = env!("CARGO_BIN_EXE_soilwatch");

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn clean(cmd: &mut Command) -> &mut Command {
    cmd.env_remove("SOILWATCH_DB")
        .env_remove("SOILWATCH_BIND")
        .env_remove("SOILWATCH_DEMO")
        .env_remove("SOILWATCH_DEMO_POINTS")
        .env_remove("SOILWATCH_DEMO_SEED")
}

fn serve(dir: &Path, args: &[&str]) -> Server {
    let mut cmd = Command::new(BIN);
    clean(&mut cmd)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut server = Server {
        child: cmd.spawn().unwrap(),
        addr: String::new(),
    };
    let stdout = server.child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(300);
    while server.addr.is_empty() {
        assert!(Instant::now() < deadline, "server did not start");
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(url) = line.strip_prefix("soilwatch listening on http://") {
                    server.addr = url.trim().to_owned();
                }
            }
            _ => panic!("server exited before listening"),
        }
    }
    server
}

#[test]
fn demo_loads_once_and_shows_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut cmd = Command::new(BIN);
        clean(&mut cmd)
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let out = run(&["demo", "--db", "sqlite://demo.db", "--points", "400"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("demo data loaded"), "{stdout}");
    // Not twice.
    let again = run(&["demo", "--db", "sqlite://demo.db", "--points", "400"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("empty database"));

    let server = serve(dir.path(), &["--db", "sqlite://demo.db"]);
    // Point records need a signed-in user (issue 13).
    let (status, _) = http_get(&server.addr, "/api/v1/points?limit=5").unwrap();
    assert_eq!(status, 401);
    let (status, html) = http_get(&server.addr, "/network/coverage").unwrap();
    assert_eq!(status, 200);
    assert!(html.contains("演示数据：") && html.contains("<svg"));
    // Points, point pages and results need a signed-in user (issues 7, 13): a viewer's API token.
    let mut add = Command::new(BIN);
    let added = clean(&mut add)
        .args([
            "user",
            "add",
            "viewer",
            "--role",
            "viewer",
            "--db",
            "sqlite://demo.db",
        ])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    added
        .stdin
        .as_ref()
        .unwrap()
        .write_all(b"Viewer password 1\n")
        .unwrap();
    assert!(added.wait_with_output().unwrap().status.success());
    let out = run(&["user", "token", "viewer", "--db", "sqlite://demo.db"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let (status, body) =
        http_get_with(&server.addr, "/api/v1/points?limit=5", Some(&token)).unwrap();
    assert_eq!(status, 200);
    let points: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(points.as_array().unwrap().len(), 5);
    assert!(points[0]["code"].as_str().unwrap().starts_with("DEMO-"));
    let code = points[0]["code"].as_str().unwrap();
    let (status, _) = http_get(&server.addr, &format!("/points/{code}")).unwrap();
    assert_eq!(status, 303, "a page needing sign-in redirects to /login");
    let (status, html) =
        http_get_with(&server.addr, &format!("/points/{code}"), Some(&token)).unwrap();
    assert_eq!(status, 200);
    assert!(html.contains("演示数据："));
    let (_, csv) = http_get_with(
        &server.addr,
        "/api/v1/results?f=csv&limit=10&analyte=Cd",
        Some(&token),
    )
    .unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert_eq!(csv.lines().count(), 11);
}

#[test]
fn serve_demo_loads_into_an_empty_database_only() {
    let dir = tempfile::tempdir().unwrap();
    // An empty database gets the demo.
    let server = serve(dir.path(), &["--db", "sqlite://fresh.db", "--demo"]);
    let (_, body) = http_get(&server.addr, "/api/v1/network/coverage").unwrap();
    let cov: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        cov["total_points"].as_i64().unwrap() > 2_000,
        "{}",
        cov["total_points"]
    );
    drop(server);
    // Now the database has data: serving with --demo again adds nothing.
    let server = serve(dir.path(), &["--db", "sqlite://fresh.db", "--demo"]);
    let (_, body) = http_get(&server.addr, "/api/v1/network/coverage").unwrap();
    let again: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(again["total_points"], cov["total_points"]);
}
