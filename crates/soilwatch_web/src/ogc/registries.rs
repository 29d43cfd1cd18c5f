//! The registries (issue 8) as collections: contaminated plots (boundaries), key supervised
//! enterprises (the public fields only: never the contact), tailings ponds and remediation
//! projects (with their plot's boundary). Each reads the
//! registry's list with the division and status pushed down and filters the rest on the features.

use std::collections::HashMap;

use async_trait::async_trait;
use geo::MultiPolygon;
use serde_json::{json, Map, Value};
use soilwatch_core::LonLat;
use soilwatch_store::registry_enterprise::{Enterprise, TailingsPond};
use soilwatch_store::registry_plot::Plot;
use soilwatch_store::registry_remediation::RemediationProject;
use soilwatch_store::{KeysetPage, RegistryQuery, Store, StoreError, Versioned};

use super::collection::{
    field, no_feature, Collection, CollectionMeta, Feature, FeaturePage, Field, FieldType,
    GeometryKind, Window,
};
use super::params::ItemQuery;
use crate::error::ApiResult;

use FieldType::{Date, Integer, Number, String as Text};

/// The serialized code of a registry enum (`operating`, `nonferrous_smelting`, …).
fn code_of<T: serde::Serialize>(v: &T) -> Value {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => Value::String(s),
        Ok(Value::Null) | Err(_) => Value::Null,
        Ok(other) => Value::String(other.to_string()),
    }
}

fn opt<T: ToString>(v: Option<T>) -> Value {
    v.map_or(Value::Null, |v| Value::String(v.to_string()))
}

fn props(pairs: Vec<(&str, Value)>) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn point(l: Option<LonLat>) -> Option<geo::Geometry<f64>> {
    l.map(|l| geo::Geometry::Point(geo::Point::new(l.lon(), l.lat())))
}

/// Division and status filters the registry applies itself.
/// With the cursor (issue 12: the store pages by key; a feature's id is the record's key).
fn push_down(q: &ItemQuery) -> RegistryQuery {
    RegistryQuery {
        division: q.filter("division").and_then(|s| s.parse().ok()),
        status: q.filter("status").map(str::to_owned),
        page: KeysetPage {
            after: q.cursor.clone(),
            limit: None,
        },
        ..RegistryQuery::default()
    }
}

/// `NotFound` from the store as the OGC 404 of the feature.
fn found<T>(r: Result<T, StoreError>, collection: &str, id: &str) -> ApiResult<T> {
    match r {
        Ok(v) => Ok(v),
        Err(StoreError::NotFound { .. }) => Err(no_feature(collection, id)),
        Err(e) => Err(e.into()),
    }
}

fn normalize_division(field: &str, value: &str) -> ApiResult<String> {
    value
        .parse::<soilwatch_core::DivisionCode>()
        .map(|c| c.to_string())
        .map_err(|e| super::params::bad(field, "无效的区划代码", e))
}

// ---------------------------------------------------------------------------------------------
// Plots

/// 污染地块 — contaminated plots with their boundaries and lifecycle stage.
pub struct Plots;

static PLOT_FIELDS: [Field; 10] = [
    field("code", Text, "地块编码 / plot code", true),
    field("name", Text, "地块名称 / name", true),
    field("division", Text, "行政区划 / division", true),
    field("address", Text, "地址 / address", false),
    field("area_m2", Number, "面积 m² / area m²", false),
    field("former_use", Text, "原用途 / former use", false),
    field("industry", Text, "行业 / industry", true),
    field(
        "planned_use",
        Text,
        "规划用途 (GB 50137) / planned use",
        true,
    ),
    field("status", Text, "阶段 / lifecycle stage", true),
    field("version", Integer, "版本 / version", false),
];

