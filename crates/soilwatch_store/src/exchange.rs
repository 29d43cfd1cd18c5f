//! Exchange packages (issue 9, work-plan items 3 and 20): a county instance exports a year of
//! observation data to the prefecture, the prefecture to the province.
//!
//! A package is a zip: `points.csv` (attributes) with `points.geojson` (the geometries),
//! `samples.csv` and `results.csv` (UTF-8), and `manifest.json` with the format, the schema
//! version, the scope, and per file its rows, bytes and SHA-256. [`import_package`] verifies
//! every checksum and count before anything is stored, refuses a tampered or truncated package
//! naming the file, and commits through the import pipeline's one transaction
//! ([`ImportStore::commit_import`](crate::ImportStore::commit_import)): idempotent (the batch's
//! checksum is that of the package's content, so the same data again changes nothing).

use std::collections::{BTreeMap, HashMap};
use std::io::{Cursor, Read, Write};

use chrono::{NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use soilwatch_core::{
    AnalysisResult, DivisionCode, LonLat, MonitoringPoint, Sample, SampleWithResults,
};

use crate::network::FindQuery;
use crate::{ImportBatch, ImportChanges, NewImport, PointQuery, Store, StoreError, StoreResult};

/// The package format this version writes and reads.
pub const PACKAGE_FORMAT: &str = "soilwatch-exchange/1";

const POINT_COLUMNS: [&str; 9] = [
    "code",
    "name",
    "point_type",
    "control_level",
    "division",
    "land_use",
    "risk_category",
    "established_on",
    "retired_on",
];
const SAMPLE_COLUMNS: [&str; 10] = [
    "code",
    "point_code",
    "medium",
    "division",
    "sampled_on",
    "land_use",
    "crop",
    "depth_top_cm",
    "depth_bottom_cm",
    "lab",
];
const RESULT_COLUMNS: [&str; 7] = [
    "sample_code",
    "analyte",
    "value",
    "unit",
    "detection_limit",
    "qualifier",
    "method",
];

/// One file of a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub name: String,
    /// Data rows (CSV) or features (GeoJSON).
    pub rows: u64,
    pub bytes: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    /// The newest migration of the exporting instance.
    pub schema_version: i64,
    pub year: i32,
    /// The county exported, or none for every division of the instance.
    pub county: Option<String>,
    pub created_at: String,
    pub files: Vec<ManifestFile>,
}

impl Manifest {
    /// The checksum of the content: SHA-256 over the files' names and checksums (not the time
    /// of export), so that the same data exported twice is recognised.
    pub fn content_checksum(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.format.as_bytes());
        for f in &self.files {
            h.update(f.name.as_bytes());
            h.update(b"\0");
            h.update(f.sha256.as_bytes());
            h.update(b"\n");
        }
        hex(&h.finalize())
    }
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PackageOutcome {
    Imported {
        batch: ImportBatch,
        manifest: Manifest,
    },
    /// The same content was imported before: nothing changed.
    Unchanged { batch: ImportBatch },
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn refused(msg: String) -> StoreError {
    StoreError::Invalid(format!(
        "交换包被拒收，未入库 / exchange package refused, nothing stored: {msg}"
    ))
}

/// A value as a CSV cell: strings as they are, nothing as empty, other values as JSON.
fn enc<T: Serialize>(v: &T) -> StoreResult<String> {
    match serde_json::to_value(v).map_err(|e| StoreError::Invalid(e.to_string()))? {
        serde_json::Value::Null => Ok(String::new()),
        serde_json::Value::String(s) => Ok(s),
        other => Ok(other.to_string()),
    }
}

/// A CSV cell back as a value: empty is nothing, then the text, then the text as JSON.
fn dec<T: DeserializeOwned>(file: &str, row: usize, column: &str, cell: &str) -> StoreResult<T> {
    let v = if cell.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::Value::String(cell.to_owned())
    };
    serde_json::from_value(v)
        .or_else(|e| serde_json::from_str(cell).map_err(|_| e))
        .map_err(|e| {
            refused(format!(
                "文件 {file} 第 {row} 行 {column} 列：值 '{cell}' 无效（{e}）/ file {file}, row \
                 {row}, column {column}: invalid value '{cell}' ({e})"
            ))
        })
}

fn csv_bytes(header: &[&str], rows: &[Vec<String>]) -> StoreResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let e = |e: csv::Error| StoreError::Backend(e.to_string());
    w.write_record(header).map_err(e)?;
    for r in rows {
        w.write_record(r).map_err(e)?;
    }
    w.into_inner()
        .map_err(|e| StoreError::Backend(e.to_string()))
}

