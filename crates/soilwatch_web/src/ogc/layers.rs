//! Divisions, monitoring points and samples (with their evaluation) as collections.
//!
//! Points and samples are the large layers: every queryable, `bbox` and `datetime` of theirs is a
//! filter of the store's [`FindQuery`], so a page is one `COUNT` for `numberMatched` (stopped
//! after [`MATCH_COUNT_CAP`] + 1 matches) and one `LIMIT … OFFSET …` query for the page ([`soilwatch_store::NetworkStore::count_points`],
//! [`soilwatch_store::NetworkStore::count_found_samples`]): a page costs the page, not the layer. Only a query the
//! store cannot answer exactly (a `division` filter that is not a county: the store reads it as
//! the counties inside, the layer as equality) and the exports (every feature) walk the store's
//! keyset pages, checking each feature.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::NaiveDate;
use serde_json::{json, Map, Value};
use soilwatch_core::{ControlLevel, Division, DivisionLevel, LandUse, Medium, PointType};
use soilwatch_store::{
    FindQuery, FindSort, FoundSample, PointRecord, Store, StoreError, StoredSample,
};

use super::collection::{
    field, no_feature, Collection, CollectionMeta, Feature, FeaturePage, Field, FieldType,
    GeometryKind, Window,
};
use super::params::{bad, ItemQuery};
use crate::api::samples::{evaluate_stored, Evaluation, EvaluationQuery};
use crate::error::{ApiError, ApiResult};

use FieldType::{Date, Integer, Number, String as Text};

/// Rows fetched per store page while walking a collection.
const SCAN_PAGE: u32 = 10_000;

/// `numberMatched` of a points or samples page is given when at most this many features match
/// (issue 12): the count stops after one more, so a first page of the 1,000,000 samples costs
/// at most 10,001 index entries instead of the whole layer. Above it `numberMatched` is left out,
/// as OGC API – Features allows (the field is optional; clients follow the `next` links).
pub const MATCH_COUNT_CAP: u64 = 10_000;

/// The `numberMatched` of a count made with a cap of [`MATCH_COUNT_CAP`] + 1.
fn counted(n: u64) -> Option<u64> {
    (n <= MATCH_COUNT_CAP).then_some(n)
}

fn normalize_with<T: std::str::FromStr>(
    field: &str,
    value: &str,
    code: fn(&T) -> String,
) -> ApiResult<String>
where
    T::Err: std::fmt::Display,
{
    value
        .parse::<T>()
        .map(|v| code(&v))
        .map_err(|e| bad(field, "无法识别的值", e))
}

fn normalize_division(field: &str, value: &str) -> ApiResult<String> {
    normalize_with::<soilwatch_core::DivisionCode>(field, value, |c| c.to_string())
}

/// Common enum filters of points and samples.
fn normalize_common(field: &str, value: &str) -> ApiResult<String> {
    match field {
        "division" | "parent" => normalize_division(field, value),
        "point_type" => normalize_with::<PointType>(field, value, |v| v.code().to_owned()),
        "control_level" => normalize_with::<ControlLevel>(field, value, |v| v.code().to_owned()),
        "land_use" => normalize_with::<LandUse>(field, value, |v| v.code().to_owned()),
        "medium" => normalize_with::<Medium>(field, value, |v| v.code().to_owned()),
        "risk_category" => normalize_with::<soilwatch_store::RiskAreaCategory>(field, value, |v| {
            v.code().to_owned()
        }),
        _ => Ok(value.to_owned()),
    }
}

fn opt<T: ToString>(v: Option<T>) -> Value {
    v.map_or(Value::Null, |v| Value::String(v.to_string()))
}

