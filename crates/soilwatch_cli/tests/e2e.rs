//! End-to-end: the real `soilwatch` binary, started on a free port, asked over real HTTP.

#![expect(
    clippy::unwrap_used,
    reason = "end-to-end tests: a panic is a failed test"
)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use soilwatch_test_utils::http_get;

const BIN: &str = env!("CARGO_BIN_EXE_soilwatch");

/// The version number of the newest migration file shipped with the store.
fn newest_migration() -> i64 {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../soilwatch_store/migrations/sqlite"
    );
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .split('_')
                .next()?
                .parse::<i64>()
                .ok()
        })
        .max()
        .unwrap()
}

/// A running `soilwatch serve`; killed on drop.
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

fn serve(dir: &Path, db: &str) -> Server {
    let mut server = Server {
        child: Command::new(BIN)
            .args(["serve", "--bind", "127.0.0.1:0", "--db", db])
            .current_dir(dir)
            .env_remove("SOILWATCH_DB")
            .env_remove("SOILWATCH_BIND")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
        addr: String::new(),
    };
    let stdout = server.child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
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

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("SOILWATCH_DB")
        .env_remove("SOILWATCH_BIND")
        .output()
        .unwrap()
}

#[test]
fn serve_creates_migrates_seeds_and_reuses_the_database() {
    let dir = tempfile::tempdir().unwrap();
    {
        let server = serve(dir.path(), "sqlite://soilwatch.db");
        let (status, body) = http_get(&server.addr, "/healthz").unwrap();
        assert_eq!(status, 200);
        let health: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(health["database"], "sqlite");
        assert_eq!(health["schema_version"], newest_migration());
        let (status, body) = http_get(&server.addr, "/api/v1/divisions/513402").unwrap();
        assert_eq!(status, 200);
        let d: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(d["name"], "会理市");
        let (status, body) = http_get(&server.addr, "/api/v1/divisions/513425").unwrap();
        assert_eq!(status, 404);
        assert!(body.contains("not_found"));
        let (status, _) = http_get(&server.addr, "/api/v1/divisions/abc").unwrap();
        assert_eq!(status, 400);
        let (status, body) = http_get(&server.addr, "/api/v1/openapi.json").unwrap();
        assert_eq!(status, 200);
        assert!(body.contains("/api/v1/analytes"));
    }
    assert!(dir.path().join("soilwatch.db").exists());
    // A second start reuses the database: nothing is seeded twice.
    let server = serve(dir.path(), "sqlite://soilwatch.db");
    let (_, body) = http_get(&server.addr, "/api/v1/departments").unwrap();
    let departments: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(departments.as_array().unwrap().len(), 17);
}

#[test]
fn serve_on_postgres() {
    let Ok(base) = std::env::var("SOILWATCH_TEST_PG") else {
        eprintln!("skipped: SOILWATCH_TEST_PG is not set");
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (store, name) = rt.block_on(soilwatch_store::conformance::fresh_pg_database(
        &base,
        "e2e_serve",
    ));
    rt.block_on(store.close());
    let url = match base.rfind('/') {
        Some(i) => format!("{}/{name}", &base[..i]),
        None => unreachable!("a PostgreSQL URL has a path"),
    };
    let dir = tempfile::tempdir().unwrap();
    {
        let server = serve(dir.path(), &url);
        let (status, body) = http_get(&server.addr, "/healthz").unwrap();
        assert_eq!(status, 200);
        assert!(body.contains("\"database\":\"postgres\""), "{body}");
        let (_, body) = http_get(&server.addr, "/api/v1/divisions?boundary=false").unwrap();
        let d: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(d.as_array().unwrap().len(), 18);
    }
    assert!(!dir.path().join("soilwatch.db").exists());
    let store = rt.block_on(soilwatch_store::connect(&url)).unwrap();
    rt.block_on(soilwatch_store::conformance::drop_pg_database(
        &base, store, &name,
    ));
}

#[test]
fn port_in_use_is_one_clear_line_and_no_database() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run(
        dir.path(),
        &["serve", "--bind", &addr, "--db", "sqlite://soilwatch.db"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].contains(&addr), "{err}");
    assert!(!err.contains("panicked"));
    assert!(!dir.path().join("soilwatch.db").exists());
}

#[test]
fn unopenable_databases_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    for db in [
        "sqlite:///no/such/dir/soilwatch.db",
        "/proc/soilwatch.db",
        "postgres://nobody@127.0.0.1:1/none",
    ] {
        let out = run(dir.path(), &["db", "migrate", "--db", db]);
        assert_eq!(out.status.code(), Some(1), "{db}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.lines().any(|l| l.starts_with("error:")), "{db}: {err}");
        assert!(!err.contains("panicked"), "{db}: {err}");
    }
    assert!(!Path::new("/proc/soilwatch.db").exists());
}