/// Read a CSV of a package: checks the header; returns the rows as maps of column to cell.
fn read_csv(
    file: &str,
    bytes: &[u8],
    header: &[&str],
) -> StoreResult<Vec<HashMap<String, String>>> {
    let mut r = csv::Reader::from_reader(bytes);
    let found: Vec<String> = r
        .headers()
        .map_err(|e| {
            refused(format!(
                "文件 {file}：无法读取表头 / file {file}: unreadable header ({e})"
            ))
        })?
        .iter()
        .map(str::to_owned)
        .collect();
    if found != header {
        return Err(refused(format!(
            "文件 {file}：表头应为 {} / file {file}: the header must be {}, found {}",
            header.join(","),
            header.join(","),
            found.join(",")
        )));
    }
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| {
            refused(format!(
                "文件 {file} 第 {} 行无法读取 / file {file}, row {}: {e}",
                i + 2,
                i + 2
            ))
        })?;
        out.push(
            header
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| ((*h).to_owned(), v.to_owned()))
                .collect(),
        );
    }
    Ok(out)
}

/// Export a year of observation data (of one county, or every division) as a package.
pub async fn export_package(
    store: &dyn Store,
    year: i32,
    county: Option<DivisionCode>,
) -> StoreResult<(Vec<u8>, Manifest)> {
    let from = NaiveDate::from_ymd_opt(year, 1, 1)
        .ok_or_else(|| StoreError::Invalid(format!("year {year}")))?;
    let to = NaiveDate::from_ymd_opt(year, 12, 31)
        .ok_or_else(|| StoreError::Invalid(format!("year {year}")))?;
    let base = FindQuery {
        division: county,
        from: Some(from),
        to: Some(to),
        limit: 10_000,
        ..FindQuery::default()
    };
    // Page through the samples and the results (keyset paging: stable).
    let mut samples = Vec::new();
    let mut q = base.clone();
    loop {
        let page = store.find_samples(&q).await?;
        samples.extend(page.items.into_iter().map(|s| s.sample));
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    let mut results = Vec::new();
    let mut q = base;
    loop {
        let page = store.find_results(&q).await?;
        results.extend(page.items.into_iter().map(|r| r.row.result));
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    samples.sort_by(|a, b| a.code.cmp(&b.code));
    results.sort_by(|a, b| (&a.sample_code, &a.analyte).cmp(&(&b.sample_code, &b.analyte)));
    // The points: every point of the scope, and any point a sample names outside it.
    let mut points: BTreeMap<String, MonitoringPoint> = store
        .list_points(&PointQuery { division: county })
        .await?
        .into_iter()
        .map(|p| (p.code.clone(), p))
        .collect();
    for s in &samples {
        if let Some(pc) = &s.point_code {
            if !points.contains_key(pc) {
                points.insert(pc.clone(), store.get_point(pc).await?);
            }
        }
    }

    let mut point_rows = Vec::new();
    let mut features = Vec::new();
    for p in points.values() {
        point_rows.push(vec![
            p.code.clone(),
            p.name.clone(),
            enc(&p.point_type)?,
            enc(&p.control_level)?,
            enc(&p.division)?,
            enc(&p.land_use)?,
            enc(&p.risk_category)?,
            enc(&p.established_on)?,
            enc(&p.retired_on)?,
        ]);
        features.push(serde_json::json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [p.location.lon(), p.location.lat()]},
            "properties": {"code": p.code, "name": p.name},
        }));
    }
    let mut sample_rows = Vec::new();
    for s in &samples {
        sample_rows.push(vec![
            s.code.clone(),
            enc(&s.point_code)?,
            enc(&s.medium)?,
            enc(&s.division)?,
            enc(&s.sampled_on)?,
            enc(&s.land_use)?,
            enc(&s.crop)?,
            enc(&s.depth_cm.map(|d| d.0))?,
            enc(&s.depth_cm.map(|d| d.1))?,
            enc(&s.lab)?,
        ]);
    }
    let mut result_rows = Vec::new();
    for r in &results {
        result_rows.push(vec![
            r.sample_code.clone(),
            r.analyte.clone(),
            enc(&r.value)?,
            enc(&r.unit)?,
            enc(&r.detection_limit)?,
            enc(&r.qualifier)?,
            enc(&r.method)?,
        ]);
    }
    let geojson = serde_json::to_vec_pretty(&serde_json::json!({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
        "features": features,
    }))
    .map_err(|e| StoreError::Backend(e.to_string()))?;
    let files: Vec<(&str, Vec<u8>, usize)> = vec![
        (
            "points.csv",
            csv_bytes(&POINT_COLUMNS, &point_rows)?,
            point_rows.len(),
        ),
        ("points.geojson", geojson, points.len()),
        (
            "samples.csv",
            csv_bytes(&SAMPLE_COLUMNS, &sample_rows)?,
            sample_rows.len(),
        ),
        (
            "results.csv",
            csv_bytes(&RESULT_COLUMNS, &result_rows)?,
            result_rows.len(),
        ),
    ];
    let manifest = Manifest {
        format: PACKAGE_FORMAT.into(),
        schema_version: store.schema_version().await?,
        year,
        county: county.map(|c| c.to_string()),
        created_at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        files: files
            .iter()
            .map(|(name, bytes, rows)| ManifestFile {
                name: (*name).into(),
                rows: *rows as u64,
                bytes: bytes.len() as u64,
                sha256: sha256(bytes),
            })
            .collect(),
    };
    let zerr = |e: zip::result::ZipError| StoreError::Backend(format!("zip: {e}"));
    let ioerr = |e: std::io::Error| StoreError::Backend(format!("zip: {e}"));
    let mut zw = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zw.start_file("manifest.json", opts).map_err(zerr)?;
    zw.write_all(
        &serde_json::to_vec_pretty(&manifest).map_err(|e| StoreError::Backend(e.to_string()))?,
    )
    .map_err(ioerr)?;
    for (name, bytes, _) in &files {
        zw.start_file(*name, opts).map_err(zerr)?;
        zw.write_all(bytes).map_err(ioerr)?;
    }
    let bytes = zw.finish().map_err(zerr)?.into_inner();
    Ok((bytes, manifest))
}

