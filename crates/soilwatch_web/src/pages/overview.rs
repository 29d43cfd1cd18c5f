//! The numbers behind the dashboard and the county pages, per county, from the same store calls
//! and service functions the JSON API answers with:
//!
//! - points: active points per county, `GET /api/v1/network/coverage` (`counties[].total`);
//! - samples of a year: `GET /api/v1/samples?division=…&from=YYYY-01-01&to=YYYY-12-31` (every
//!   page counted);
//! - exceedance: soil samples of the year evaluated with GB 15618-2018 exactly as
//!   `GET /api/v1/samples/{id}/evaluation` does (farmland only), and of those the ones with an
//!   item above its risk screening value;
//! - farmland by class: the classification list (`GET /api/v1/classification/runs/{id}/list`) of
//!   the newest run covering the county (a county run or a prefecture run; the reviewed class
//!   counts where a reviewer confirmed or changed one);
//! - plots by lifecycle stage (`GET /api/v1/plots`) and listed enterprises, except those removed
//!   from the list (`GET /api/v1/public/enterprises`).
//!
//! Samples and exceedance are not public: they are computed only for a signed-in user.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use soilwatch_classify::list::{ClassArea, CountyList};
use soilwatch_classify::UnitClass;
use soilwatch_core::{DivisionCode, Medium};
use soilwatch_store::classification_service::run_list;
use soilwatch_store::registry::RegistryQuery;
use soilwatch_store::registry_enterprise::{EnterprisePublic, EnterpriseStatus};
use soilwatch_store::registry_plot::{Plot, PlotStage};
use soilwatch_store::sample_digest::{SampleDigest, SampleFingerprint};
use soilwatch_store::{FindQuery, FindSort, RunRecord, StoredResult, StoredSample};

use super::PageError;
use crate::api::enterprises::{public_enterprises, EnterpriseListQuery};
use crate::api::network::{coverage, CoverageQuery};
use crate::api::samples::{evaluate_stored, Evaluation, EvaluationQuery};
use crate::auth::division_covers;
use crate::AppState;

/// Farmland by class in one county (or summed).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Classes {
    pub priority_protection: ClassArea,
    pub safe_utilization: ClassArea,
    pub strict_control: ClassArea,
    pub unclassified: ClassArea,
}

impl Classes {
    fn from_list(c: &CountyList) -> Self {
        Self {
            priority_protection: c.priority_protection,
            safe_utilization: c.safe_utilization,
            strict_control: c.strict_control,
            unclassified: c.unclassified,
        }
    }

    fn add(&mut self, o: &Classes) {
        for (a, b) in [
            (&mut self.priority_protection, &o.priority_protection),
            (&mut self.safe_utilization, &o.safe_utilization),
            (&mut self.strict_control, &o.strict_control),
            (&mut self.unclassified, &o.unclassified),
        ] {
            a.units += b.units;
            a.area_mu += b.area_mu;
            a.area_ha += b.area_ha;
        }
    }

    pub fn of(&self, c: UnitClass) -> &ClassArea {
        match c {
            UnitClass::PriorityProtection => &self.priority_protection,
            UnitClass::SafeUtilization => &self.safe_utilization,
            UnitClass::StrictControl => &self.strict_control,
        }
    }

    /// Classified area, mu.
    pub fn classified_mu(&self) -> f64 {
        self.priority_protection.area_mu
            + self.safe_utilization.area_mu
            + self.strict_control.area_mu
    }
}

/// One county's numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct CountyStats {
    pub code: DivisionCode,
    pub name: String,
    /// Active points.
    pub points: i64,
    /// Samples of the year (signed-in users only).
    pub samples: Option<i64>,
    /// Soil samples of the year evaluated against GB 15618 and those above a screening value.
    pub soil: Option<(i64, i64)>,
    /// Farmland by class from the newest run covering the county, and that run.
    pub classes: Option<(Classes, i64)>,
    pub plots: usize,
    pub enterprises: usize,
}

