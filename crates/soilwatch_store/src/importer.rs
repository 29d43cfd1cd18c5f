//! The import service: a file's bytes → validation (soilwatch_ingest) against what is stored →
//! one all-or-nothing commit with the batch's provenance. The command line (`soilwatch import`)
//! and the API (`POST /api/v1/imports`) both call [`import_bytes`].

use std::collections::{HashMap, HashSet};

use rust_decimal::Decimal;
use serde::Serialize;
use soilwatch_core::{DivisionLevel, Medium};
use soilwatch_ingest::{
    open, parse_bytes, Boundaries, Context, DataKind, MemoryKnown, ParseOptions, Record, Report,
};
use soilwatch_standards::RulesetRegistry;

use crate::import_write::ImportWriter;
use crate::{ImportBatch, KnownSnapshot, NewImport, Store, StoreResult};

/// What an import did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ImportOutcome {
    /// Everything stored in one transaction.
    Imported { batch: ImportBatch, report: Report },
    /// The same file (by content checksum) was imported before: nothing changed.
    Unchanged { batch: ImportBatch },
    /// Errors: nothing stored.
    Rejected { report: Report },
}

impl ImportOutcome {
    /// The one summary line the command line ends with.
    pub fn summary_line(&self) -> String {
        match self {
            ImportOutcome::Imported { batch, .. } => format!(
                "imported {} rows as batch {} ({} samples, {} results, {} points, {} corrections, {} unchanged)",
                batch.rows_read, batch.id, batch.samples, batch.results, batch.points,
                batch.corrections, batch.unchanged
            ),
            ImportOutcome::Unchanged { batch } => {
                format!("unchanged: already imported as batch {}", batch.id)
            }
            ImportOutcome::Rejected { report } => {
                format!("rejected: {} errors, nothing stored", report.errors)
            }
        }
    }

    /// Exit code of `soilwatch import`: 2 when rejected.
    pub fn exit_code(&self) -> u8 {
        match self {
            ImportOutcome::Rejected { .. } => 2,
            _ => 0,
        }
    }
}

/// A value above ten times this draws a "likely unit error" warning: the largest limit the
/// medium's standard gives the analyte.
fn typical_threshold_uncached(analyte: &str, medium: Medium) -> Option<Decimal> {
    let (id, canonical) = standard_of(medium);
    RulesetRegistry::builtin()
        .get(id)?
        .values_for(analyte)
        .filter(|v| v.unit.eq_ignore_ascii_case(canonical))
        .filter_map(|v| v.upper)
        .max()
}

/// The standard whose limits tell a medium's typical values, and its unit.
fn standard_of(medium: Medium) -> (&'static str, &'static str) {
    let id = match medium {
        Medium::Soil | Medium::Sediment | Medium::Other => "gb15618-2018",
        Medium::AgriculturalProduct => "gb2762-2022",
        Medium::IrrigationWater => "gb5084-2021",
        Medium::Groundwater => "gb14848-2017",
        Medium::SurfaceWater => "gb3838-2002",
    };
    (id, if medium.is_water() { "mg/L" } else { "mg/kg" })
}

/// [`typical_threshold_uncached`] for every analyte and medium, computed once: validation asks
/// for every result row, and a scan of the standard's table per row cost a third of the time.
fn typical_threshold(analyte: &str, medium: Medium) -> Option<Decimal> {
    static TABLE: std::sync::OnceLock<HashMap<Medium, HashMap<String, Decimal>>> =
        std::sync::OnceLock::new();
    TABLE
        .get_or_init(|| {
            Medium::ALL
                .iter()
                .map(|&m| {
                    let (id, _) = standard_of(m);
                    let analytes: HashSet<&str> = RulesetRegistry::builtin()
                        .get(id)
                        .map(|r| {
                            r.values
                                .iter()
                                .filter_map(|v| v.analyte.as_deref())
                                .collect()
                        })
                        .unwrap_or_default();
                    let limits = analytes
                        .into_iter()
                        .filter_map(|a| Some((a.to_owned(), typical_threshold_uncached(a, m)?)))
                        .collect();
                    (m, limits)
                })
                .collect()
        })
        .get(&medium)?
        .get(analyte)
        .copied()
}