fn props(pairs: Vec<(&str, Value)>) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Point, type, control level, division and date filters that the store applies itself.
fn push_down(q: &ItemQuery) -> FindQuery {
    let parse = |name: &str| q.filter(name);
    FindQuery {
        division: parse("division").and_then(|s| s.parse().ok()),
        point_type: parse("point_type").and_then(|s| s.parse().ok()),
        control_level: parse("control_level").and_then(|s| s.parse().ok()),
        risk_category: parse("risk_category").and_then(|s| s.parse().ok()),
        medium: parse("medium").and_then(|s| s.parse().ok()),
        bbox: q.bbox,
        sort: FindSort::Key,
        limit: SCAN_PAGE,
        visible: q.visible.clone(),
        ..FindQuery::default()
    }
}

/// Whether the store applies every filter of `q` exactly as the features are checked
/// ([`super::collection::accepts`]): each filter is one of `pushed`, and a `division` filter names
/// a county (the store reads a prefecture as its counties, the features compare codes).
fn store_exact(q: &ItemQuery, pushed: &[&str]) -> bool {
    q.filters.iter().all(|(name, value)| {
        pushed.contains(name)
            && (*name != "division"
                || value
                    .parse::<soilwatch_core::DivisionCode>()
                    .is_ok_and(|d| d.level() == DivisionLevel::County))
    })
}

/// The page window of `q` as the store's `limit` and `offset`, when the store can cut it: a
/// paged request whose filters the store applies exactly.
fn store_window(q: &ItemQuery, pushed: &[&str]) -> Option<u32> {
    let limit = q.limit?;
    store_exact(q, pushed).then(|| u32::try_from(limit).unwrap_or(u32::MAX).min(100_000))
}

// ---------------------------------------------------------------------------------------------
// Divisions

/// 行政区划 — the prefecture and its counties with their boundaries.
pub struct Divisions;

static DIVISION_FIELDS: [Field; 6] = [
    field("code", Text, "区划代码 / GB/T 2260 code", true),
    field("name", Text, "名称 / name", true),
    field(
        "level",
        Text,
        "级别 / level (province, prefecture, county)",
        true,
    ),
    field("parent", Text, "上级区划 / parent code", true),
    field(
        "area_km2",
        Number,
        "面积 km²（3° 高斯–克吕格）/ area km² (3° Gauss–Krüger)",
        false,
    ),
    field("boundary_source", Text, "边界来源 / boundary source", false),
];

static DIVISIONS_META: CollectionMeta = CollectionMeta {
    id: "divisions",
    title: "行政区划 / administrative divisions",
    description:
        "州及所辖县（市）的行政区划边界（CGCS2000）/ the prefecture and its counties with \
                  their boundaries (CGCS2000)",
    geometry: GeometryKind::MultiPolygon,
    fields: &DIVISION_FIELDS,
    public: true,
    temporal: None,
};

fn level(l: DivisionLevel) -> &'static str {
    match l {
        DivisionLevel::Province => "province",
        DivisionLevel::Prefecture => "prefecture",
        DivisionLevel::County => "county",
    }
}

fn division_feature(d: Division) -> Feature {
    Feature {
        id: d.code.to_string(),
        numeric_id: false,
        geometry: d.boundary.map(geo::Geometry::MultiPolygon),
        properties: props(vec![
            ("code", json!(d.code.to_string())),
            ("name", json!(d.name)),
            ("level", json!(level(d.level))),
            ("parent", opt(d.parent)),
            (
                "area_km2",
                d.area_km2
                    .map_or(Value::Null, |a| json!((a * 100.0).round() / 100.0)),
            ),
            ("boundary_source", opt(d.boundary_source)),
        ]),
    }
}