/// Read and verify a package: the manifest, every file's size and SHA-256, no file missing or
/// added. Returns the manifest and the files' bytes.
pub fn verify_package(
    bytes: &[u8],
    schema_version: i64,
) -> StoreResult<(Manifest, HashMap<String, Vec<u8>>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        refused(format!(
            "不是完整的 zip 文件（可能被截断）/ not a complete zip file (truncated?): {e}"
        ))
    })?;
    let mut files: HashMap<String, Vec<u8>> = HashMap::new();
    for i in 0..zip.len() {
        let mut f = zip
            .by_index(i)
            .map_err(|e| refused(format!("zip 条目 {i} 无法读取 / zip entry {i}: {e}")))?;
        let name = f
            .name()
            .map_err(|e| refused(format!("zip 条目 {i} 名称无效 / zip entry {i}: {e}")))?
            .into_owned();
        let mut buf = Vec::new();
        f.read_to_end(&mut buf)
            .map_err(|e| refused(format!("文件 {name} 已损坏 / file {name} is damaged: {e}")))?;
        files.insert(name, buf);
    }
    let manifest: Manifest = serde_json::from_slice(
        files
            .get("manifest.json")
            .ok_or_else(|| refused("缺少 manifest.json / manifest.json is missing".into()))?,
    )
    .map_err(|e| {
        refused(format!(
            "manifest.json 无效 / manifest.json is invalid: {e}"
        ))
    })?;
    if manifest.format != PACKAGE_FORMAT {
        return Err(refused(format!(
            "格式应为 {PACKAGE_FORMAT} / the format must be {PACKAGE_FORMAT}, found '{}'",
            manifest.format
        )));
    }
    if manifest.schema_version > schema_version {
        return Err(refused(format!(
            "交换包的数据库版本 {} 高于本实例的 {schema_version}，请先升级 / the package's schema \
             version {} is newer than this instance's {schema_version}: upgrade first",
            manifest.schema_version, manifest.schema_version
        )));
    }
    for f in &manifest.files {
        let data = files
            .get(&f.name)
            .ok_or_else(|| refused(format!("缺少文件 {} / file {} is missing", f.name, f.name)))?;
        let sum = sha256(data);
        if data.len() as u64 != f.bytes || sum != f.sha256 {
            return Err(refused(format!(
                "文件 {} 的校验和不符（被修改或截断）/ file {}: checksum mismatch, the file was \
                 changed or truncated (expected SHA-256 {} and {} bytes, found {sum} and {} bytes)",
                f.name,
                f.name,
                f.sha256,
                f.bytes,
                data.len()
            )));
        }
    }
    for name in files.keys() {
        if name != "manifest.json" && !manifest.files.iter().any(|f| &f.name == name) {
            return Err(refused(format!(
                "文件 {name} 不在清单中 / file {name} is not in the manifest"
            )));
        }
    }
    for name in ["points.csv", "points.geojson", "samples.csv", "results.csv"] {
        if !files.contains_key(name) {
            return Err(refused(format!("缺少文件 {name} / file {name} is missing")));
        }
    }
    Ok((manifest, files))
}

