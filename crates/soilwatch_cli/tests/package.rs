//! `soilwatch export-package` / `import-package` with the real binary (issue 9): a county
//! instance's year goes to another instance with the same counts, twice is unchanged, and a
//! tampered package is refused with nothing stored.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_soilwatch");

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("SOILWATCH_DB")
        .env("SOILWATCH_LOG", "warn")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The number before `label` in a line like `… 12 samples, …`.
fn count(s: &str, label: &str) -> u64 {
    let i = s
        .find(label)
        .unwrap_or_else(|| panic!("no '{label}' in {s}"));
    s[..i].split_whitespace().last().unwrap().parse().unwrap()
}

#[test]
fn a_county_year_moves_between_instances_verified() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &["demo", "--db", "sqlite://county.db", "--points", "40"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = run(
        dir.path(),
        &[
            "export-package",
            "--db",
            "sqlite://county.db",
            "--year",
            "2025",
            "--county",
            "513402",
            "--output",
            "p.zip",
        ],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let sample_rows = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("samples.csv"))
        .map(|l| count(l, "rows"))
        .unwrap();
    assert!(sample_rows > 0, "{stdout}");

    // A tampered package: refused (exit 2) naming the file, nothing stored.
    let mut bytes = std::fs::read(dir.path().join("p.zip")).unwrap();
    let n = bytes.len();
    bytes.truncate(n - 40);
    std::fs::write(dir.path().join("cut.zip"), &bytes).unwrap();
    let out = run(
        dir.path(),
        &[
            "import-package",
            "--db",
            "sqlite://prefecture.db",
            "cut.zip",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("cut.zip"),
        "{}",
        text(&out.stderr)
    );

    let out = run(
        dir.path(),
        &["import-package", "--db", "sqlite://prefecture.db", "p.zip"],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert_eq!(count(&stdout, "samples,"), sample_rows, "{stdout}");
    let again = run(
        dir.path(),
        &["import-package", "--db", "sqlite://prefecture.db", "p.zip"],
    );
    assert_eq!(again.status.code(), Some(0));
    assert!(
        text(&again.stdout).starts_with("unchanged"),
        "{}",
        text(&again.stdout)
    );

    // Unknown county: the option is named.
    let out = run(
        dir.path(),
        &[
            "export-package",
            "--db",
            "sqlite://county.db",
            "--year",
            "2025",
            "--county",
            "5134",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--county"),
        "{}",
        text(&out.stderr)
    );
}
