//! End-to-end (issue 11): the real `soilwatch` binary on a free port, read by a real GIS client,
//! GDAL's OGR (OAPIF driver for OGC API – Features; GPKG, GeoJSON and CSV drivers for the
//! exports). Skips with a message when `ogrinfo` is not installed (`apt-get install gdal-bin`).

#![expect(
    clippy::unwrap_used,
    reason = "end-to-end tests: a panic is a failed test"
)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use std::sync::OnceLock;

use soilwatch_test_utils::{http_get, http_get_with};

/// An administrator's API token: the layers need a signed-in user, and the classification units
/// (the agriculture bureau's conditional dataset, issue 9) one the sharing catalogue allows.
static TOKEN: OnceLock<String> = OnceLock::new();

const BIN: &str = env!("CARGO_BIN_EXE_soilwatch");

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

fn clean(cmd: &mut Command) -> &mut Command {
    cmd.env_remove("SOILWATCH_DB")
        .env_remove("SOILWATCH_BIND")
        .env_remove("SOILWATCH_DEMO")
        .env_remove("SOILWATCH_DEMO_POINTS")
        .env_remove("SOILWATCH_DEMO_SEED")
}

fn serve(dir: &Path, db: &str) -> Server {
    let mut cmd = Command::new(BIN);
    clean(&mut cmd)
        .args(["serve", "--bind", "127.0.0.1:0", "--db", db])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut server = Server {
        child: cmd.spawn().unwrap(),
        addr: String::new(),
    };
    let stdout = server.child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(120);
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

fn have_ogr() -> bool {
    let ok = Command::new("ogrinfo")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: ogrinfo (GDAL) is not installed; apt-get install gdal-bin");
    }
    ok
}

