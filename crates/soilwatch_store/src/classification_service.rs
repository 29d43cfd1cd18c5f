//! The classification service shared by the command line and the API: import evaluation units,
//! run a classification (units, grids where a county has none, samples of the run's years, the
//! pure rules of `soilwatch_classify`), read its list and its changes since the previous run.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use soilwatch_classify::list::{changes, summarise, ClassificationList, ListUnit, UnitChange};
use soilwatch_classify::units::{self, County, RawFeature, UnitFileOptions};
use soilwatch_classify::{classify_units, ClassifyError, ClassifySettings, EvaluationUnit};
use soilwatch_core::{ChangeMeta, Division, DivisionCode, DivisionLevel};

use crate::classification::{NewRun, NewUnitResult, RunRecord, RunUnit, UnitsWritten};
use crate::{Store, StoreError, StoreResult};

impl From<ClassifyError> for StoreError {
    fn from(e: ClassifyError) -> Self {
        StoreError::Invalid(e.to_string())
    }
}

/// What a run is asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRequest {
    pub year: i32,
    /// A county or the prefecture (default: the prefecture in the seed data).
    pub division: Option<DivisionCode>,
    pub settings: ClassifySettings,
    pub actor: String,
}

/// A run's list: the run, its units and the county × class table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunList {
    pub run: RunRecord,
    pub list: ClassificationList,
    pub units: Vec<RunUnit>,
}

/// The changes of a run since the previous run of its division.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunChanges {
    pub run_id: i64,
    pub previous_run_id: Option<i64>,
    pub changes: Vec<UnitChange>,
}

fn counties_of<'a>(divisions: &'a [Division], scope: DivisionCode) -> Vec<County<'a>> {
    divisions
        .iter()
        .filter(|d| d.level == DivisionLevel::County && scope.contains(d.code))
        .filter_map(|d| {
            Some(County {
                code: d.code,
                boundary: d.boundary.as_ref()?,
            })
        })
        .collect()
}

fn all_counties(divisions: &[Division]) -> Vec<County<'_>> {
    divisions
        .iter()
        .filter(|d| d.level == DivisionLevel::County)
        .filter_map(|d| {
            Some(County {
                code: d.code,
                boundary: d.boundary.as_ref()?,
            })
        })
        .collect()
}

/// The division a run covers: the one asked for (checked), or the prefecture.
pub async fn scope(store: &dyn Store, division: Option<DivisionCode>) -> StoreResult<Division> {
    let divisions = store.list_divisions().await?;
    match division {
        Some(code) => divisions
            .into_iter()
            .find(|d| d.code == code)
            .filter(|d| d.level != DivisionLevel::Province)
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "字段 county: 行政区划 '{code}' 不存在或不是县（市）或州 / field county: '{code}' \
                     is not a known county or prefecture"
                ))
            }),
        None => divisions
            .into_iter()
            .find(|d| d.level == DivisionLevel::Prefecture)
            .ok_or_else(|| {
                StoreError::Invalid(
                    "没有州级行政区划，请先 db seed / no prefecture in the database: seed it first"
                        .into(),
                )
            }),
    }
}

/// Read units from GeoJSON bytes and store them (new versions for changed ones).
pub async fn import_units_geojson(
    store: &dyn Store,
    bytes: &[u8],
    file_name: &str,
    opts: &UnitFileOptions,
    change: &ChangeMeta,
) -> StoreResult<UnitsWritten> {
    let units = check_units_geojson(store, bytes, opts).await?;
    store.put_units(&units, file_name, change).await
}

/// Check GeoPackage features and store them as units.
pub async fn import_units_features(
    store: &dyn Store,
    features: Vec<RawFeature>,
    file_name: &str,
    opts: &UnitFileOptions,
    change: &ChangeMeta,
) -> StoreResult<UnitsWritten> {
    let units = check_units_features(store, features, opts).await?;
    store.put_units(&units, file_name, change).await
}

/// The units of a GeoJSON file, checked (identifiers, land use, polygons, the stored counties)
/// but not stored: for callers that decide who may store them first.
pub async fn check_units_geojson(
    store: &dyn Store,
    bytes: &[u8],
    opts: &UnitFileOptions,
) -> StoreResult<Vec<EvaluationUnit>> {
    let divisions = store.list_divisions().await?;
    Ok(units::units_from_geojson(
        bytes,
        opts,
        &all_counties(&divisions),
    )?)
}