fn rows_match(manifest: &Manifest, name: &str, found: usize) -> StoreResult<()> {
    let expected = manifest
        .files
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.rows)
        .unwrap_or_default();
    if expected != found as u64 {
        return Err(refused(format!(
            "文件 {name} 应有 {expected} 行，实有 {found} 行 / file {name}: the manifest says \
             {expected} rows, found {found}"
        )));
    }
    Ok(())
}

/// Parse a verified package into points, samples and results.
fn parse_package(
    manifest: &Manifest,
    files: &HashMap<String, Vec<u8>>,
) -> StoreResult<(Vec<MonitoringPoint>, Vec<SampleWithResults>)> {
    let get = |n: &str| files.get(n).map(Vec::as_slice).unwrap_or_default();
    // Geometries by point code.
    let fc: serde_json::Value = serde_json::from_slice(get("points.geojson")).map_err(|e| {
        refused(format!(
            "文件 points.geojson 无效 / file points.geojson: {e}"
        ))
    })?;
    let mut geom: HashMap<String, (f64, f64)> = HashMap::new();
    let features = fc["features"].as_array().cloned().unwrap_or_default();
    rows_match(manifest, "points.geojson", features.len())?;
    for (i, f) in features.iter().enumerate() {
        let code = f["properties"]["code"].as_str();
        let c = &f["geometry"]["coordinates"];
        match (code, c[0].as_f64(), c[1].as_f64()) {
            (Some(code), Some(x), Some(y)) => {
                geom.insert(code.to_owned(), (x, y));
            }
            _ => {
                return Err(refused(format!(
                    "文件 points.geojson 第 {} 个要素缺少编码或点坐标 / file points.geojson, \
                     feature {}: a code and a point geometry are required",
                    i + 1,
                    i + 1
                )))
            }
        }
    }
    let rows = read_csv("points.csv", get("points.csv"), &POINT_COLUMNS)?;
    rows_match(manifest, "points.csv", rows.len())?;
    let mut points = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let row = i + 2;
        let d = |c: &str| r.get(c).map(String::as_str).unwrap_or_default();
        let code = d("code").to_owned();
        let (x, y) = geom.get(&code).copied().ok_or_else(|| {
            refused(format!(
                "点位 {code} 在 points.geojson 中没有几何 / point {code} has no geometry in \
                 points.geojson"
            ))
        })?;
        points.push(MonitoringPoint {
            name: d("name").to_owned(),
            point_type: dec("points.csv", row, "point_type", d("point_type"))?,
            control_level: dec("points.csv", row, "control_level", d("control_level"))?,
            division: dec("points.csv", row, "division", d("division"))?,
            location: LonLat::new(x, y).map_err(|e| {
                refused(format!(
                    "points.geojson 点位 {code}: {e} / point {code}: {e}"
                ))
            })?,
            land_use: dec("points.csv", row, "land_use", d("land_use"))?,
            risk_category: dec("points.csv", row, "risk_category", d("risk_category"))?,
            established_on: dec("points.csv", row, "established_on", d("established_on"))?,
            retired_on: dec("points.csv", row, "retired_on", d("retired_on"))?,
            code,
        });
    }
    let rows = read_csv("samples.csv", get("samples.csv"), &SAMPLE_COLUMNS)?;
    rows_match(manifest, "samples.csv", rows.len())?;
    let mut samples: BTreeMap<String, SampleWithResults> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        let row = i + 2;
        let f = "samples.csv";
        let d = |c: &str| r.get(c).map(String::as_str).unwrap_or_default();
        let top: Option<u32> = dec(f, row, "depth_top_cm", d("depth_top_cm"))?;
        let bottom: Option<u32> = dec(f, row, "depth_bottom_cm", d("depth_bottom_cm"))?;
        let s = Sample {
            code: d("code").to_owned(),
            point_code: dec(f, row, "point_code", d("point_code"))?,
            medium: dec(f, row, "medium", d("medium"))?,
            division: dec(f, row, "division", d("division"))?,
            sampled_on: dec(f, row, "sampled_on", d("sampled_on"))?,
            land_use: dec(f, row, "land_use", d("land_use"))?,
            crop: dec(f, row, "crop", d("crop"))?,
            depth_cm: top.zip(bottom),
            lab: dec(f, row, "lab", d("lab"))?,
        };
        if samples.contains_key(&s.code) {
            return Err(refused(format!(
                "文件 samples.csv 第 {row} 行：样品 {} 重复 / file samples.csv, row {row}: sample \
                 {} appears twice",
                s.code, s.code
            )));
        }
        samples.insert(
            s.code.clone(),
            SampleWithResults {
                sample: s,
                results: Vec::new(),
            },
        );
    }
    let rows = read_csv("results.csv", get("results.csv"), &RESULT_COLUMNS)?;
    rows_match(manifest, "results.csv", rows.len())?;
    for (i, r) in rows.iter().enumerate() {
        let row = i + 2;
        let f = "results.csv";
        let d = |c: &str| r.get(c).map(String::as_str).unwrap_or_default();
        let res = AnalysisResult {
            sample_code: d("sample_code").to_owned(),
            analyte: d("analyte").to_owned(),
            value: dec(f, row, "value", d("value"))?,
            unit: dec(f, row, "unit", d("unit"))?,
            detection_limit: dec(f, row, "detection_limit", d("detection_limit"))?,
            qualifier: dec(f, row, "qualifier", d("qualifier"))?,
            method: dec(f, row, "method", d("method"))?,
        };
        res.validate().map_err(|e| {
            refused(format!(
                "文件 results.csv 第 {row} 行 / file results.csv, row {row}: {e}"
            ))
        })?;
        samples
            .get_mut(&res.sample_code)
            .ok_or_else(|| {
                refused(format!(
                    "文件 results.csv 第 {row} 行：样品 {} 不在 samples.csv 中 / file \
                     results.csv, row {row}: sample {} is not in samples.csv",
                    res.sample_code, res.sample_code
                ))
            })?
            .results
            .push(res);
    }
    Ok((points, samples.into_values().collect()))
}

