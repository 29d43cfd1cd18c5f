//! End-to-end in a real browser (issue 7): the real `soilwatch` binary with the demonstration
//! data and a classification run, driven in Debian's headless Chromium (`/usr/bin/chromium`, or
//! `SOILWATCH_CHROMIUM`) over the DevTools protocol. A data officer signs in through the form,
//! uploads a results file and sees its report, opens the dashboard (switching the map to the
//! exceedance measure), a county page, the classification map, and the English dashboard.
//! Screenshots are saved under `target/browser-screenshots/` as artefacts.
//!
//! Skips with a message when Chromium is not installed (`.ci/run` installs it).

#![expect(
    clippy::unwrap_used,
    reason = "end-to-end tests: a panic is a failed test"
)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::types::Bounds;
use headless_chrome::{Browser, LaunchOptions, Tab};

const BIN: &str = env!("CARGO_BIN_EXE_soilwatch");

/// A running `soilwatch serve --demo`; killed on drop.
struct Server {
    child: Child,
    addr: String,
    /// (username, one-time password) printed at start.
    accounts: Vec<(String, String)>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromium() -> Option<PathBuf> {
    std::env::var_os("SOILWATCH_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/usr/bin/chromium")))
        .filter(|p| p.exists())
}

fn run(dir: &Path, args: &[&str]) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("SOILWATCH_DB")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "soilwatch {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Start `serve --demo` on a free port; read the address and the demo accounts from stdout.
fn serve(dir: &Path, db: &str) -> Server {
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--db", db, "--demo"])
        .current_dir(dir)
        .env_remove("SOILWATCH_DB")
        .env_remove("SOILWATCH_BIND")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut server = Server {
        child,
        addr: String::new(),
        accounts: Vec::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(600);
    while server.addr.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx.recv_timeout(left).expect("server did not start in time");
        if let Some(url) = line.strip_prefix("soilwatch listening on http://") {
            server.addr = url.trim().to_owned();
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() == 3 && words[0].starts_with("demo-") {
            server
                .accounts
                .push((words[0].to_owned(), words[2].to_owned()));
        }
    }
    server
}

fn shot(tab: &Tab, dir: &Path, name: &str) -> PathBuf {
    let png = tab
        .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
        .unwrap();
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    path
}

/// Wait until the tab's address contains `needle` (a form submission or a click may start the
/// navigation a moment after the click returns); the sign-in page does not count.
fn wait_url(tab: &Tab, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let url = tab.get_url();
        if url.contains(needle) && !url.contains("/login") {
            tab.wait_until_navigated().unwrap();
            return url;
        }
        assert!(
            Instant::now() < deadline,
            "still at {url}, expected {needle}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn open(tab: &Tab, url: &str) -> String {
    tab.navigate_to(url).unwrap();
    tab.wait_until_navigated().unwrap();
    tab.get_content().unwrap()
}

#[test]
fn sign_in_upload_dashboard_and_classification_map_in_chromium() {
    let Some(chrome) = chromium() else {
        eprintln!(
            "skipped: Chromium not found at /usr/bin/chromium (apt-get install chromium, or set \
             SOILWATCH_CHROMIUM)"
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let artefacts = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/browser-screenshots")
        .canonicalize()
        .unwrap_or_else(|_| {
            let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-screenshots");
            std::fs::create_dir_all(&p).unwrap();
            p.canonicalize().unwrap()
        });
    // The demo data (loaded by the first serve), then a classification run of 会理市 with a
    // coarse grid so the test stays short.
    let db = "browser.db";
    let server = serve(tmp.path(), db);
    run(
        tmp.path(),
        &[
            "classify",
            "--db",
            db,
            "--year",
            "2025",
            "--county",
            "513402",
            "--grid-cell-m",
            "5000",
        ],
    );
    let base = format!("http://{}", server.addr);
    let (user, password) = server
        .accounts
        .iter()
        .find(|(u, _)| u == "demo-officer")
        .cloned()
        .expect("serve --demo prints the demo officer's password");

    let browser = Browser::new(
        LaunchOptions::default_builder()
            .path(Some(chrome))
            .headless(true)
            .sandbox(false)
            .window_size(Some((1280, 1400)))
            .args(vec![OsStr::new("--disable-dev-shm-usage")])
            .idle_browser_timeout(Duration::from_secs(300))
            .build()
            .unwrap(),
    )
    .unwrap();
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(120));

    // Sign in through the form (CSRF double-submit cookie and all).
    let html = open(&tab, &format!("{base}/login?next=/imports"));
    assert!(html.contains("name=\"username\""), "{html}");
    tab.wait_for_element("input[name=username]")
        .unwrap()
        .click()
        .unwrap();
    tab.type_str(&user).unwrap();
    tab.wait_for_element("input[name=password]")
        .unwrap()
        .click()
        .unwrap();
    tab.type_str(&password).unwrap();
    tab.wait_for_element("form button[type=submit]")
        .unwrap()
        .click()
        .unwrap();
    wait_url(&tab, "/imports");

    // Upload a results file and see its report.
    let csv = tmp.path().join("browser-results.csv");
    std::fs::write(
        &csv,
        "样品编号,样品类型,采样日期,行政区划代码,土地利用类型,检测项目,检测值,单位\n\
         BR-1,土壤,2025-09-01,513402,水田,镉,0.45,mg/kg\n\
         BR-1,土壤,2025-09-01,513402,水田,pH,6.2,无量纲\n",
    )
    .unwrap();
    tab.wait_for_element("input[type=file]")
        .unwrap()
        .set_input_files(&[csv.to_str().unwrap()])
        .unwrap();
    tab.wait_for_element("form[enctype='multipart/form-data'] button[type=submit]")
        .unwrap()
        .click()
        .unwrap();
    wait_url(&tab, "/imports?csrf=");
    let report = tab
        .wait_for_element("main")
        .unwrap()
        .get_inner_text()
        .unwrap();
    assert!(report.contains("browser-results.csv"), "{report}");
    // The report of the batch: stored, no errors.
    assert!(report.contains("已入库。"), "{report}");
    assert!(report.contains("0 个错误"), "{report}");
    shot(&tab, &artefacts, "1-import-report");

    // The dashboard, then the map switched to the exceedance measure through the form.
    let html = open(&tab, &format!("{base}/?year=2025"));
    assert!(html.contains("土壤环境概况"));
    assert!(html.contains("<svg") && html.contains("指北针"));
    shot(&tab, &artefacts, "2-dashboard");
    tab.wait_for_element("select#measure").unwrap();
    tab.evaluate(
        "document.querySelector('select#measure').value = 'exceedance'",
        false,
    )
    .unwrap();
    tab.wait_for_element("form.filters button[type=submit]")
        .unwrap()
        .click()
        .unwrap();
    wait_url(&tab, "measure=exceedance");
    let legend = tab.get_content().unwrap();
    assert!(legend.contains("超筛选值比例"));
    // The counties are links in the map: follow 会理市.
    tab.wait_for_element("svg.map a[href='/counties/513402'] path")
        .unwrap()
        .click()
        .unwrap();
    wait_url(&tab, "/counties/513402");
    let county = tab.get_content().unwrap();
    assert!(county.contains("会理市") && county.contains("<circle class=\"dot\""));
    shot(&tab, &artefacts, "3-county");

    // The classification map of the run.
    let run_link = tab
        .wait_for_element("a[href^='/classification/runs/']")
        .unwrap()
        .get_attribute_value("href")
        .unwrap()
        .unwrap();
    let html = open(&tab, &format!("{base}{run_link}"));
    assert!(html.contains("评价单元分类图"), "{run_link}");
    assert!(html.contains("class=\"unit\""));
    shot(&tab, &artefacts, "4-classification-map");

    // English, remembered.
    open(&tab, &format!("{base}/?lang=en"));
    let html = open(&tab, &format!("{base}/points"));
    assert!(html.contains("Monitoring points") && html.contains(">Home<"));
    open(&tab, &format!("{base}/?lang=en"));
    shot(&tab, &artefacts, "5-dashboard-en");

    // A tablet, 768 px wide: the dashboard and the list pages fit the width (wide tables scroll
    // inside themselves), nothing scrolls the page sideways.
    tab.set_bounds(Bounds::Normal {
        left: Some(0),
        top: Some(0),
        width: Some(768.0),
        height: Some(1024.0),
    })
    .unwrap();
    for (path, name) in [
        ("/?lang=zh&year=2025", "6-dashboard-tablet"),
        ("/points", "7-points-tablet"),
        ("/results?division=513402", "8-results-tablet"),
    ] {
        open(&tab, &format!("{base}{path}"));
        let widths = tab
            .evaluate(
                "[document.documentElement.scrollWidth, document.body.scrollWidth, \
                 window.innerWidth].join(',')",
                false,
            )
            .unwrap()
            .value
            .unwrap();
        let w: Vec<u32> = widths
            .as_str()
            .unwrap()
            .split(',')
            .map(|n| n.parse().unwrap())
            .collect();
        let inner = w[2];
        assert!((700..=800).contains(&inner), "{path}: viewport {inner} px");
        assert!(
            w[0] <= inner && w[1] <= inner,
            "{path}: the page is {} / {} px wide in a {inner} px viewport",
            w[0],
            w[1]
        );
        shot(&tab, &artefacts, name);
    }
    eprintln!("screenshots in {}", artefacts.display());
}