/// The units of GeoPackage (or other) features, checked but not stored.
pub async fn check_units_features(
    store: &dyn Store,
    features: Vec<RawFeature>,
    opts: &UnitFileOptions,
) -> StoreResult<Vec<EvaluationUnit>> {
    let divisions = store.list_divisions().await?;
    Ok(units::units_from_features(
        features,
        opts,
        &all_counties(&divisions),
    )?)
}

/// Run a classification and store it.
///
/// Counties of the run's division without any unit get a grid of `grid_cell_m` cells clipped to
/// the county (stored as units, reused by later runs). Soil samples of the `sample_years` years
/// ending with `year` are read (the newest of each point is used), crop samples of the same
/// years.
pub async fn run_classification(store: &dyn Store, req: &RunRequest) -> StoreResult<RunRecord> {
    let (method, _) = req.settings.check()?;
    if !(1949..=2100).contains(&req.year) {
        return Err(StoreError::Invalid(format!(
            "字段 year: 年份 {} 无效 / field year: {} is not a year between 1949 and 2100",
            req.year, req.year
        )));
    }
    if req.actor.trim().is_empty() {
        return Err(StoreError::Invalid(
            "字段 actor: 须注明操作人 / field actor: a run needs an actor".into(),
        ));
    }
    let scope = scope(store, req.division).await?;
    let divisions = store.list_divisions().await?;
    let names: HashMap<DivisionCode, String> =
        divisions.iter().map(|d| (d.code, d.name.clone())).collect();
    let counties = counties_of(&divisions, scope.code);
    let mut stored = store.list_units(scope.code).await?;
    let with_units: BTreeSet<DivisionCode> = stored.iter().map(|u| u.unit.division).collect();
    let mut grids = Vec::new();
    for c in &counties {
        if with_units.contains(&c.code) {
            continue;
        }
        let cells = units::grid_units(c.code, c.boundary, req.settings.grid_cell_m)?;
        let origin = format!("grid {:.0} m", req.settings.grid_cell_m);
        store
            .put_units(
                &cells,
                &origin,
                &ChangeMeta::new(
                    req.actor.clone(),
                    format!(
                        "无地块数据，按 {:.0} m 网格划分评价单元 / no parcel data: {:.0} m grid clipped to the county",
                        req.settings.grid_cell_m, req.settings.grid_cell_m
                    ),
                ),
            )
            .await?;
        grids.push(c.code.to_string());
    }
    if !grids.is_empty() {
        stored = store.list_units(scope.code).await?;
    }
    let first = req.year - i32::try_from(req.settings.sample_years).unwrap_or(1) + 1;
    let from = NaiveDate::from_ymd_opt(first, 1, 1)
        .ok_or_else(|| StoreError::Invalid(format!("year {first}")))?;
    let to = NaiveDate::from_ymd_opt(req.year, 12, 31)
        .ok_or_else(|| StoreError::Invalid(format!("year {}", req.year)))?;
    let inputs = store.classification_inputs(scope.code, from, to).await?;

    let unit_versions: Vec<(String, i64)> = stored
        .iter()
        .map(|u| (u.unit.code.clone(), u.version))
        .collect();
    let units: Vec<EvaluationUnit> = stored.into_iter().map(|u| u.unit).collect();
    let settings = req.settings.clone();
    let (units, result_versions, samples_read, output) = tokio::task::spawn_blocking(move || {
        let out = classify_units(&units, &inputs.soil, &inputs.crops, &settings);
        let read = inputs.soil.len() + inputs.crops.len();
        (units, inputs.result_versions, read, out)
    })
    .await
    .map_err(|e| StoreError::Backend(format!("classification task: {e}")))?;
    let output = output?;

    let mut results = Vec::with_capacity(units.len());
    let mut listed = Vec::with_capacity(units.len());
    for ((u, o), (_, version)) in units.iter().zip(&output.outcomes).zip(&unit_versions) {
        let evidence = serde_json::to_value(o).map_err(|e| StoreError::Invalid(e.to_string()))?;
        results.push(NewUnitResult {
            unit_code: u.code.clone(),
            unit_version: *version,
            division: u.division,
            class: o.class,
            basis: o.basis,
            soil_class: o.soil_class,
            proposal: o.proposal,
            area_mu: u.area_mu,
            area_ha: u.area_ha,
            rule: o.rule.clone(),
            evidence,
        });
        listed.push(ListUnit {
            unit_code: u.code.clone(),
            division: u.division.to_string(),
            county: names.get(&u.division).cloned().unwrap_or_default(),
            source: u.source.code().to_owned(),
            land_use: u.land_use.map(|l| l.code().to_owned()),
            area_mu: u.area_mu,
            area_ha: u.area_ha,
            class: o.class,
            basis: o.basis,
            proposal: o.proposal,
            rule: o.rule.clone(),
            reviewed_class: None,
            review_action: None,
            review_reason: None,
            reviewed_by: None,
        });
    }
    let used_results: Vec<(i64, i64)> = output
        .soil_used
        .iter()
        .chain(&output.crops_used)
        .flat_map(|(id, _)| result_versions.get(id).cloned().unwrap_or_default())
        .collect();
    let mut by_basis: HashMap<&str, usize> = HashMap::new();
    for o in &output.outcomes {
        *by_basis.entry(o.basis.code()).or_default() += 1;
    }
    let summary = serde_json::json!({
        "units": units.len(),
        "by_basis": by_basis,
        "list": summarise(&listed),
        "samples_read": samples_read,
        "warnings": output.warnings.iter().take(200).collect::<Vec<_>>(),
        "warnings_total": output.warnings.len(),
    });
    let inputs = serde_json::json!({
        "year": req.year,
        "division": scope.code.to_string(),
        "window": {"from": from.to_string(), "to": to.to_string()},
        "ruleset": req.settings.ruleset,
        "food_ruleset": req.settings.food_ruleset,
        "units": unit_versions,
        "grids_generated": grids,
        "soil_samples": output.soil_used,
        "crop_samples": output.crops_used,
        "results": used_results,
        "interpolation": output.interpolation,
    });
    let run = NewRun {
        year: req.year,
        division: scope.code,
        method: method.code().to_owned(),
        ruleset: req.settings.ruleset.clone(),
        settings: serde_json::to_value(&req.settings)
            .map_err(|e| StoreError::Invalid(e.to_string()))?,
        inputs,
        summary,
        actor: req.actor.trim().to_owned(),
    };
    store.create_run(&run, &results).await
}