/// Verify and load a package; all or nothing; the same content again changes nothing.
pub async fn import_package(
    store: &dyn Store,
    bytes: &[u8],
    file_name: &str,
    actor: &str,
) -> StoreResult<PackageOutcome> {
    let (manifest, files) = verify_package(bytes, store.schema_version().await?)?;
    let checksum = format!("package:{}", manifest.content_checksum());
    if let Some(batch) = store.find_import_by_checksum(&checksum).await? {
        return Ok(PackageOutcome::Unchanged { batch });
    }
    let (points, samples) = parse_package(&manifest, &files)?;
    let codes: Vec<String> = samples.iter().map(|s| s.sample.code.clone()).collect();
    let known = store.known_snapshot(&codes).await?;
    let mut changes = ImportChanges::default();
    let stored_points: HashMap<&str, &MonitoringPoint> =
        known.points.iter().map(|p| (p.code.as_str(), p)).collect();
    for p in points {
        match stored_points.get(p.code.as_str()) {
            None => changes.new_points.push(p),
            Some(s) if **s == p => changes.unchanged += 1,
            Some(_) => changes.changed_points.push(p),
        }
    }
    let stored_samples: HashMap<&str, &crate::StoredSample> = known
        .samples
        .iter()
        .map(|s| (s.sample.code.as_str(), s))
        .collect();
    let rows_read = samples.iter().map(|s| s.results.len() as i64).sum::<i64>();
    for s in samples {
        let Some(stored) = stored_samples.get(s.sample.code.as_str()) else {
            changes.new_samples.push(s);
            continue;
        };
        for r in s.results {
            match stored
                .results
                .iter()
                .find(|x| x.result.analyte == r.analyte)
            {
                None => changes.added_results.push(r),
                Some(x) if x.result == r => changes.unchanged += 1,
                Some(_) => changes.corrections.push(r),
            }
        }
    }
    let meta = NewImport {
        kind: "package".into(),
        file_name: file_name.to_owned(),
        checksum,
        uploader: actor.to_owned(),
        department: None,
        rows_read,
        report: serde_json::to_value(&manifest).map_err(|e| StoreError::Invalid(e.to_string()))?,
    };
    let batch = store.commit_import(&meta, &changes).await?;
    Ok(PackageOutcome::Imported { batch, manifest })
}