#[async_trait]
impl Collection for Divisions {
    fn meta(&self) -> &'static CollectionMeta {
        &DIVISIONS_META
    }
    fn normalize(&self, field: &str, value: &str) -> ApiResult<String> {
        match field {
            "code" => normalize_division(field, value),
            _ => normalize_common(field, value),
        }
    }
    async fn items(&self, store: &dyn Store, q: &ItemQuery) -> ApiResult<FeaturePage> {
        let mut w = Window::new(self.meta(), q);
        for d in store.list_divisions().await? {
            w.offer(division_feature(d));
        }
        w.finish()
    }
    async fn item(&self, store: &dyn Store, id: &str) -> ApiResult<Feature> {
        let code = id.parse().map_err(|_| no_feature(self.meta().id, id))?;
        match store.get_division(code).await {
            Ok(d) => Ok(division_feature(d)),
            Err(StoreError::NotFound { .. }) => Err(no_feature(self.meta().id, id)),
            Err(e) => Err(e.into()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Points

/// 监测点位 — the monitoring points.
pub struct Points;

static POINT_FIELDS: [Field; 14] = [
    field("code", Text, "点位编码 / point code", true),
    field("name", Text, "点位名称 / name", true),
    field("point_type", Text, "点位类型 / point type", true),
    field("control_level", Text, "控制级别 / control level", true),
    field("division", Text, "行政区划 / division", true),
    field("land_use", Text, "土地利用 / land use (GB/T 21010)", true),
    field(
        "risk_category",
        Text,
        "风险区类别 / risk-area category",
        true,
    ),
    field("status", Text, "状态 / status (active, retired)", true),
    field(
        "watched_enterprise",
        Text,
        "关注企业 / watched enterprise",
        false,
    ),
    field("watched_plot", Text, "关注地块 / watched plot", false),
    field("established_on", Date, "设立日期 / established on", false),
    field("retired_on", Date, "撤销日期 / retired on", false),
    field("moved_on", Date, "迁移日期 / moved on", false),
    field("version", Integer, "版本 / version", false),
];

/// The point queryables the store filters on.
const POINT_PUSHED: [&str; 8] = [
    "code",
    "name",
    "point_type",
    "control_level",
    "division",
    "land_use",
    "risk_category",
    "status",
];

static POINTS_META: CollectionMeta = CollectionMeta {
    id: "points",
    title: "监测点位 / monitoring points",
    description:
        "土壤、农产品、灌溉水、地下水、地表水监测网络的点位（CGCS2000）；时间为设立至撤销 / \
                  points of the monitoring network (CGCS2000); in time from establishment to \
                  retirement",
    geometry: GeometryKind::Point,
    fields: &POINT_FIELDS,
    // Locations of points, plots, enterprises and parcels are not public (issue 13):
    // the public reads the portal, `/public`.
    public: false,
    temporal: Some(("established_on", Some("retired_on"))),
};

fn point_feature(r: PointRecord) -> Feature {
    let n = r.point;
    let p = n.point;
    let loc = p.location;
    Feature {
        id: p.code.clone(),
        numeric_id: false,
        geometry: Some(geo::Geometry::Point(geo::Point::new(loc.lon(), loc.lat()))),
        properties: props(vec![
            ("code", json!(p.code)),
            ("name", json!(p.name)),
            ("point_type", json!(p.point_type.code())),
            ("control_level", json!(p.control_level.code())),
            ("division", json!(p.division.to_string())),
            ("land_use", opt(p.land_use.map(|l| l.code()))),
            ("risk_category", opt(p.risk_category)),
            (
                "status",
                json!(if p.retired_on.is_some() {
                    "retired"
                } else {
                    "active"
                }),
            ),
            ("watched_enterprise", opt(n.watched_enterprise)),
            ("watched_plot", opt(n.watched_plot)),
            ("established_on", opt(p.established_on)),
            ("retired_on", opt(p.retired_on)),
            ("moved_on", opt(n.moved_on)),
            ("version", json!(r.version)),
        ]),
    }
}

#[async_trait]
impl Collection for Points {
    fn meta(&self) -> &'static CollectionMeta {
        &POINTS_META
    }
    fn normalize(&self, field: &str, value: &str) -> ApiResult<String> {
        match field {
            "status" => match value {
                "active" | "retired" => Ok(value.to_owned()),
                other => Err(bad(
                    field,
                    format!("应为 active 或 retired，收到 '{other}'"),
                    format!("must be active or retired, found '{other}'"),
                )),
            },
            _ => normalize_common(field, value),
        }
    }
    async fn items(&self, store: &dyn Store, q: &ItemQuery) -> ApiResult<FeaturePage> {
        let mut fq = push_down(q);
        fq.point_code = q.filter("code").map(str::to_owned);
        fq.name = q.filter("name").map(str::to_owned);
        fq.land_use = q.filter("land_use").and_then(|s| s.parse().ok());
        fq.active = q.filter("status").map(|s| s == "active");
        fq.in_service = q.datetime.map(|r| (r.from, r.to));
        // Issue 12: the store pages by key (a feature's id is the store's cursor).
        fq.cursor = q.cursor.clone();
        if let Some(limit) = store_window(q, &POINT_PUSHED) {
            let matched = match q.cursor {
                None => counted(store.count_points(&fq, MATCH_COUNT_CAP + 1).await?),
                Some(_) => None,
            };
            fq.offset = q.offset;
            fq.limit = limit;
            let page = store.find_points(&fq).await?;
            return Ok(FeaturePage {
                features: page.items.into_iter().map(point_feature).collect(),
                matched,
                next_cursor: page.next_cursor,
            });
        }
        let mut w = Window::after(self.meta(), q);
        loop {
            let page = store.find_points(&fq).await?;
            for p in page.items {
                w.offer(point_feature(p));
            }
            match page.next_cursor {
                Some(c) if !w.full() => fq.cursor = Some(c),
                _ => break,
            }
        }
        w.finish()
    }
    async fn item(&self, store: &dyn Store, id: &str) -> ApiResult<Feature> {
        match store.get_point_record(id).await {
            Ok(p) => Ok(point_feature(p)),
            Err(StoreError::NotFound { .. }) => Err(no_feature(self.meta().id, id)),
            Err(e) => Err(e.into()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Samples

/// 样品 — samples at their point's location, with their evaluation against the default
/// standard of their medium.
pub struct Samples;

static SAMPLE_FIELDS: [Field; 17] = [
    field("id", Integer, "样品编号 / sample id", false),
    field("code", Text, "样品编码 / sample code", true),
    field("point_code", Text, "点位编码 / point code", true),
    field("medium", Text, "介质 / medium", true),
    field("division", Text, "行政区划 / division", true),
    field("sampled_on", Date, "采样日期 / sampled on", false),
    field("land_use", Text, "土地利用 / land use (GB/T 21010)", true),
    field("crop", Text, "作物 / crop", true),
    field(
        "depth_top",
        Integer,
        "采样深度上限 cm / depth top cm",
        false,
    ),
    field(
        "depth_bottom",
        Integer,
        "采样深度下限 cm / depth bottom cm",
        false,
    ),
    field("lab", Text, "检测机构 / laboratory", true),
    field("point_type", Text, "点位类型 / point type", true),
    field("control_level", Text, "控制级别 / control level", true),
    field("ruleset", Text, "评价标准 / ruleset", false),
    field("class", Text, "评价结论 / class", false),
    field(
        "exceedances",
        Text,
        "超标项目 / items above the limit",
        false,
    ),
    field(
        "evaluation_note",
        Text,
        "未能评价的原因 / why it was not evaluated",
        false,
    ),
];

/// The sample queryables the store filters on.
const SAMPLE_PUSHED: [&str; 9] = [
    "code",
    "point_code",
    "medium",
    "division",
    "land_use",
    "crop",
    "lab",
    "point_type",
    "control_level",
];

static SAMPLES_META: CollectionMeta = CollectionMeta {
    id: "samples",
    title: "样品及评价 / samples with their evaluation",
    description: "样品（位于其点位）及按介质默认标准的评价：土壤 GB 15618-2018，地下水 GB/T \
                  14848-2017，地表水 GB 3838-2002，灌溉水 GB 5084-2021 / samples at their \
                  point with their evaluation against the default standard of their medium",
    geometry: GeometryKind::Point,
    fields: &SAMPLE_FIELDS,
    public: false,
    temporal: Some(("sampled_on", None)),
};

fn sample_feature(s: FoundSample) -> Feature {
    let geometry = match (s.lon, s.lat) {
        (Some(x), Some(y)) => Some(geo::Geometry::Point(geo::Point::new(x, y))),
        _ => None,
    };
    let m = s.sample;
    Feature {
        id: s.id.to_string(),
        numeric_id: true,
        geometry,
        properties: props(vec![
            ("id", json!(s.id)),
            ("code", json!(m.code)),
            ("point_code", opt(m.point_code)),
            ("medium", json!(m.medium.code())),
            ("division", json!(m.division.to_string())),
            ("sampled_on", json!(m.sampled_on.to_string())),
            ("land_use", opt(m.land_use.map(|l| l.code()))),
            ("crop", opt(m.crop)),
            ("depth_top", m.depth_cm.map_or(Value::Null, |d| json!(d.0))),
            (
                "depth_bottom",
                m.depth_cm.map_or(Value::Null, |d| json!(d.1)),
            ),
            ("lab", opt(m.lab)),
            ("point_type", opt(s.point_type.map(|t| t.code()))),
            ("control_level", opt(s.control_level.map(|c| c.code()))),
            ("ruleset", Value::Null),
            ("class", Value::Null),
            ("exceedances", Value::Null),
            ("evaluation_note", Value::Null),
        ]),
    }
}

fn code_of<T: serde::Serialize>(v: &T) -> Value {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => Value::String(s),
        Ok(other) => Value::String(other.to_string()),
        Err(_) => Value::Null,
    }
}

/// Add the evaluation of each stored sample (the function the JSON API and the sample page use),
/// reading the samples and their results in bulk (issue 12: no query per feature).
async fn evaluate_all(store: &dyn Store, features: &mut [Feature]) -> ApiResult<()> {
    let ids = features
        .iter()
        .map(|f| {
            f.id.parse::<i64>()
                .map_err(|_| ApiError::Internal(format!("sample id '{}' is not a number", f.id)))
        })
        .collect::<ApiResult<Vec<i64>>>()?;
    let stored: HashMap<i64, StoredSample> = store
        .get_samples_by_ids(&ids)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    for (f, id) in features.iter_mut().zip(ids) {
        let stored = stored.get(&id).ok_or_else(|| StoreError::NotFound {
            entity: "sample",
            key: id.to_string(),
        })?;
        evaluate(stored, f);
    }
    Ok(())
}

/// Add the evaluation of the stored sample to its feature.
fn evaluate(stored: &StoredSample, f: &mut Feature) {
    let mut set = |k: &str, v: Value| {
        f.properties.insert(k.to_owned(), v);
    };
    match evaluate_stored(stored, &EvaluationQuery::default()) {
        Ok((ruleset, e)) => {
            set("ruleset", json!(ruleset));
            let (class, over) = match &e {
                Evaluation::Soil(s) => (
                    s.class.as_ref().map_or(Value::Null, code_of),
                    s.exceed_screening.clone(),
                ),
                Evaluation::Water(w) => (
                    match (&w.class, w.compliant) {
                        (Some(c), _) => code_of(c),
                        (None, Some(true)) => json!("compliant"),
                        (None, Some(false)) => json!("non_compliant"),
                        (None, None) => Value::Null,
                    },
                    w.exceedances.clone(),
                ),
            };
            set("class", class);
            set("exceedances", json!(over.join(",")));
        }
        Err(e) => set("evaluation_note", json!(crate::pages::message(&e))),
    }
}

#[async_trait]
impl Collection for Samples {
    fn meta(&self) -> &'static CollectionMeta {
        &SAMPLES_META
    }
    fn normalize(&self, field: &str, value: &str) -> ApiResult<String> {
        normalize_common(field, value)
    }
    async fn items(&self, store: &dyn Store, q: &ItemQuery) -> ApiResult<FeaturePage> {
        let mut fq = push_down(q);
        fq.point_code = q.filter("point_code").map(str::to_owned);
        fq.sample_code = q.filter("code").map(str::to_owned);
        fq.land_use = q.filter("land_use").and_then(|s| s.parse().ok());
        fq.crop = q.filter("crop").map(str::to_owned);
        fq.lab = q.filter("lab").map(str::to_owned);
        if let Some(r) = q.datetime {
            fq.from = r.from;
            fq.to = r.to;
        }
        // Issue 12: the store pages by key (a feature's id is the store's cursor).
        fq.cursor = q.cursor.clone();
        if let Some(limit) = store_window(q, &SAMPLE_PUSHED) {
            let matched = match q.cursor {
                None => counted(store.count_found_samples(&fq, MATCH_COUNT_CAP + 1).await?),
                Some(_) => None,
            };
            fq.offset = q.offset;
            fq.limit = limit;
            let found = store.find_samples(&fq).await?;
            let mut page = FeaturePage {
                features: found.items.into_iter().map(sample_feature).collect(),
                matched,
                next_cursor: found.next_cursor,
            };
            evaluate_all(store, &mut page.features).await?;
            return Ok(page);
        }
        let mut w = Window::after(self.meta(), q);
        loop {
            let page = store.find_samples(&fq).await?;
            for s in page.items {
                w.offer(sample_feature(s));
            }
            match page.next_cursor {
                Some(c) if !w.full() => fq.cursor = Some(c),
                _ => break,
            }
        }
        let mut page = w.finish()?;
        evaluate_all(store, &mut page.features).await?;
        Ok(page)
    }
    async fn item(&self, store: &dyn Store, id: &str) -> ApiResult<Feature> {
        let Ok(n) = id.parse::<i64>() else {
            return Err(no_feature(self.meta().id, id));
        };
        let fq = FindQuery {
            limit: 1,
            cursor: Some(n.saturating_sub(1).to_string()),
            ..FindQuery::default()
        };
        let found = store.find_samples(&fq).await?;
        let Some(s) = found.items.into_iter().find(|s| s.id == n) else {
            return Err(no_feature(self.meta().id, id));
        };
        let mut f = sample_feature(s);
        evaluate(&store.get_sample_by_id(n).await?, &mut f);
        Ok(f)
    }
    async fn temporal_extent(
        &self,
        store: &dyn Store,
    ) -> ApiResult<Option<(Option<NaiveDate>, Option<NaiveDate>)>> {
        let first = |sort| FindQuery {
            sort,
            limit: 1,
            ..FindQuery::default()
        };
        let a = store.find_samples(&first(FindSort::Date)).await?;
        let b = store.find_samples(&first(FindSort::DateDesc)).await?;
        Ok(Some((
            a.items.first().map(|s| s.sample.sampled_on),
            b.items.first().map(|s| s.sample.sampled_on),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A queryable the store does not filter on would make every filtered page walk the layer.
    #[test]
    fn every_point_and_sample_queryable_is_a_store_filter() {
        for f in POINTS_META.queryables() {
            assert!(POINT_PUSHED.contains(&f.name), "points: {}", f.name);
        }
        for f in SAMPLES_META.queryables() {
            assert!(SAMPLE_PUSHED.contains(&f.name), "samples: {}", f.name);
        }
    }

    #[test]
    fn a_prefecture_filter_is_not_the_stores() {
        let q = |division: &str| ItemQuery {
            bbox: None,
            datetime: None,
            filters: vec![("division", division.to_owned())],
            offset: 0,
            cursor: None,
            limit: Some(10),
            crs: super::super::params::Crs::Crs84,
            asked_limit: None,
            visible: None,
        };
        assert_eq!(store_window(&q("513402"), &POINT_PUSHED), Some(10));
        assert_eq!(store_window(&q("513400"), &POINT_PUSHED), None);
        let mut every = q("513402");
        every.limit = None;
        assert_eq!(store_window(&every, &POINT_PUSHED), None);
    }
}