#[test]
fn db_migrate_then_seed() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["db", "migrate", "--db", "x.db"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("schema version {}", newest_migration())),
        "{text}"
    );
    let out = run(dir.path(), &["db", "seed", "--db", "x.db"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("seeded 18 divisions"), "{text}");
    assert!(text.contains("17 new departments"), "{text}");
    let again = run(dir.path(), &["db", "seed", "--db", "x.db"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 new departments"));
}

#[test]
fn help_lists_commands_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["serve", "db", "evaluate"] {
        assert!(text.contains(cmd), "{cmd} missing from --help");
    }
    let out = run(dir.path(), &["serve", "--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("SOILWATCH_DB") && text.contains("SOILWATCH_BIND"),
        "{text}"
    );
}

#[test]
fn evaluate_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    // Hand-checked: paddy, pH 6.0 → Cd screening 0.4, intervention 2.0.
    std::fs::write(
        &input,
        "样品编号,土地利用类型,pH,检测项目,检测值,单位\n\
         A,水田,6.0,镉,0.4,mg/kg\n\
         B,paddy,6.0,Cd,410,μg/kg\n\
         C,0101,6.0,cadmium,2.1,mg/kg\n",
    )
    .unwrap();
    let out = run(
        dir.path(),
        &[
            "evaluate",
            "--input",
            "in.csv",
            "--output",
            "out.csv",
            "--detail",
            "detail.csv",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "sample_code,land_use,ph,class,max_pi,max_pi_analyte,exceed_screening,exceed_intervention,flags");
    assert!(
        rows[1].starts_with("A,paddy,6") && rows[1].contains(",priority_protection,1.000000,Cd,"),
        "{}",
        rows[1]
    );
    assert!(
        rows[2].contains(",safe_utilization,1.025000,Cd,Cd,"),
        "{}",
        rows[2]
    );
    assert!(
        rows[3].contains(",strict_control,5.250000,Cd,Cd,Cd,"),
        "{}",
        rows[3]
    );
    assert!(dir.path().join("detail.csv").exists());

    // A bad row: reported with its line and column, its sample unclassified, exit 2.
    std::fs::write(
        &input,
        "sample_code,land_use,ph,analyte,value,unit\nA,paddy,6.0,Cd,0.3,mg/kg\nB,paddy,6.0,Cd,abc,mg/kg\n",
    )
    .unwrap();
    let out = run(
        dir.path(),
        &["evaluate", "--input", "in.csv", "--output", "out.csv"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3") && err.contains("value"), "{err}");
    let text = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
    assert!(
        text.lines().nth(2).unwrap().starts_with("B,paddy,6.0,,"),
        "{text}"
    );

    let out = run(
        dir.path(),
        &["evaluate", "--input", "missing.csv", "--output", "out.csv"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.csv"));
}

#[test]
fn evaluate_with_a_local_overlay() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("in.csv"),
        "sample_code,land_use,ph,analyte,value,unit\nA,paddy,6.0,Cd,0.38,mg/kg\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("local.csv"),
        "analyte,land_use,ph_band,land_class,value_type,value,unit,source\nCd,paddy,5.5-6.5,,screening,0.35,mg/kg,州标准\n",
    )
    .unwrap();
    let out = run(
        dir.path(),
        &["evaluate", "--input", "in.csv", "--output", "national.csv"],
    );
    assert_eq!(out.status.code(), Some(0));
    let national = std::fs::read_to_string(dir.path().join("national.csv")).unwrap();
    assert!(national.contains(",priority_protection,"), "{national}");
    let out = run(
        dir.path(),
        &[
            "evaluate",
            "--input",
            "in.csv",
            "--output",
            "local.out.csv",
            "--overlay",
            "local.csv",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let local = std::fs::read_to_string(dir.path().join("local.out.csv")).unwrap();
    assert!(local.contains(",safe_utilization,"), "{local}");
    // Laxer than national: refused with the values named.
    std::fs::write(
        dir.path().join("lax.csv"),
        "analyte,land_use,ph_band,land_class,value_type,value,unit,source\nCd,paddy,5.5-6.5,,screening,0.5,mg/kg,x\n",
    )
    .unwrap();
    let out = run(
        dir.path(),
        &[
            "evaluate",
            "--input",
            "in.csv",
            "--output",
            "x.csv",
            "--overlay",
            "lax.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("0.5") && err.contains("0.4"), "{err}");
}