static PLOTS_META: CollectionMeta = CollectionMeta {
    id: "plots",
    title: "污染地块 / contaminated plots",
    description: "疑似及确认的污染地块、边界（CGCS2000）与所处阶段 / suspected and confirmed \
                  contaminated plots with their boundaries (CGCS2000) and lifecycle stage",
    geometry: GeometryKind::MultiPolygon,
    fields: &PLOT_FIELDS,
    // Locations of points, plots, enterprises and parcels are not public (issue 13):
    // the public reads the portal, `/public`.
    public: false,
    temporal: None,
};

fn plot_feature(v: Versioned<Plot>) -> Feature {
    let p = v.item;
    Feature {
        id: p.code.clone(),
        numeric_id: false,
        geometry: p.boundary.map(geo::Geometry::MultiPolygon),
        properties: props(vec![
            ("code", json!(p.code)),
            ("name", json!(p.name)),
            ("division", json!(p.division.to_string())),
            ("address", opt(p.address)),
            (
                "area_m2",
                p.area_m2.map_or(Value::Null, |a| json!(a.round())),
            ),
            ("former_use", opt(p.former_use)),
            ("industry", p.industry.as_ref().map_or(Value::Null, code_of)),
            ("planned_use", opt(p.planned_use)),
            ("status", code_of(&p.status)),
            ("version", json!(v.version)),
        ]),
    }
}

#[async_trait]
impl Collection for Plots {
    fn meta(&self) -> &'static CollectionMeta {
        &PLOTS_META
    }
    fn normalize(&self, field: &str, value: &str) -> ApiResult<String> {
        match field {
            "division" => normalize_division(field, value),
            _ => Ok(value.to_owned()),
        }
    }
    async fn items(&self, store: &dyn Store, q: &ItemQuery) -> ApiResult<FeaturePage> {
        let mut w = Window::after(self.meta(), q);
        for p in store.list_plots(&push_down(q)).await? {
            w.offer(plot_feature(p));
        }
        w.finish()
    }
    async fn item(&self, store: &dyn Store, id: &str) -> ApiResult<Feature> {
        found(store.get_plot(id).await, self.meta().id, id).map(plot_feature)
    }
}

// ---------------------------------------------------------------------------------------------
// Enterprises

/// 重点监管企业 — key supervised enterprises (the public list: no contact details).
pub struct Enterprises;

static ENTERPRISE_FIELDS: [Field; 8] = [
    field(
        "uscc",
        Text,
        "统一社会信用代码 / unified social credit code",
        true,
    ),
    field("name", Text, "企业名称 / name", true),
    field("industry", Text, "行业 / industry", true),
    field("division", Text, "行政区划 / division", true),
    field("address", Text, "地址 / address", false),
    field("listed_year", Integer, "列入名录年份 / listed in", true),
    field("status", Text, "状态 / status", true),
    field("version", Integer, "版本 / version", false),
];

static ENTERPRISES_META: CollectionMeta = CollectionMeta {
    id: "enterprises",
    title: "重点监管企业 / key supervised enterprises",
    description: "土壤污染重点监管单位名录（公开字段）/ the public list of key supervised \
                  enterprises",
    geometry: GeometryKind::Point,
    fields: &ENTERPRISE_FIELDS,
    // Locations of points, plots, enterprises and parcels are not public (issue 13):
    // the public reads the portal, `/public`.
    public: false,
    temporal: None,
};

fn enterprise_feature(v: Versioned<Enterprise>) -> Feature {
    let e = v.item;
    let uscc = e.uscc.to_string();
    Feature {
        id: uscc.clone(),
        numeric_id: false,
        geometry: point(e.location),
        properties: props(vec![
            ("uscc", json!(uscc)),
            ("name", json!(e.name)),
            ("industry", code_of(&e.industry)),
            ("division", json!(e.division.to_string())),
            ("address", opt(e.address)),
            ("listed_year", json!(e.listed_year)),
            ("status", code_of(&e.status)),
            ("version", json!(v.version)),
        ]),
    }
}