impl CountyStats {
    /// Share of evaluated soil samples above a screening value, percent.
    pub fn exceedance_pct(&self) -> Option<f64> {
        self.soil
            .filter(|(n, _)| *n > 0)
            .map(|(n, over)| 100.0 * over as f64 / n as f64)
    }
}

/// The numbers of the prefecture (or one county) for a year.
#[derive(Debug, Clone)]
pub struct Overview {
    pub year: i32,
    pub counties: Vec<CountyStats>,
    /// Sum over the counties.
    pub classes: Classes,
    /// The runs the classes come from.
    pub runs: Vec<RunRecord>,
    pub plots: Vec<Plot>,
    pub plots_by_stage: Vec<(PlotStage, usize)>,
    pub enterprises: Vec<EnterprisePublic>,
    pub signed_in: bool,
    /// Whether the reader may see the farmland classes (see
    /// [`crate::api::catalogue::classes_visible`]); when not, `classes` and `runs` are empty.
    pub classes_visible: bool,
    /// Submissions of the year overdue and owed (`GET /api/v1/submissions?year=`: the summary's
    /// total, or the county's tally on a county page); signed-in users only.
    pub overdue: Option<(i64, i64)>,
}

impl Overview {
    pub fn points(&self) -> i64 {
        self.counties.iter().map(|c| c.points).sum()
    }

    pub fn samples(&self) -> Option<i64> {
        self.signed_in
            .then(|| self.counties.iter().filter_map(|c| c.samples).sum())
    }

    pub fn soil(&self) -> Option<(i64, i64)> {
        self.signed_in.then(|| {
            self.counties
                .iter()
                .filter_map(|c| c.soil)
                .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
        })
    }
}

