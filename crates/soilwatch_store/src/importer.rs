//! The import service: a file's bytes → validation (soilwatch_ingest) against what is stored →
//! one all-or-nothing commit with the batch's provenance. The command line (`soilwatch import`)
//! and the API (`POST /api/v1/imports`) both call [`import_bytes`].

use std::collections::HashSet;

use rust_decimal::Decimal;
use serde::Serialize;
use soilwatch_core::{DivisionLevel, Medium, SampleWithResults};
use soilwatch_ingest::{
    parse_bytes, parse_reader_observed, Batch, Boundaries, Context, MemoryKnown, ParseOptions,
    Report, StoredState,
};
use soilwatch_standards::RulesetRegistry;

use crate::{ImportBatch, ImportChanges, KnownSnapshot, NewImport, Store, StoreResult};

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
fn typical_threshold(analyte: &str, medium: Medium) -> Option<Decimal> {
    let id = match medium {
        Medium::Soil | Medium::Sediment | Medium::Other => "gb15618-2018",
        Medium::AgriculturalProduct => "gb2762-2022",
        Medium::IrrigationWater => "gb5084-2021",
        Medium::Groundwater => "gb14848-2017",
        Medium::SurfaceWater => "gb3838-2002",
    };
    let canonical = if medium.is_water() { "mg/L" } else { "mg/kg" };
    RulesetRegistry::builtin()
        .get(id)?
        .values_for(analyte)
        .filter(|v| v.unit.eq_ignore_ascii_case(canonical))
        .filter_map(|v| v.upper)
        .max()
}

fn known_from(snapshot: &KnownSnapshot) -> MemoryKnown {
    let mut k = MemoryKnown::default();
    for p in &snapshot.points {
        k.points.insert(p.code.clone(), p.clone());
    }
    k.divisions.extend(snapshot.divisions.iter().copied());
    for s in &snapshot.samples {
        k.samples.insert(s.sample.code.clone(), s.sample.clone());
        for r in &s.results {
            k.results
                .entry((s.sample.code.clone(), r.result.analyte.clone()))
                .or_insert_with(|| r.result.clone());
        }
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

fn parse(
    bytes: &[u8],
    opts: &ParseOptions,
    known: &MemoryKnown,
    b: Option<&Boundaries>,
    progress: &dyn Progress,
) -> Batch {
    let threshold = typical_threshold;
    let mut ctx = Context::new(known).with_threshold(&threshold);
    if let Some(b) = b {
        ctx = ctx.with_boundaries(b);
    }
    progress.phase("validating", Some(bytes.len() as u64));
    let pos = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let reader = Counting {
        inner: bytes,
        pos: pos.clone(),
    };
    let mut batch = parse_reader_observed(reader, opts, &ctx, &mut |row| {
        progress.row(row, pos.load(std::sync::atomic::Ordering::Relaxed))
    });
    if batch.report.checksum.is_none() {
        batch.report.checksum = Some(soilwatch_ingest::checksum(bytes));
    }
    batch
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
    // Pass 1 knows the points and divisions; if the file names samples that are stored, pass 2
    // knows them too (duplicates, corrections, conflicting sample data).
    let mut snapshot = store.known_snapshot(&[]).await?;
    let mut batch = parse(
        bytes,
        opts,
        &known_from(&snapshot),
        bounds.as_ref(),
        progress,
    );
    let codes: Vec<String> = batch
        .samples
        .iter()
        .map(|s| s.sample.sample.code.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if !codes.is_empty() {
        let with_samples = store.known_snapshot(&codes).await?;
        if !with_samples.samples.is_empty() {
            snapshot = with_samples;
            batch = parse(
                bytes,
                opts,
                &known_from(&snapshot),
                bounds.as_ref(),
                progress,
            );
        }
    }
    if batch.report.has_errors() {
        progress.done();
        return Ok(ImportOutcome::Rejected {
            report: batch.report,
        });
    }
    // Move the rows out of the batch (no copies: a million results are a few hundred MB).
    let mut changes = ImportChanges::default();
    for p in std::mem::take(&mut batch.points) {
        match p.stored {
            StoredState::Changed => changes.changed_points.push(p.point),
            StoredState::Unchanged => changes.unchanged += 1,
            StoredState::New | StoredState::Unknown => changes.new_points.push(p.point),
        }
    }
    let stored: HashSet<&str> = snapshot
        .samples
        .iter()
        .map(|x| x.sample.code.as_str())
        .collect();
    for s in std::mem::take(&mut batch.samples) {
        if !stored.contains(s.sample.sample.code.as_str()) {
            changes.new_samples.push(SampleWithResults {
                sample: s.sample.sample,
                results: s.results.into_iter().map(|r| r.result).collect(),
            });
            continue;
        }
        for r in s.results {
            match r.stored {
                StoredState::Unchanged => changes.unchanged += 1,
                StoredState::Changed => changes.corrections.push(r.result),
                StoredState::New | StoredState::Unknown => changes.added_results.push(r.result),
            }
        }
    }
    let report_json = serde_json::to_value(&batch.report)
        .map_err(|e| crate::StoreError::Invalid(e.to_string()))?;
    let meta = NewImport {
        kind: batch.kind.map(|k| k.code().to_owned()).unwrap_or_default(),
        file_name: opts.file_name.clone(),
        checksum,
        uploader: uploader.to_owned(),
        department: department.map(str::to_owned),
        rows_read: i64::try_from(batch.report.rows_read).unwrap_or(i64::MAX),
        report: report_json,
    };
    progress.phase("committing", None);
    let committed = store.commit_import(&meta, &changes).await?;
    progress.done();
    Ok(ImportOutcome::Imported {
        batch: committed,
        report: batch.report,
    })
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