/// The snapshot moved into the validator's lookup tables (not copied: with a prefecture's
/// 100,000 points a copy doubled the import's memory).
fn known_from(snapshot: KnownSnapshot) -> MemoryKnown {
    let mut k = MemoryKnown::default();
    k.points.reserve(snapshot.points.len());
    for p in snapshot.points {
        k.points.insert(p.code.clone(), p);
    }
    k.divisions.extend(snapshot.divisions);
    for s in snapshot.samples {
        for r in s.results {
            k.results
                .entry((s.sample.code.clone(), r.result.analyte.clone()))
                .or_insert(r.result);
        }
        k.samples.insert(s.sample.code.clone(), s.sample);
    }
    k
}

/// The county boundaries held in the store, for the location checks.
pub async fn boundaries(store: &dyn Store) -> StoreResult<Option<Boundaries>> {
    let divisions = store.list_divisions().await?;
    let Some(prefecture) = divisions
        .iter()
        .find(|d| d.level == DivisionLevel::Prefecture)
    else {
        return Ok(None);
    };
    let counties = divisions
        .iter()
        .filter(|d| d.level == DivisionLevel::County)
        .filter_map(|d| Some((d.code, d.name.clone(), d.boundary.clone()?)))
        .collect();
    Ok(Some(Boundaries::new(prefecture.code, counties)))
}

/// Progress of a long import, for a progress bar or plain progress lines.
pub trait Progress: Sync {
    /// A phase starts (`validating`, `committing`); `total_bytes` for the reading phase.
    fn phase(&self, _name: &str, _total_bytes: Option<u64>) {}
    /// While reading: the spreadsheet row reached and the bytes consumed.
    fn row(&self, _row: u64, _bytes: u64) {}
    fn done(&self) {}
}

/// No progress output.
pub struct Quiet;
impl Progress for Quiet {}

/// A reader over bytes that tells how far it got.
struct Counting<'a> {
    inner: &'a [u8],
    pos: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl std::io::Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = std::io::Read::read(&mut self.inner, buf)?;
        self.pos
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Valid records handed to the writer at a time: the most the import holds besides its
/// per-sample bookkeeping (two chunks queued, one being written, one being filled).
pub const CHUNK_RECORDS: usize = 8192;

/// Progress lines every so many records.
const PROGRESS_EVERY: u64 = 1024;

