//! Farmland classification (issue 6) as a collection: the evaluation units with their class.
//!
//! Without a `run` filter the layer is the current classification: for every county, the units of
//! the newest run that covers it (a county's own run or a prefecture-wide one, whichever is newer).
//! `run=N` serves the units of that run instead, so every stored run can be opened as a layer.
//! A feature's id is `{run}-{unit code}`; the class that counts (`final_class`) is the reviewer's
//! when the unit was reviewed, else the computed one, as in the classification list.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use serde_json::{json, Map, Value};
use soilwatch_classify::list::ListUnit;
use soilwatch_classify::UnitClass;
use soilwatch_core::DivisionCode;
use soilwatch_store::{RunRecord, Store, StoreError};

use super::collection::{
    field, no_feature, Collection, CollectionMeta, Feature, FeaturePage, Field, FieldType,
    GeometryKind, Window,
};
use super::params::{bad, ItemQuery};
use crate::auth::division_covers;
use crate::error::ApiResult;

use FieldType::{Integer, Number, String as Text};

/// 农用地分类单元 — classified farmland units.
pub struct ClassificationUnits;

static UNIT_FIELDS: [Field; 15] = [
    field("run", Integer, "分类批次 / classification run", true),
    field("year", Integer, "年度 / year", true),
    field("unit", Text, "单元编码 / unit code", true),
    field("division", Text, "行政区划 / division", true),
    field("county", Text, "县（市）/ county", false),
    field(
        "source",
        Text,
        "单元来源 / unit source (parcel, grid)",
        true,
    ),
    field("land_use", Text, "土地利用 (GB/T 21010) / land use", true),
    field("area_mu", Number, "面积（亩）/ area (mu)", false),
    field("area_ha", Number, "面积（公顷）/ area (ha)", false),
    field("class", Text, "计算类别 / computed class", true),
    field("reviewed_class", Text, "审核类别 / reviewed class", true),
    field("final_class", Text, "最终类别 / final class", true),
    field(
        "final_class_cn",
        Text,
        "最终类别（中文）/ final class (Chinese)",
        false,
    ),
    field("basis", Text, "依据 / basis", true),
    field("rule", Text, "判定规则 / deciding rule", false),
];

static UNITS_META: CollectionMeta = CollectionMeta {
    id: "classification_units",
    title: "农用地分类单元 / classified farmland units",
    description:
        "各县最新一次分类的评价单元及其类别（优先保护、安全利用、严格管控）；run=N 取指定批次 \
                  / the evaluation units of each county's newest classification run with their \
                  class (priority protection, safe utilization, strict control); run=N for one run",
    geometry: GeometryKind::MultiPolygon,
    fields: &UNIT_FIELDS,
    // Locations of points, plots, enterprises and parcels are not public (issue 13):
    // the public reads the portal, `/public`.
    public: false,
    temporal: None,
};

fn class_code(c: Option<UnitClass>) -> Value {
    c.map_or(Value::Null, |c| json!(c.code()))
}

fn unit_feature(
    run: &RunRecord,
    u: ListUnit,
    geometry: &HashMap<String, geo::MultiPolygon<f64>>,
) -> Feature {
    let mut p = Map::new();
    let mut set = |k: &str, v: Value| {
        p.insert(k.to_owned(), v);
    };
    set("run", json!(run.id));
    set("year", json!(run.year));
    set("unit", json!(u.unit_code));
    set("division", json!(u.division));
    set("county", json!(u.county));
    set("source", json!(u.source));
    set("land_use", json!(u.land_use));
    set("area_mu", json!((u.area_mu * 100.0).round() / 100.0));
    set("area_ha", json!((u.area_ha * 10_000.0).round() / 10_000.0));
    set("class", class_code(u.class));
    set("reviewed_class", class_code(u.reviewed_class));
    set("final_class", class_code(u.final_class()));
    set(
        "final_class_cn",
        json!(u.final_class().map_or("", |c| c.name_cn())),
    );
    set("basis", json!(u.basis.code()));
    set("rule", json!(u.rule));
    Feature {
        id: format!("{}-{}", run.id, u.unit_code),
        numeric_id: false,
        geometry: geometry
            .get(&u.unit_code)
            .cloned()
            .map(geo::Geometry::MultiPolygon),
        properties: p,
    }
}