/// Every page of a find query over samples.
async fn all_samples(
    state: &AppState,
    mut q: FindQuery,
) -> Result<Vec<soilwatch_store::FoundSample>, PageError> {
    q.limit = 100_000;
    q.sort = FindSort::Key;
    let mut out = Vec::new();
    loop {
        let page = state.store.find_samples(&q).await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// Every page of a find query over results.
async fn all_results(
    state: &AppState,
    mut q: FindQuery,
) -> Result<Vec<soilwatch_store::FoundResult>, PageError> {
    q.limit = 100_000;
    q.sort = FindSort::Key;
    let mut out = Vec::new();
    loop {
        let page = state.store.find_results(&q).await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// First and last day of a year.
pub fn year_range(year: i32) -> (Option<NaiveDate>, Option<NaiveDate>) {
    (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    )
}

/// What the dashboard keeps of each sample's evaluation (farmland soil against GB 15618-2018,
/// exactly as `GET /api/v1/samples/{id}/evaluation`): `None` when the sample gets no class,
/// otherwise whether an item is above its risk screening value; with the fingerprint of the sample
/// and its results it was computed from ([`SampleDigestStore`]). A changed fingerprint (re-import,
/// corrected, added or removed result) makes the sample evaluated again on the next request; so
/// the dashboard reads one light row per sample of the year per request and evaluates only what
/// changed. Kept in memory per server process: several processes each keep their own, and a
/// restart starts empty.
#[derive(Debug, Default)]
pub struct EvaluationCache {
    by_sample: std::sync::Mutex<HashMap<i64, (SampleFingerprint, Option<bool>)>>,
}

impl EvaluationCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, (SampleFingerprint, Option<bool>)>> {
        // A panic while holding the lock leaves a map of complete entries: keep using it.
        self.by_sample
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many samples are kept (tests).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A sample's evaluation as the dashboard counts it (see [`EvaluationCache`]).
fn farmland_evaluation(stored: &StoredSample) -> Option<bool> {
    stored.sample.land_use.and_then(|l| l.farmland_group())?;
    match evaluate_stored(stored, &EvaluationQuery::default()) {
        Ok((_, Evaluation::Soil(e))) if e.class.is_some() => Some(!e.exceed_screening.is_empty()),
        _ => None,
    }
}

/// Evaluate the samples `wanted` of the year in `scope`, reading the year's samples and results
/// in bulk (when many changed, e.g. the first request).
async fn evaluate_bulk(
    state: &AppState,
    scope: Option<DivisionCode>,
    year: i32,
    wanted: &std::collections::HashSet<i64>,
) -> Result<HashMap<i64, Option<bool>>, PageError> {
    let (from, to) = year_range(year);
    let soil = FindQuery {
        division: scope,
        from,
        to,
        medium: Some(Medium::Soil),
        ..FindQuery::default()
    };
    let samples = all_samples(state, soil.clone()).await?;
    let mut by_sample: HashMap<i64, Vec<StoredResult>> = HashMap::new();
    for r in all_results(state, soil).await? {
        if wanted.contains(&r.row.sample_id) {
            by_sample
                .entry(r.row.sample_id)
                .or_default()
                .push(StoredResult {
                    id: r.row.result_id,
                    version: 0,
                    result: r.row.result,
                });
        }
    }
    Ok(samples
        .into_iter()
        .filter(|s| wanted.contains(&s.id))
        .map(|s| {
            let stored = StoredSample {
                id: s.id,
                version: s.version,
                batch: None,
                results: by_sample.remove(&s.id).unwrap_or_default(),
                sample: s.sample,
            };
            (s.id, farmland_evaluation(&stored))
        })
        .collect())
}

/// Below this many changed samples, read just those (by id) rather than the whole year.
const READ_BY_ID: usize = 64;

/// Samples of the year per county, and soil samples evaluated / above a screening value: one
/// aggregate query for the year's samples ([`SampleDigestStore::sample_digests`]) and the
/// evaluations kept in [`EvaluationCache`], recomputed only for changed samples.
async fn sample_counts(
    state: &AppState,
    scope: Option<DivisionCode>,
    year: i32,
) -> Result<
    (
        HashMap<DivisionCode, i64>,
        HashMap<DivisionCode, (i64, i64)>,
    ),
    PageError,
> {
    let (Some(from), Some(to)) = year_range(year) else {
        return Ok(Default::default());
    };
    let digests: Vec<SampleDigest> = state
        .store
        .sample_digests(from, to)
        .await?
        .into_iter()
        .filter(|d| scope.is_none_or(|s| division_covers(s, d.division)))
        .collect();
    let mut counts: HashMap<DivisionCode, i64> = HashMap::new();
    for d in &digests {
        *counts.entry(d.division).or_default() += 1;
    }
    let farmland_soil: Vec<&SampleDigest> = digests
        .iter()
        .filter(|d| {
            d.medium == Medium::Soil && d.land_use.and_then(|l| l.farmland_group()).is_some()
        })
        .collect();
    let changed: std::collections::HashSet<i64> = {
        let cache = state.evaluations.lock();
        farmland_soil
            .iter()
            .filter(|d| cache.get(&d.id).map(|(f, _)| f) != Some(&d.fingerprint))
            .map(|d| d.id)
            .collect()
    };
    if !changed.is_empty() {
        let fresh = if changed.len() <= READ_BY_ID {
            // Two queries for the changed samples and their results (issue 12); one deleted
            // since the digest is left out: counted as not evaluated this once.
            let ids: Vec<i64> = changed.iter().copied().collect();
            state
                .store
                .get_samples_by_ids(&ids)
                .await?
                .iter()
                .map(|s| (s.id, farmland_evaluation(s)))
                .collect()
        } else {
            evaluate_bulk(state, scope, year, &changed).await?
        };
        let mut cache = state.evaluations.lock();
        for d in &farmland_soil {
            if let Some(e) = fresh.get(&d.id) {
                cache.insert(d.id, (d.fingerprint, *e));
            }
        }
    }
    let mut soil_counts: HashMap<DivisionCode, (i64, i64)> = HashMap::new();
    let cache = state.evaluations.lock();
    for d in farmland_soil {
        if let Some((_, Some(over))) = cache.get(&d.id) {
            let c = soil_counts.entry(d.division).or_default();
            c.0 += 1;
            c.1 += i64::from(*over);
        }
    }
    Ok((counts, soil_counts))
}

/// Farmland by class per county from the newest run covering each, and the runs used.
async fn classes(
    state: &AppState,
    counties: &[DivisionCode],
) -> Result<(HashMap<DivisionCode, (Classes, i64)>, Vec<RunRecord>), PageError> {
    let runs = state.store.list_runs(None, None, 1000).await?;
    let mut chosen: BTreeMap<i64, Vec<DivisionCode>> = BTreeMap::new();
    for c in counties {
        if let Some(r) = runs.iter().find(|r| division_covers(r.division, *c)) {
            chosen.entry(r.id).or_default().push(*c);
        }
    }
    let mut out = HashMap::new();
    let mut used = Vec::new();
    for (run_id, cs) in chosen {
        let list = run_list(state.store.as_ref(), run_id).await?;
        for c in cs {
            let code = c.to_string();
            let classes = list
                .list
                .counties
                .iter()
                .find(|l| l.division == code)
                .map(Classes::from_list)
                .unwrap_or_default();
            out.insert(c, (classes, run_id));
        }
        used.push(list.run);
    }
    used.sort_by_key(|r| std::cmp::Reverse(r.id));
    Ok((out, used))
}

/// The overview of the prefecture (`scope` none) or of one county, for a year.
pub async fn overview(
    state: &AppState,
    scope: Option<DivisionCode>,
    year: i32,
    signed_in: bool,
    classes_visible: bool,
) -> Result<Overview, PageError> {
    let report = coverage(state, &CoverageQuery { years: None }).await?;
    let counties: Vec<_> = report
        .counties
        .into_iter()
        .filter(|c| scope.is_none_or(|s| division_covers(s, c.code)))
        .collect();
    let codes: Vec<DivisionCode> = counties.iter().map(|c| c.code).collect();
    let (samples, soil) = if signed_in {
        sample_counts(state, scope, year).await?
    } else {
        Default::default()
    };
    let (class_map, runs) = if classes_visible {
        classes(state, &codes).await?
    } else {
        Default::default()
    };
    let plots: Vec<Plot> = state
        .store
        .list_plots(&RegistryQuery {
            division: scope,
            ..RegistryQuery::default()
        })
        .await?
        .into_iter()
        .map(|p| p.item)
        .collect();
    let enterprises: Vec<EnterprisePublic> = public_enterprises(
        state,
        &EnterpriseListQuery {
            division: scope.map(|s| s.to_string()),
            ..Default::default()
        },
    )
    .await?
    .into_iter()
    .filter(|e| e.status != EnterpriseStatus::Removed)
    .collect();
    let mut total = Classes::default();
    let stats: Vec<CountyStats> = counties
        .into_iter()
        .map(|c| {
            let classes = class_map.get(&c.code).copied();
            if let Some((k, _)) = &classes {
                total.add(k);
            }
            CountyStats {
                code: c.code,
                name: c.name,
                points: c.total,
                samples: signed_in.then(|| samples.get(&c.code).copied().unwrap_or(0)),
                soil: signed_in.then(|| soil.get(&c.code).copied().unwrap_or((0, 0))),
                classes,
                plots: plots.iter().filter(|p| p.division == c.code).count(),
                enterprises: enterprises.iter().filter(|e| e.division == c.code).count(),
            }
        })
        .collect();
    let overdue = if signed_in {
        let r = crate::api::submissions::overview(
            state,
            &crate::api::submissions::SubmissionListQuery {
                year: Some(year),
                ..Default::default()
            },
        )
        .await?;
        Some(match scope {
            None => (r.summary.total.overdue, r.summary.total.owed),
            Some(c) => {
                let key = c.to_string();
                r.summary
                    .by_county
                    .iter()
                    .filter(|t| t.key == key)
                    .fold((0, 0), |a, t| (a.0 + t.overdue, a.1 + t.owed))
            }
        })
    } else {
        None
    };
    let plots_by_stage = PlotStage::ALL
        .iter()
        .map(|s| (*s, plots.iter().filter(|p| p.status == *s).count()))
        .collect();
    Ok(Overview {
        year,
        counties: stats,
        classes: total,
        runs,
        plots,
        plots_by_stage,
        enterprises,
        signed_in,
        classes_visible,
        overdue,
    })
}