/// What one pass over the file gave.
struct Pass {
    report: Report,
    /// Distinct sample codes of the file's valid rows, in order of first appearance.
    codes: Vec<String>,
    /// The writer with every valid record written (uncommitted), or why writing stopped.
    written: Option<StoreResult<Box<dyn ImportWriter>>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum WriteWith {
    /// Validate only.
    Nothing,
    /// Every sample is expected to be new (the fast native path; results files only).
    Bulk,
    /// Anything: points, stored samples, corrections.
    General,
}

async fn write_all(
    mut writer: Box<dyn ImportWriter>,
    mut chunks: tokio::sync::mpsc::Receiver<Vec<Record>>,
) -> StoreResult<Box<dyn ImportWriter>> {
    let (mut busy, mut waited, mut n) =
        (std::time::Duration::ZERO, std::time::Duration::ZERO, 0_u32);
    loop {
        let t = std::time::Instant::now();
        let Some(records) = chunks.recv().await else {
            break;
        };
        let t2 = std::time::Instant::now();
        waited += t2 - t;
        writer.write(records).await?;
        busy += t2.elapsed();
        n += 1;
    }
    // How much of the import the writer was the bottleneck: `waited` is time it had nothing to
    // write (validation slower), `busy` time spent writing.
    tracing::debug!(
        strategy = writer.strategy(),
        chunks = n,
        busy_ms = busy.as_millis() as u64,
        waited_ms = waited.as_millis() as u64,
        "import writer"
    );
    Ok(writer)
}

/// Read and validate the file once, streaming; valid records go to a writer task chunk by chunk
/// (while the next chunk is being validated) as long as the file has shown no error.
#[expect(clippy::too_many_arguments, reason = "one pass needs all of these")]
async fn pass(
    store: &dyn Store,
    bytes: &[u8],
    opts: &ParseOptions,
    known: &MemoryKnown,
    bounds: Option<&Boundaries>,
    progress: &dyn Progress,
    meta: &NewImport,
    write: WriteWith,
) -> StoreResult<Pass> {
    let threshold = typical_threshold;
    let mut ctx = Context::new(known).with_threshold(&threshold);
    if let Some(b) = bounds {
        ctx = ctx.with_boundaries(b);
    }
    progress.phase(
        if write == WriteWith::Nothing {
            "validating"
        } else {
            "importing"
        },
        Some(bytes.len() as u64),
    );
    let pos = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let reader = Counting {
        inner: bytes,
        pos: pos.clone(),
    };
    let mut ingest = match open(reader, opts, &ctx) {
        Ok(i) => i,
        Err(e) => {
            return Ok(Pass {
                report: Report::from_fatal(&e, opts),
                codes: Vec::new(),
                written: None,
            })
        }
    };
    let kind = ingest.kind();
    let task = if write == WriteWith::Nothing {
        None
    } else {
        let mut meta = meta.clone();
        meta.kind = kind.code().to_owned();
        let bulk = write == WriteWith::Bulk && kind != DataKind::Points;
        let writer = store.begin_import(&meta, bulk).await?;
        let (tx, rx) = tokio::sync::mpsc::channel::<Vec<Record>>(2);
        Some((tx, tokio::spawn(write_all(writer, rx))))
    };
    let (mut sender, task) = match task {
        Some((tx, t)) => (Some(tx), Some(t)),
        None => (None, None),
    };
    let mut chunk: Vec<Record> = Vec::with_capacity(CHUNK_RECORDS);
    let mut codes = Vec::new();
    let mut seen = 0_u64;
    // Time the reading side waited for the writer (writer slower).
    let mut send_wait = std::time::Duration::ZERO;
    let started = std::time::Instant::now();
    while let Some(record) = ingest.next() {
        let row = match &record {
            Record::Point(p) => p.row,
            Record::Results { sample, .. } => {
                if sample.first_in_file {
                    codes.push(sample.sample.code.clone());
                }
                sample.row
            }
        };
        seen += 1;
        if seen.is_multiple_of(PROGRESS_EVERY) {
            progress.row(row, pos.load(std::sync::atomic::Ordering::Relaxed));
        }
        if ingest.report().errors > 0 {
            // The file will be rejected: stop writing (the transaction is rolled back).
            sender = None;
            chunk = Vec::new();
            continue;
        }
        let Some(s) = &sender else { continue };
        chunk.push(record);
        if chunk.len() == CHUNK_RECORDS {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_RECORDS));
            let t = std::time::Instant::now();
            let sent = s.send(full).await;
            send_wait += t.elapsed();
            if sent.is_err() {
                // The writer stopped (its error comes with the task's result).
                sender = None;
            }
        }
    }
    tracing::debug!(
        read_ms = started.elapsed().as_millis() as u64,
        send_wait_ms = send_wait.as_millis() as u64,
        "import reading"
    );
    let mut report = ingest
        .finish()
        .unwrap_or_else(|e| Report::from_fatal(&e, opts));
    if report.checksum.is_none() {
        report.checksum = Some(soilwatch_ingest::checksum(bytes));
    }
    if let Some(s) = sender.take() {
        if !chunk.is_empty() && !report.has_errors() {
            let _ = s.send(chunk).await;
        }
    }
    let written = match task {
        None => None,
        Some(t) => Some(
            t.await
                .map_err(|e| crate::StoreError::Backend(format!("import writer: {e}")))
                .and_then(|r| r),
        ),
    };
    Ok(Pass {
        report,
        codes,
        written,
    })
}

/// Validate a file against the store and, when it has no error, commit it.
pub async fn import_bytes(
    store: &dyn Store,
    bytes: &[u8],
    opts: &ParseOptions,
    uploader: &str,
    department: Option<&str>,
) -> StoreResult<ImportOutcome> {
    import_bytes_with(store, bytes, opts, uploader, department, &Quiet).await
}