/// The runs that make up the current classification, newest first, each with the counties it
/// still decides (those no newer run covers).
async fn current_runs(store: &dyn Store) -> ApiResult<Vec<(RunRecord, Vec<DivisionCode>)>> {
    let counties: Vec<DivisionCode> = store
        .list_divisions()
        .await?
        .into_iter()
        .filter(|d| d.level == soilwatch_core::DivisionLevel::County)
        .map(|d| d.code)
        .collect();
    let mut taken: HashSet<DivisionCode> = HashSet::new();
    let mut out = Vec::new();
    for run in store.list_runs(None, None, 10_000).await? {
        let mine: Vec<DivisionCode> = counties
            .iter()
            .copied()
            .filter(|c| division_covers(run.division, *c) && !taken.contains(c))
            .collect();
        if mine.is_empty() {
            continue;
        }
        taken.extend(mine.iter().copied());
        out.push((run, mine));
        if taken.len() == counties.len() {
            break;
        }
    }
    Ok(out)
}

async fn run_features(
    store: &dyn Store,
    run: &RunRecord,
    counties: Option<&[DivisionCode]>,
    w: &mut Window<'_>,
) -> ApiResult<()> {
    let geometry =
        soilwatch_store::classification_service::unit_geometries(store, run.division).await?;
    for u in store.run_units(run.id, false).await? {
        let keep = match counties {
            None => true,
            Some(cs) => u
                .unit
                .division
                .parse::<DivisionCode>()
                .is_ok_and(|d| cs.contains(&d)),
        };
        if keep {
            w.offer(unit_feature(run, u.unit, &geometry));
        }
    }
    Ok(())
}

#[async_trait]
impl Collection for ClassificationUnits {
    fn meta(&self) -> &'static CollectionMeta {
        &UNITS_META
    }
    fn normalize(&self, field: &str, value: &str) -> ApiResult<String> {
        match field {
            "run" | "year" => value
                .trim()
                .parse::<i64>()
                .map(|n| n.to_string())
                .map_err(|e| bad(field, "应为整数", format!("expected an integer: {e}"))),
            "division" => value
                .parse::<DivisionCode>()
                .map(|c| c.to_string())
                .map_err(|e| bad(field, "无效的区划代码", e)),
            "class" | "reviewed_class" | "final_class" => value
                .trim()
                .parse::<UnitClass>()
                .map(|c| c.code().to_owned())
                .map_err(|e| bad(field, "无效的类别", e)),
            _ => Ok(value.to_owned()),
        }
    }
    async fn items(&self, store: &dyn Store, q: &ItemQuery) -> ApiResult<FeaturePage> {
        let mut w = Window::new(self.meta(), q);
        match q.filter("run").and_then(|r| r.parse::<i64>().ok()) {
            Some(id) => match store.get_run(id).await {
                Ok(run) => run_features(store, &run, None, &mut w).await?,
                // An unknown run matches nothing.
                Err(StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            },
            None => {
                for (run, counties) in current_runs(store).await? {
                    run_features(store, &run, Some(&counties), &mut w).await?;
                }
            }
        }
        w.finish()
    }
    async fn item(&self, store: &dyn Store, id: &str) -> ApiResult<Feature> {
        let missing = || no_feature(self.meta().id, id);
        let (run, unit) = id.split_once('-').ok_or_else(missing)?;
        let run_id: i64 = run.parse().map_err(|_| missing())?;
        let run = match store.get_run(run_id).await {
            Ok(r) => r,
            Err(StoreError::NotFound { .. }) => return Err(missing()),
            Err(e) => return Err(e.into()),
        };
        let u = match store.run_unit(run_id, unit).await {
            Ok(u) => u,
            Err(StoreError::NotFound { .. }) => return Err(missing()),
            Err(e) => return Err(e.into()),
        };
        let geometry =
            soilwatch_store::classification_service::unit_geometries(store, run.division).await?;
        Ok(unit_feature(&run, u.unit, &geometry))
    }
}