#[async_trait]
impl Collection for Enterprises {
    fn meta(&self) -> &'static CollectionMeta {
        &ENTERPRISES_META
    }
    fn normalize(&self, field: &str, value: &str) -> ApiResult<String> {
        match field {
            "division" => normalize_division(field, value),
            "uscc" => Ok(value.trim().to_uppercase()),
            _ => Ok(value.to_owned()),
        }
    }
    async fn items(&self, store: &dyn Store, q: &ItemQuery) -> ApiResult<FeaturePage> {
        let mut w = Window::after(self.meta(), q);
        for e in store.list_enterprises(&push_down(q)).await? {
            w.offer(enterprise_feature(e));
        }
        w.finish()
    }
    async fn item(&self, store: &dyn Store, id: &str) -> ApiResult<Feature> {
        found(store.get_enterprise(id).await, self.meta().id, id).map(enterprise_feature)
    }
}

// ---------------------------------------------------------------------------------------------
// Tailings ponds

/// 尾矿库 — tailings ponds.
pub struct TailingsPonds;

static POND_FIELDS: [Field; 7] = [
    field("code", Text, "尾矿库编码 / code", true),
    field("name", Text, "名称 / name", true),
    field(
        "enterprise_uscc",
        Text,
        "运营企业 / operating enterprise (USCC)",
        true,
    ),
    field("enterprise_name", Text, "企业名称 / enterprise name", false),
    field("division", Text, "行政区划 / division", true),
    field("status", Text, "状态 / status", true),
    field("version", Integer, "版本 / version", false),
];

static PONDS_META: CollectionMeta = CollectionMeta {
    id: "tailings_ponds",
    title: "尾矿库 / tailings ponds",
    description: "尾矿库及其运营企业与状态 / tailings ponds with their operator and status",
    geometry: GeometryKind::Point,
    fields: &POND_FIELDS,
    // Locations of points, plots, enterprises and parcels are not public (issue 13):
    // the public reads the portal, `/public`.
    public: false,
    temporal: None,
};

fn pond_feature(v: Versioned<TailingsPond>) -> Feature {
    let t = v.item;
    Feature {
        id: t.code.clone(),
        numeric_id: false,
        geometry: point(t.location),
        properties: props(vec![
            ("code", json!(t.code)),
            ("name", json!(t.name)),
            ("enterprise_uscc", opt(t.enterprise_uscc)),
            ("enterprise_name", opt(t.enterprise_name)),
            ("division", json!(t.division.to_string())),
            ("status", code_of(&t.status)),
            ("version", json!(v.version)),
        ]),
    }
}

#[async_trait]
impl Collection for TailingsPonds {
    fn meta(&self) -> &'static CollectionMeta {
        &PONDS_META
    }
    fn normalize(&self, field: &str, value: &str) -> ApiResult<String> {
        match field {
            "division" => normalize_division(field, value),
            "enterprise_uscc" => Ok(value.trim().to_uppercase()),
            _ => Ok(value.to_owned()),
        }
    }
    async fn items(&self, store: &dyn Store, q: &ItemQuery) -> ApiResult<FeaturePage> {
        let mut w = Window::after(self.meta(), q);
        for t in store.list_tailings_ponds(&push_down(q)).await? {
            w.offer(pond_feature(t));
        }
        w.finish()
    }
    async fn item(&self, store: &dyn Store, id: &str) -> ApiResult<Feature> {
        found(store.get_tailings_pond(id).await, self.meta().id, id).map(pond_feature)
    }
}

// ---------------------------------------------------------------------------------------------
// Remediation projects

/// 修复工程 — remediation and risk-control projects, drawn with their plot's boundary.
pub struct RemediationProjects;

static PROJECT_FIELDS: [Field; 12] = [
    field("code", Text, "工程编码 / project code", true),
    field("name", Text, "工程名称 / name", true),
    field("plot_code", Text, "地块编码 / plot code", true),
    field("division", Text, "行政区划 / division", true),
    field("mode", Text, "方式 / mode", true),
    field(
        "responsible_unit",
        Text,
        "责任单位 / responsible unit",
        false,
    ),
    field("technique", Text, "技术 / technique", false),
    field("started_on", Date, "开工日期 / started on", false),
    field("finished_on", Date, "完工日期 / finished on", false),
    field("status", Text, "进展 / progress", true),
    field(
        "evaluation_passed",
        Text,
        "效果评估是否达标 / effect evaluation passed",
        false,
    ),
    field("version", Integer, "版本 / version", false),
];