/// A run's units with reviews and the county × class list.
pub async fn run_list(store: &dyn Store, run_id: i64) -> StoreResult<RunList> {
    let run = store.get_run(run_id).await?;
    let units = store.run_units(run_id, false).await?;
    let listed: Vec<ListUnit> = units.iter().map(|u| u.unit.clone()).collect();
    Ok(RunList {
        run,
        list: summarise(&listed),
        units,
    })
}

/// Units whose final class changed since the previous run of the run's division, and why.
pub async fn run_changes(store: &dyn Store, run_id: i64) -> StoreResult<RunChanges> {
    let run = store.get_run(run_id).await?;
    let current: Vec<ListUnit> = store
        .run_units(run_id, false)
        .await?
        .into_iter()
        .map(|u| u.unit)
        .collect();
    let previous: Vec<ListUnit> = match run.previous_run_id {
        Some(p) => store
            .run_units(p, false)
            .await?
            .into_iter()
            .map(|u| u.unit)
            .collect(),
        None => Vec::new(),
    };
    Ok(RunChanges {
        run_id,
        previous_run_id: run.previous_run_id,
        changes: if run.previous_run_id.is_some() {
            changes(&previous, &current)
        } else {
            Vec::new()
        },
    })
}

/// The geometries of the units of a division, by code.
pub async fn unit_geometries(
    store: &dyn Store,
    division: DivisionCode,
) -> StoreResult<HashMap<String, geo::MultiPolygon<f64>>> {
    Ok(store
        .list_units(division)
        .await?
        .into_iter()
        .map(|u| (u.unit.code, u.unit.geometry))
        .collect())
}