/// [`import_bytes`] reporting its progress.
///
/// One streamed pass validates every row and writes the valid ones into an open transaction as
/// it goes (memory stays flat with the file's size); the transaction is committed only when the
/// whole file has no error. When the file names samples that are stored already (a re-import
/// with corrections or new analytes), or when it has errors and names stored samples, a second
/// pass validates it again with those samples known (duplicates, corrections, conflicting
/// sample data) and writes through the general writer.
pub async fn import_bytes_with(
    store: &dyn Store,
    bytes: &[u8],
    opts: &ParseOptions,
    uploader: &str,
    department: Option<&str>,
    progress: &dyn Progress,
) -> StoreResult<ImportOutcome> {
    let checksum = soilwatch_ingest::checksum(bytes);
    if let Some(batch) = store.find_import_by_checksum(&checksum).await? {
        return Ok(ImportOutcome::Unchanged { batch });
    }
    let bounds = boundaries(store).await?;
    let meta = NewImport {
        kind: String::new(),
        file_name: opts.file_name.clone(),
        checksum,
        uploader: uploader.to_owned(),
        department: department.map(str::to_owned),
        rows_read: 0,
        report: serde_json::Value::Null,
    };
    // Pass 1 knows the points and divisions and expects every sample to be new.
    let known = known_from(store.known_snapshot(&[]).await?);
    let mut result = pass(
        store,
        bytes,
        opts,
        &known,
        bounds.as_ref(),
        progress,
        &meta,
        WriteWith::Bulk,
    )
    .await?;
    drop(known);
    let conflict = matches!(
        &result.written,
        Some(Err(crate::StoreError::Conflict { .. }))
    );
    if conflict || (result.report.has_errors() && !result.codes.is_empty()) {
        let with_samples = store.known_snapshot(&result.codes).await?;
        if !with_samples.samples.is_empty() {
            // Pass 2: the stored samples known (duplicates, corrections, conflicts).
            let write = if result.report.has_errors() {
                WriteWith::Nothing
            } else {
                WriteWith::General
            };
            result.written = None; // rolls pass 1's writes back
            result = pass(
                store,
                bytes,
                opts,
                &known_from(with_samples),
                bounds.as_ref(),
                progress,
                &meta,
                write,
            )
            .await?;
        }
    }
    let Pass {
        report, written, ..
    } = result;
    if report.has_errors() {
        progress.done();
        return Ok(ImportOutcome::Rejected { report });
    }
    let writer = match written {
        Some(w) => w?,
        None => {
            return Err(crate::StoreError::Backend(
                "import: a file without errors was not written".into(),
            ))
        }
    };
    let report_json =
        serde_json::to_value(&report).map_err(|e| crate::StoreError::Invalid(e.to_string()))?;
    progress.phase("committing", None);
    let rows_read = i64::try_from(report.rows_read).unwrap_or(i64::MAX);
    let id = writer.commit(rows_read, &report_json).await?;
    let batch = store.get_import(id).await?;
    progress.done();
    Ok(ImportOutcome::Imported { batch, report })
}

/// The shipped county boundaries (no database needed), for `soilwatch validate`.
pub fn seed_boundaries() -> StoreResult<Boundaries> {
    let divisions = crate::seed::default_divisions()?;
    let prefecture = divisions
        .iter()
        .find(|d| d.level == DivisionLevel::Prefecture)
        .map(|d| d.code)
        .ok_or_else(|| crate::StoreError::Invalid("no prefecture in the seed data".into()))?;
    let counties = divisions
        .into_iter()
        .filter(|d| d.level == DivisionLevel::County)
        .filter_map(|d| Some((d.code, d.name, d.boundary?)))
        .collect();
    Ok(Boundaries::new(prefecture, counties))
}

/// Validate a file without a database: the rules that need stored data are skipped (and the
/// report says which).
pub fn validate_bytes(bytes: &[u8], opts: &ParseOptions) -> StoreResult<Report> {
    let bounds = seed_boundaries()?;
    let threshold = typical_threshold;
    let ctx = Context::new(&soilwatch_ingest::NoStore)
        .with_boundaries(&bounds)
        .with_threshold(&threshold);
    Ok(parse_bytes(bytes, opts, &ctx).report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table gives what a scan of the standards gives, for every catalogue analyte and medium.
    #[test]
    fn cached_thresholds_equal_the_standards_scan() {
        let mut found = 0;
        for a in soilwatch_core::AnalyteCatalogue::builtin().all() {
            for m in Medium::ALL {
                let direct = typical_threshold_uncached(&a.code, m);
                assert_eq!(typical_threshold(&a.code, m), direct, "{} {m:?}", a.code);
                found += usize::from(direct.is_some());
            }
        }
        assert!(found > 20, "only {found} thresholds");
        // GB 15618-2018: the largest cadmium limit is the intervention value 4.0 mg/kg (pH > 7.5).
        assert_eq!(
            typical_threshold("Cd", Medium::Soil),
            Some(Decimal::new(40, 1))
        );
    }
}