/// Run an OGR tool; panics with its output on failure.
fn ogr(tool: &str, args: &[&str]) -> String {
    let mut cmd = Command::new(tool);
    if let Some(t) = TOKEN.get() {
        // GDAL sends these headers with every HTTP request (GDAL 3.6+).
        cmd.env("GDAL_HTTP_HEADERS", format!("Authorization: Bearer {t}"));
    }
    let out = cmd
        .args(args)
        .env("GDAL_HTTP_TIMEOUT", "120")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{tool} {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// `Feature Count: N` of `ogrinfo -so` output.
fn feature_count(info: &str) -> u64 {
    info.lines()
        .find_map(|l| l.trim().strip_prefix("Feature Count: "))
        .unwrap_or_else(|| panic!("no feature count in\n{info}"))
        .trim()
        .parse()
        .unwrap()
}

fn geometry(info: &str) -> String {
    info.lines()
        .find_map(|l| l.trim().strip_prefix("Geometry: "))
        .unwrap_or_else(|| panic!("no geometry in\n{info}"))
        .trim()
        .to_owned()
}

fn matched(addr: &str, collection: &str) -> u64 {
    let (status, body) = http_get_with(
        addr,
        &format!("/ogc/collections/{collection}/items?limit=1"),
        TOKEN.get().map(String::as_str),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["numberMatched"].as_u64().unwrap()
}

#[test]
fn gdal_reads_the_ogc_api_and_every_export() {
    if !have_ogr() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Command::new(BIN);
    let out = clean(&mut demo)
        .args(["demo", "--db", "sqlite://ogc.db", "--points", "30"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    TOKEN
        .set(cli_token(dir.path(), "gis", "administrator"))
        .unwrap();
    let admin = cli_token(dir.path(), "gis-admin", "administrator");
    let server = serve(dir.path(), "sqlite://ogc.db");
    let url = format!("OAPIF:http://{}/ogc", server.addr);
    register(&server.addr, &admin);

    // The layers.
    let list = ogr("ogrinfo", &["-ro", "-q", &url]);
    for layer in [
        "divisions",
        "points",
        "samples",
        "classification_units",
        "plots",
        "enterprises",
        "tailings_ponds",
        "remediation_projects",
    ] {
        assert!(list.contains(layer), "{layer} not listed:\n{list}");
    }

    // Each layer: count, geometry type, fields.
    let cases: [(&str, &str, &[&str]); 8] = [
        (
            "divisions",
            "Multi Polygon",
            &["code", "name", "level", "area_km2"],
        ),
        (
            "points",
            "Point",
            &["code", "point_type", "control_level", "division", "status"],
        ),
        (
            "samples",
            "Point",
            &["code", "medium", "sampled_on", "ruleset", "class"],
        ),
        (
            "plots",
            "Multi Polygon",
            &["code", "status", "area_m2", "former_use"],
        ),
        ("enterprises", "Point", &["uscc", "industry", "listed_year"]),
        (
            "tailings_ponds",
            "Point",
            &["code", "enterprise_uscc", "status"],
        ),
        (
            "remediation_projects",
            "Multi Polygon",
            &["code", "plot_code", "status", "started_on"],
        ),
        (
            "classification_units",
            "Multi Polygon",
            &["run", "unit", "final_class", "area_mu"],
        ),
    ];
    for (layer, geom, fields) in cases {
        let expect = matched(&server.addr, layer);
        assert!(expect > 0, "{layer} is empty");
        let info = ogr("ogrinfo", &["-ro", "-so", "-al", &url, layer]);
        assert_eq!(feature_count(&info), expect, "{layer}:\n{info}");
        assert_eq!(geometry(&info), geom, "{layer}:\n{info}");
        for f in fields {
            assert!(
                info.contains(&format!("\n{f}: ")),
                "{layer} lacks field {f}:\n{info}"
            );
        }

        // ogr2ogr copies the layer, every feature, into a GeoPackage.
        let copy = dir.path().join(format!("{layer}-copy.gpkg"));
        ogr(
            "ogr2ogr",
            &["-f", "GPKG", copy.to_str().unwrap(), &url, layer],
        );
        let info = ogr("ogrinfo", &["-ro", "-so", "-al", copy.to_str().unwrap()]);
        assert_eq!(feature_count(&info), expect, "copy of {layer}:\n{info}");
        if layer == "plots" {
            read_back_plots(&copy, expect, dir.path());
        }

        // The exports: GeoPackage, GeoJSON, CSV with WKT, each with every feature.
        for ext in ["gpkg", "geojson", "csv"] {
            let file = dir.path().join(format!("{layer}.{ext}"));
            let body = fetch(&server.addr, &format!("/api/v1/exports/{layer}.{ext}"));
            std::fs::File::create(&file)
                .unwrap()
                .write_all(&body)
                .unwrap();
            let path = file.to_str().unwrap().to_owned();
            let mut args = vec!["-ro", "-so", "-al"];
            if ext == "csv" {
                args.extend([
                    "-oo",
                    "GEOM_POSSIBLE_NAMES=wkt",
                    "-oo",
                    "KEEP_GEOM_COLUMNS=NO",
                ]);
            }
            args.push(&path);
            let info = ogr("ogrinfo", &args);
            assert_eq!(feature_count(&info), expect, "{layer}.{ext}:\n{info}");
            if ext == "csv" {
                // A CSV declares no geometry type; the `wkt` column is read as the geometry.
                assert!(
                    info.contains("Extent: ("),
                    "{layer}.csv has no geometry:\n{info}"
                );
            } else {
                assert_eq!(geometry(&info), geom, "{layer}.{ext}:\n{info}");
            }
            if ext == "gpkg" {
                assert!(
                    info.contains("China Geodetic Coordinate System 2000")
                        || info.contains("CGCS2000"),
                    "{layer}.gpkg is not in CGCS2000:\n{info}"
                );
                // The R-tree index holds one entry per feature, and answers a spatial filter.
                let rtree = ogr(
                    "ogrinfo",
                    &[
                        "-ro",
                        &path,
                        "-sql",
                        &format!("SELECT COUNT(*) AS entries FROM \"rtree_{layer}_geom\""),
                    ],
                );
                assert!(
                    rtree.contains(&format!("entries (Integer) = {expect}")),
                    "{layer}.gpkg R-tree:\n{rtree}"
                );
                let all = ogr(
                    "ogrinfo",
                    &["-ro", "-so", "-al", "-spat", "90", "20", "110", "35", &path],
                );
                assert_eq!(feature_count(&all), expect);
                let none = ogr(
                    "ogrinfo",
                    &["-ro", "-so", "-al", "-spat", "0", "0", "1", "1", &path],
                );
                assert_eq!(feature_count(&none), 0);
            }
        }
    }
}

/// GET raw bytes (exports are binary).
fn fetch(addr: &str, path: &str) -> Vec<u8> {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let auth = TOKEN
        .get()
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let body = raw[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        dechunk(&body)
    } else {
        body
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let n = usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 2 + n + 2..];
    }
}

/// Register a plot, an enterprise and a tailings pond near 会理市's seat through the API.
fn register(addr: &str, token: &str) {
    let (_, body) = http_get(addr, "/api/v1/divisions/513402?boundary=false").unwrap();
    let d: serde_json::Value = serde_json::from_str(&body).unwrap();
    let (x, y) = (
        d["center"][0].as_f64().unwrap(),
        d["center"][1].as_f64().unwrap(),
    );
    let h = 0.001;
    let ring = serde_json::json!([[
        [x - h, y - h],
        [x + h, y - h],
        [x + h, y + h],
        [x - h, y + h],
        [x - h, y - h]
    ]]);
    let writes = [
        (
            "/api/v1/plots",
            serde_json::json!({
            "code": "HL-P-001", "name": "某冶炼厂旧址", "division": "513402",
            "boundary": {"type": "Polygon", "coordinates": ring}, "former_use": "铅锌冶炼",
            "identified_on": "2024-03-01", "reason": "issue 11 test"}),
        ),
        (
            "/api/v1/enterprises",
            serde_json::json!({
            "uscc": "91350100M000100Y43", "name": "会理某铅锌冶炼有限公司",
            "industry": "nonferrous_smelting", "division": "513402", "lon": x, "lat": y,
            "listed_year": 2019, "status": "operating", "reason": "issue 11 test"}),
        ),
        (
            "/api/v1/tailings-ponds",
            serde_json::json!({
            "code": "TP-001", "name": "某尾矿库", "enterprise_uscc": "91350100M000100Y43",
            "division": "513402", "lon": x + h, "lat": y + h, "status": "operating",
            "reason": "issue 11 test"}),
        ),
        (
            "/api/v1/remediation-projects",
            serde_json::json!({
            "code": "PRJ-1", "name": "原冶炼厂治理修复工程", "plot_code": "HL-P-001",
            "mode": "remediation", "responsible_unit": "会理市某公司", "technique": "异位固化/稳定化",
            "started_on": "2024-06-01", "supervisors": ["工程监理甲", "环境监理乙"],
            "reason": "issue 11 test"}),
        ),
        (
            // 会理市 has no parcels: a 5 km grid clipped to the county.
            "/api/v1/classification/runs",
            serde_json::json!({"year": 2025, "county": "513402", "grid_cell_m": 5000}),
        ),
    ];
    for (path, body) in writes {
        let (status, text) = post(addr, path, &body.to_string(), token);
        assert!(status == 201 || status == 200, "{path}: {status} {text}");
    }
}

fn post(addr: &str, path: &str, body: &str, token: &str) -> (u16, String) {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let status = raw.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, raw)
}

/// Create a user of a role with an API token (`soilwatch user add`, `soilwatch user token`).
fn cli_token(dir: &Path, name: &str, role: &str) -> String {
    let mut add = Command::new(BIN);
    let mut child = clean(&mut add)
        .args([
            "user",
            "add",
            name,
            "--role",
            role,
            "--db",
            "sqlite://ogc.db",
        ])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"GIS user password 1\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut token = Command::new(BIN);
    let out = clean(&mut token)
        .args(["user", "token", name, "--db", "sqlite://ogc.db"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The GeoPackage reader of parcel and plot imports reads the GeoPackage GDAL wrote (WGS 84) and
/// refuses a Web Mercator one, naming its CRS.
fn read_back_plots(copy: &Path, expect: u64, dir: &Path) {
    use soilwatch_web::ogc::gpkg_read::read_gpkg_features;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let bytes = std::fs::read(copy).unwrap();
    let features = rt.block_on(read_gpkg_features(&bytes, None)).unwrap();
    assert_eq!(features.len() as u64, expect);
    assert!(features[0]
        .properties
        .iter()
        .any(|(k, v)| k == "code" && v == "HL-P-001"));
    assert!(features[0].geometry.is_some());
    let mercator = dir.join("plots-3857.gpkg");
    ogr(
        "ogr2ogr",
        &[
            "-f",
            "GPKG",
            "-t_srs",
            "EPSG:3857",
            mercator.to_str().unwrap(),
            copy.to_str().unwrap(),
        ],
    );
    let bytes = std::fs::read(&mercator).unwrap();
    let e = rt.block_on(read_gpkg_features(&bytes, None)).unwrap_err();
    assert!(e.to_string().contains("EPSG:3857"), "{e}");
}