static PROJECTS_META: CollectionMeta = CollectionMeta {
    id: "remediation_projects",
    title: "修复工程 / remediation projects",
    description: "污染地块治理修复与风险管控工程，以地块边界表示（CGCS2000）/ remediation and \
                  risk-control projects, drawn with their plot's boundary (CGCS2000)",
    geometry: GeometryKind::MultiPolygon,
    fields: &PROJECT_FIELDS,
    // Locations of points, plots, enterprises and parcels are not public (issue 13):
    // the public reads the portal, `/public`.
    public: false,
    temporal: Some(("started_on", Some("finished_on"))),
};

/// `planned` (not started), `in_progress` or `finished`.
fn project_status(p: &RemediationProject) -> &'static str {
    match (p.started_on, p.finished_on) {
        (_, Some(_)) => "finished",
        (Some(_), None) => "in_progress",
        (None, None) => "planned",
    }
}

fn project_feature(
    v: Versioned<RemediationProject>,
    boundary: Option<MultiPolygon<f64>>,
) -> Feature {
    let p = v.item;
    Feature {
        id: p.code.clone(),
        numeric_id: false,
        geometry: boundary.map(geo::Geometry::MultiPolygon),
        properties: props(vec![
            ("code", json!(p.code)),
            ("name", json!(p.name)),
            ("plot_code", json!(p.plot_code)),
            ("division", json!(p.division.to_string())),
            ("mode", code_of(&p.mode)),
            ("responsible_unit", json!(p.responsible_unit)),
            ("technique", json!(p.technique)),
            ("started_on", opt(p.started_on)),
            ("finished_on", opt(p.finished_on)),
            ("status", json!(project_status(&p))),
            (
                "evaluation_passed",
                p.effect_evaluation
                    .as_ref()
                    .map_or(Value::Null, |e| json!(if e.passed { "yes" } else { "no" })),
            ),
            ("version", json!(v.version)),
        ]),
    }
}

#[async_trait]
impl Collection for RemediationProjects {
    fn meta(&self) -> &'static CollectionMeta {
        &PROJECTS_META
    }
    fn normalize(&self, field: &str, value: &str) -> ApiResult<String> {
        match field {
            "division" => normalize_division(field, value),
            _ => Ok(value.to_owned()),
        }
    }
    async fn items(&self, store: &dyn Store, q: &ItemQuery) -> ApiResult<FeaturePage> {
        let rq = RegistryQuery {
            division: q.filter("division").and_then(|s| s.parse().ok()),
            plot: q.filter("plot_code").map(str::to_owned),
            page: KeysetPage {
                after: q.cursor.clone(),
                limit: None,
            },
            ..RegistryQuery::default()
        };
        let projects = store.list_projects(&rq).await?;
        // The boundaries of the projects' plots, read once.
        let mut boundaries: HashMap<String, Option<MultiPolygon<f64>>> = HashMap::new();
        if !projects.is_empty() {
            let pq = RegistryQuery {
                division: rq.division,
                ..RegistryQuery::default()
            };
            for p in store.list_plots(&pq).await? {
                boundaries.insert(p.item.code, p.item.boundary);
            }
        }
        let mut w = Window::after(self.meta(), q);
        for p in projects {
            let b = boundaries.get(&p.item.plot_code).cloned().flatten();
            w.offer(project_feature(p, b));
        }
        w.finish()
    }
    async fn item(&self, store: &dyn Store, id: &str) -> ApiResult<Feature> {
        let p = found(store.get_project(id).await, self.meta().id, id)?;
        let boundary = match store.get_plot(&p.item.plot_code).await {
            Ok(plot) => plot.item.boundary,
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        Ok(project_feature(p, boundary))
    }
}
