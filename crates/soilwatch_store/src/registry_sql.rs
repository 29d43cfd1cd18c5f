//! [`RegistryStore`] for [`SqlStore`]: one code path for SQLite and PostgreSQL (`$n`
//! placeholders, the portable subset). Each registry table holds the record as JSON (`data`) with
//! copies of the filtered fields; writes go through [`Doc`], which keeps the table row and the
//! `history` row in one transaction.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use geozero::{CoordDimensions, ToGeo, ToWkb};
use serde::de::DeserializeOwned;
use serde::Serialize;
use soilwatch_core::{ChangeMeta, DivisionCode, DivisionLevel, Medium, VersionRecord};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::registry::{
    invalid, KeysetPage, RegistryEntity, RegistryQuery, RegistryStore, Versioned,
};
use crate::registry_demolition::{
    DemolitionPlan, DemolitionStatus, DemolitionStep, DemolitionTransition,
};
use crate::registry_enterprise::{Disclosure, Enterprise, TailingsPond};
use crate::registry_mining::MiningArea;
use crate::registry_plot::{BoundaryWrite, Plot, PlotStage, PlotStep};
use crate::registry_remediation::{ManifestQuery, Receipt, RemediationProject, TransferManifest};
use crate::sql::Tx;
use crate::{SqlStore, Store, StoreError, StoreResult, StoredSample};

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored {what} cannot be read: {e}"))
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

fn now_text() -> String {
    now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn to_json<T: Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// A value bound to a numbered placeholder.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Real(Option<f64>),
    Blob(Option<Vec<u8>>),
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind(q: AnyQuery<'_>, a: Arg) -> AnyQuery<'_> {
    match a {
        Arg::Text(v) => q.bind(v),
        Arg::Int(v) => q.bind(v),
        Arg::Real(v) => q.bind(v),
        Arg::Blob(v) => q.bind(v),
    }
}

fn text(s: impl Into<String>) -> Arg {
    Arg::Text(Some(s.into()))
}

/// A registry record kept as a row of its table.
pub(crate) trait Doc: Serialize + DeserializeOwned + Clone + Send + Sync {
    const TABLE: &'static str;
    /// Key column.
    const KEY: &'static str;
    const ENTITY: RegistryEntity;
    /// What the record is called in messages (Chinese, English).
    const WHAT: (&'static str, &'static str);
    fn key(&self) -> String;
    /// Filtered copies: (column, value), besides the key, `data` and `version`.
    fn columns(&self) -> StoreResult<Vec<(&'static str, Arg)>>;
    /// The JSON kept in `data` (default: the whole record).
    fn data(&self) -> StoreResult<String> {
        to_json(self)
    }
    fn from_row(r: &AnyRow) -> StoreResult<Self> {
        let d: String = r.try_get("data")?;
        serde_json::from_str(&d).map_err(|e| corrupt(Self::ENTITY.name(), e))
    }
}

fn versioned<T: Doc>(r: &AnyRow) -> StoreResult<Versioned<T>> {
    Ok(Versioned {
        item: T::from_row(r)?,
        version: r.try_get("version")?,
    })
}

fn not_found<T: Doc>(key: &str) -> StoreError {
    StoreError::NotFound {
        entity: T::ENTITY.name(),
        key: key.to_owned(),
    }
}

async fn record_history(
    tx: &mut Tx<'_>,
    entity: RegistryEntity,
    key: &str,
    version: i64,
    operation: &str,
    data: String,
    change: &ChangeMeta,
) -> StoreResult<()> {
    if change.actor.trim().is_empty() || change.reason.trim().is_empty() {
        return Err(StoreError::Invalid(
            "每次修改须注明修改人和原因 / every change needs an actor and a reason".into(),
        ));
    }
    sqlx::query(
        "INSERT INTO history (entity, key, version, operation, data, actor, reason, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(entity.name())
    .bind(key.to_owned())
    .bind(version)
    .bind(operation.to_owned())
    .bind(data)
    .bind(change.actor.trim().to_owned())
    .bind(change.reason.trim().to_owned())
    .bind(now_text())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn insert_doc<T: Doc>(
    tx: &mut Tx<'_>,
    d: &T,
    change: &ChangeMeta,
) -> StoreResult<()> {
    let cols = d.columns()?;
    let mut names = vec![T::KEY];
    names.extend(cols.iter().map(|(c, _)| *c));
    names.extend(["data", "version"]);
    let marks: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        T::TABLE,
        names.join(", "),
        marks.join(", ")
    );
    let key = d.key();
    let mut q = sqlx::query(&sql).bind(key.clone());
    for (_, a) in cols {
        q = bind(q, a);
    }
    q.bind(d.data()?)
        .bind(1_i64)
        .execute(&mut **tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict { constraint, .. } if constraint != "foreign_key" => {
                StoreError::Conflict {
                    constraint,
                    detail: format!(
                        "{}{key} 已登记 / {} {key} is already registered",
                        T::WHAT.0,
                        T::WHAT.1
                    ),
                }
            }
            other => other,
        })?;
    record_history(tx, T::ENTITY, &key, 1, "insert", to_json(d)?, change).await
}

/// Replace a row; `expected` must be the current version when given. Returns the new version.
pub(crate) async fn update_doc<T: Doc>(
    tx: &mut Tx<'_>,
    d: &T,
    expected: Option<i64>,
    operation: &str,
    change: &ChangeMeta,
) -> StoreResult<i64> {
    let cols = d.columns()?;
    let mut sets: Vec<String> = Vec::new();
    let mut n = 1;
    for (c, _) in &cols {
        n += 1;
        sets.push(format!("{c} = ${n}"));
    }
    n += 1;
    sets.push(format!("data = ${n}"));
    let mut sql = format!(
        "UPDATE {} SET {}, version = version + 1 WHERE {} = $1",
        T::TABLE,
        sets.join(", "),
        T::KEY
    );
    if expected.is_some() {
        sql.push_str(&format!(" AND version = ${}", n + 1));
    }
    sql.push_str(" RETURNING version");
    let key = d.key();
    let mut q = sqlx::query(&sql).bind(key.clone());
    for (_, a) in cols {
        q = bind(q, a);
    }
    q = q.bind(d.data()?);
    if let Some(v) = expected {
        q = q.bind(v);
    }
    let Some(row) = q.fetch_optional(&mut **tx).await? else {
        let current = sqlx::query(&format!(
            "SELECT version FROM {} WHERE {} = $1",
            T::TABLE,
            T::KEY
        ))
        .bind(key.clone())
        .fetch_optional(&mut **tx)
        .await?;
        return Err(match current {
            None => not_found::<T>(&key),
            Some(r) => {
                let now: i64 = r.try_get("version")?;
                StoreError::Conflict {
                    constraint: "version".into(),
                    detail: format!(
                        "{w}{key} 已被修改（提交的版本 {e}，当前版本 {now}），请重新读取后再改 / {we} {key} \
                         changed since version {e} (now {now}): reload and retry",
                        w = T::WHAT.0,
                        we = T::WHAT.1,
                        e = expected.unwrap_or_default(),
                    ),
                }
            }
        });
    };
    let version: i64 = row.try_get("version")?;
    record_history(tx, T::ENTITY, &key, version, operation, to_json(d)?, change).await?;
    Ok(version)
}

async fn get_doc<'e, T: Doc, E>(e: E, key: &str) -> StoreResult<Versioned<T>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(&format!("SELECT * FROM {} WHERE {} = $1", T::TABLE, T::KEY))
        .bind(key.to_owned())
        .fetch_optional(e)
        .await?;
    match row {
        Some(r) => versioned(&r),
        None => Err(not_found::<T>(key)),
    }
}

/// Inclusive range of codes inside a division (a prefecture `513400` covers `513400..513499`).
fn code_range(code: DivisionCode) -> (String, String) {
    let v = code.value();
    match code.level() {
        DivisionLevel::Province => (format!("{v:06}"), format!("{:06}", v + 9_999)),
        DivisionLevel::Prefecture => (format!("{v:06}"), format!("{:06}", v + 99)),
        DivisionLevel::County => (format!("{v:06}"), format!("{v:06}")),
    }
}

/// A WHERE clause with its numbered arguments.
#[derive(Default)]
struct Where {
    conds: Vec<String>,
    args: Vec<Arg>,
}

impl Where {
    fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }
    fn division(&mut self, cols: &[&str], d: Option<DivisionCode>) {
        let Some(d) = d else { return };
        let (lo, hi) = code_range(d);
        let alts: Vec<String> = cols
            .iter()
            .map(|c| {
                let a = self.arg(text(lo.clone()));
                let b = self.arg(text(hi.clone()));
                format!("({c} >= {a} AND {c} <= {b})")
            })
            .collect();
        self.conds.push(format!("({})", alts.join(" OR ")));
    }
    fn eq(&mut self, col: &str, v: Option<&str>) {
        if let Some(v) = v {
            let a = self.arg(text(v));
            self.conds.push(format!("{col} = {a}"));
        }
    }
    fn clause(&self) -> String {
        if self.conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.conds.join(" AND "))
        }
    }
    async fn fetch<'e, E>(self, sql: &str, e: E) -> StoreResult<Vec<AnyRow>>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        let mut q = sqlx::query(sql);
        for a in self.args {
            q = bind(q, a);
        }
        Ok(q.fetch_all(e).await?)
    }
}

/// The rows of `T`'s table matching `w` in `order` (a list of columns ending with the key, so
/// the order is total), one keyset page of them (issue 12): after the record keyed
/// `page.after` by comparing the row value of the order columns with that record's, at most
/// `page.limit` rows.
async fn list_docs<T: Doc>(
    store: &SqlStore,
    mut w: Where,
    order: &[&str],
    page: &KeysetPage,
) -> StoreResult<Vec<Versioned<T>>> {
    debug_assert_eq!(order.last(), Some(&T::KEY), "the order ends with the key");
    let cols = order.join(", ");
    if let Some(after) = &page.after {
        let a = w.arg(text(after.clone()));
        w.conds.push(format!(
            "({cols}) > (SELECT {cols} FROM {t} WHERE {key} = {a})",
            t = T::TABLE,
            key = T::KEY
        ));
    }
    let limit = page
        .limit
        .map(|l| format!(" LIMIT {l}"))
        .unwrap_or_default();
    let sql = format!(
        "SELECT * FROM {} {} ORDER BY {cols}{limit}",
        T::TABLE,
        w.clause()
    );
    let rows = w.fetch(&sql, store.pool()).await?;
    if rows.is_empty() {
        if let Some(after) = &page.after {
            let known = sqlx::query(&format!(
                "SELECT 1 AS one FROM {} WHERE {} = $1",
                T::TABLE,
                T::KEY
            ))
            .bind(after.clone())
            .fetch_optional(store.pool())
            .await?;
            if known.is_none() {
                return Err(invalid(
                    "cursor",
                    format!("无效的翻页游标 '{after}'：没有这条记录"),
                    format!(
                        "invalid cursor '{after}': no such record (pass the `next` cursor of the \
                         previous page)"
                    ),
                ));
            }
        }
    }
    rows.iter().map(versioned).collect()
}

fn rfc3339(d: DateTime<FixedOffset>) -> String {
    d.with_timezone(&Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Doc for Plot {
    const TABLE: &'static str = "plots";
    const KEY: &'static str = "code";
    const ENTITY: RegistryEntity = RegistryEntity::Plot;
    const WHAT: (&'static str, &'static str) = ("地块", "plot");
    fn key(&self) -> String {
        self.code.clone()
    }
    fn columns(&self) -> StoreResult<Vec<(&'static str, Arg)>> {
        let wkb = self
            .boundary
            .as_ref()
            .map(|b| geo::Geometry::MultiPolygon(b.clone()).to_wkb(CoordDimensions::xy()))
            .transpose()
            .map_err(|e| {
                invalid(
                    "boundary",
                    format!("无法写为 WKB：{e}"),
                    format!("cannot be written as WKB: {e}"),
                )
            })?;
        let bbox = self
            .boundary
            .as_ref()
            .and_then(geo::BoundingRect::bounding_rect);
        Ok(vec![
            ("name", text(self.name.clone())),
            ("division", text(self.division.to_string())),
            ("status", text(self.status.code())),
            ("land_class", Arg::Int(Some(i64::from(self.land_class)))),
            (
                "industry",
                Arg::Text(self.industry.map(|i| i.code().to_owned())),
            ),
            ("boundary", Arg::Blob(wkb)),
            ("min_lon", Arg::Real(bbox.map(|b| b.min().x))),
            ("min_lat", Arg::Real(bbox.map(|b| b.min().y))),
            ("max_lon", Arg::Real(bbox.map(|b| b.max().x))),
            ("max_lat", Arg::Real(bbox.map(|b| b.max().y))),
        ])
    }
    /// The boundary lives in its WKB column, not in `data`.
    fn data(&self) -> StoreResult<String> {
        let mut p = self.clone();
        p.boundary = None;
        to_json(&p)
    }
    fn from_row(r: &AnyRow) -> StoreResult<Self> {
        let d: String = r.try_get("data")?;
        let mut p: Plot = serde_json::from_str(&d).map_err(|e| corrupt("plot", e))?;
        let wkb: Option<Vec<u8>> = r.try_get("boundary")?;
        p.boundary = match wkb {
            None => None,
            Some(bytes) => match geozero::wkb::Wkb(bytes).to_geo() {
                Ok(geo::Geometry::MultiPolygon(mp)) => Some(mp),
                Ok(geo::Geometry::Polygon(pg)) => Some(geo::MultiPolygon(vec![pg])),
                Ok(_) => return Err(corrupt("plot boundary", "not a polygon")),
                Err(e) => return Err(corrupt("plot boundary", e)),
            },
        };
        Ok(p)
    }
}

impl Doc for Enterprise {
    const TABLE: &'static str = "enterprises";
    const KEY: &'static str = "uscc";
    const ENTITY: RegistryEntity = RegistryEntity::Enterprise;
    const WHAT: (&'static str, &'static str) = ("企业", "enterprise");
    fn key(&self) -> String {
        self.uscc.to_string()
    }
    fn columns(&self) -> StoreResult<Vec<(&'static str, Arg)>> {
        Ok(vec![
            ("name", text(self.name.clone())),
            ("division", text(self.division.to_string())),
            ("industry", text(self.industry.code())),
            ("status", text(self.status.code())),
            ("listed_year", Arg::Int(Some(i64::from(self.listed_year)))),
        ])
    }
}

impl Doc for Disclosure {
    const TABLE: &'static str = "enterprise_disclosures";
    const KEY: &'static str = "key";
    const ENTITY: RegistryEntity = RegistryEntity::Disclosure;
    const WHAT: (&'static str, &'static str) = ("信息公开", "disclosure");
    fn key(&self) -> String {
        Disclosure::key(self)
    }
    fn columns(&self) -> StoreResult<Vec<(&'static str, Arg)>> {
        Ok(vec![
            ("uscc", text(self.uscc.to_string())),
            ("year", Arg::Int(Some(i64::from(self.year)))),
            ("disclosed_on", text(self.disclosed_on.to_string())),
        ])
    }
}

impl Doc for RemediationProject {
    const TABLE: &'static str = "remediation_projects";
    const KEY: &'static str = "code";
    const ENTITY: RegistryEntity = RegistryEntity::RemediationProject;
    const WHAT: (&'static str, &'static str) = ("修复工程", "remediation project");
    fn key(&self) -> String {
        self.code.clone()
    }
    fn columns(&self) -> StoreResult<Vec<(&'static str, Arg)>> {
        Ok(vec![
            ("plot_code", text(self.plot_code.clone())),
            ("division", text(self.division.to_string())),
        ])
    }
}

impl Doc for TransferManifest {
    const TABLE: &'static str = "transfer_manifests";
    const KEY: &'static str = "code";
    const ENTITY: RegistryEntity = RegistryEntity::Manifest;
    const WHAT: (&'static str, &'static str) = ("转运联单", "transfer manifest");
    fn key(&self) -> String {
        self.code.clone()
    }
    fn columns(&self) -> StoreResult<Vec<(&'static str, Arg)>> {
        Ok(vec![
            ("project_code", text(self.project_code.clone())),
            ("origin_division", text(self.origin_division.to_string())),
            (
                "destination_division",
                text(self.destination_division.to_string()),
            ),
            ("departure_at", text(rfc3339(self.departure_at))),
        ])
    }
}

impl Doc for TailingsPond {
    const TABLE: &'static str = "tailings_ponds";
    const KEY: &'static str = "code";
    const ENTITY: RegistryEntity = RegistryEntity::TailingsPond;
    const WHAT: (&'static str, &'static str) = ("尾矿库", "tailings pond");
    fn key(&self) -> String {
        self.code.clone()
    }
    fn columns(&self) -> StoreResult<Vec<(&'static str, Arg)>> {
        Ok(vec![
            ("name", text(self.name.clone())),
            ("division", text(self.division.to_string())),
            (
                "enterprise_uscc",
                Arg::Text(self.enterprise_uscc.as_ref().map(|u| u.to_string())),
            ),
            ("status", text(self.status.code())),
        ])
    }
}

impl Doc for DemolitionPlan {
    const TABLE: &'static str = "demolition_plans";
    const KEY: &'static str = "code";
    const ENTITY: RegistryEntity = RegistryEntity::DemolitionPlan;
    const WHAT: (&'static str, &'static str) = ("拆除方案", "demolition plan");
    fn key(&self) -> String {
        self.code.clone()
    }
    fn columns(&self) -> StoreResult<Vec<(&'static str, Arg)>> {
        Ok(vec![
            ("enterprise_uscc", text(self.enterprise_uscc.to_string())),
            ("division", text(self.division.to_string())),
            ("status", text(self.status.code())),
            ("filed_on", text(self.filing.filed_on.to_string())),
        ])
    }
}

impl Doc for MiningArea {
    const TABLE: &'static str = "mining_areas";
    const KEY: &'static str = "code";
    const ENTITY: RegistryEntity = RegistryEntity::MiningArea;
    const WHAT: (&'static str, &'static str) = ("矿区", "mining area");
    fn key(&self) -> String {
        self.code.clone()
    }
    fn columns(&self) -> StoreResult<Vec<(&'static str, Arg)>> {
        Ok(vec![
            ("name", text(self.name.clone())),
            ("division", text(self.division.to_string())),
            (
                "enterprise_uscc",
                Arg::Text(self.enterprise_uscc.as_ref().map(|u| u.to_string())),
            ),
            ("status", text(self.status.code())),
            (
                "radioactive",
                Arg::Int(Some(i64::from(self.associated_radioactivity))),
            ),
        ])
    }
}

impl SqlStore {
    /// Insert a checked record as version 1.
    async fn insert_checked<T: Doc>(&self, d: T, change: &ChangeMeta) -> StoreResult<Versioned<T>> {
        let mut tx = self.begin_write().await?;
        insert_doc(&mut tx, &d, change).await?;
        tx.commit().await?;
        Ok(Versioned {
            item: d,
            version: 1,
        })
    }

    /// Replace a checked record (operation `update`).
    async fn replace_checked<T: Doc>(
        &self,
        d: T,
        expected_version: Option<i64>,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<T>> {
        let mut tx = self.begin_write().await?;
        let version = update_doc(&mut tx, &d, expected_version, "update", change).await?;
        tx.commit().await?;
        Ok(Versioned { item: d, version })
    }

    /// A demolition plan checked, with its enterprise's name and county (the enterprise must
    /// be registered).
    async fn checked_demolition_plan(&self, p: &DemolitionPlan) -> StoreResult<DemolitionPlan> {
        let mut p = p.checked()?;
        let e = match self.get_enterprise(p.enterprise_uscc.as_str()).await {
            Ok(e) => e.item,
            Err(StoreError::NotFound { .. }) => {
                return Err(invalid(
                    "enterprise_uscc",
                    format!("企业 '{}' 未登记为重点监管企业", p.enterprise_uscc),
                    format!(
                        "enterprise '{}' is not registered as a key supervised enterprise",
                        p.enterprise_uscc
                    ),
                ))
            }
            Err(e) => return Err(e),
        };
        p.enterprise_name = e.name;
        p.division = e.division;
        Ok(p)
    }

    /// The county of a registry record, checked to exist.
    async fn check_county(&self, field: &str, code: DivisionCode) -> StoreResult<()> {
        if code.level() != DivisionLevel::County {
            return Err(invalid(
                field,
                format!("应为县级行政区划代码，'{code}' 不是"),
                format!("expected a county code; '{code}' is not one"),
            ));
        }
        match self.get_division(code).await {
            Ok(_) => Ok(()),
            Err(StoreError::NotFound { .. }) => Err(invalid(
                field,
                format!("行政区划 '{code}' 不存在"),
                format!("division '{code}' does not exist"),
            )),
            Err(e) => Err(e),
        }
    }

    /// A plot's boundary must touch its county.
    async fn check_plot_place(&self, p: &Plot) -> StoreResult<()> {
        self.check_county("division", p.division).await?;
        let (Some(b), Ok(d)) = (&p.boundary, self.get_division(p.division).await) else {
            return Ok(());
        };
        if let Some(county) = &d.boundary {
            if !geo::Intersects::intersects(county, b) {
                return Err(invalid(
                    "boundary",
                    format!("地块边界不在 {}（{}）境内", d.name, d.code),
                    format!(
                        "the boundary lies outside {} ({}); check the coordinates (CGCS2000 \
                         longitude, latitude) and the division",
                        d.name, d.code
                    ),
                ));
            }
        }
        Ok(())
    }

    async fn checked_manifest(&self, m: &TransferManifest) -> StoreResult<TransferManifest> {
        let mut m = m.checked()?;
        let project = match self.get_project(&m.project_code).await {
            Ok(p) => p,
            Err(StoreError::NotFound { .. }) => {
                return Err(invalid(
                    "project_code",
                    format!("修复工程 '{}' 未登记", m.project_code),
                    format!("remediation project '{}' is not registered", m.project_code),
                ))
            }
            Err(e) => return Err(e),
        };
        self.check_county("destination_division", m.destination_division)
            .await?;
        m.origin_division = project.item.division;
        Ok(m)
    }
}

/// The manifest must be filed before it leaves.
fn check_filed_before_departure(m: &TransferManifest, filed_at: DateTime<Utc>) -> StoreResult<()> {
    if filed_at >= m.departure_at.with_timezone(&Utc) {
        let local = filed_at.with_timezone(m.departure_at.offset());
        return Err(invalid(
            "departure_at",
            format!(
                "联单须在出发前报备：出发时间 {}，报备时间 {}",
                m.departure_at.to_rfc3339(),
                local.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
            ),
            format!(
                "a manifest must be filed before its departure time: departure {}, filed {}",
                m.departure_at.to_rfc3339(),
                local.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
            ),
        ));
    }
    Ok(())
}

#[async_trait]
impl RegistryStore for SqlStore {
    async fn create_plot(
        &self,
        p: &Plot,
        identified_on: NaiveDate,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<Plot>> {
        let mut p = p.checked()?;
        self.check_plot_place(&p).await?;
        p.status = PlotStage::Suspected;
        p.steps = vec![PlotStep {
            stage: PlotStage::Suspected,
            date: identified_on,
            report: None,
            filing: None,
            passed: None,
            note: None,
            recorded_by: change.actor.trim().to_owned(),
            recorded_at: now_text(),
        }];
        self.insert_checked(p, change).await
    }

    async fn update_plot(
        &self,
        p: &Plot,
        expected_version: Option<i64>,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<Plot>> {
        let mut p = p.checked()?;
        self.check_plot_place(&p).await?;
        let mut tx = self.begin_write().await?;
        let current: Versioned<Plot> = get_doc(&mut *tx, &p.code).await?;
        p.status = current.item.status;
        p.steps = current.item.steps;
        let expected = expected_version.unwrap_or(current.version);
        let version = update_doc(&mut tx, &p, Some(expected), "update", change).await?;
        tx.commit().await?;
        Ok(Versioned { item: p, version })
    }

    async fn add_plot_step(
        &self,
        code: &str,
        step: &PlotStep,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<Plot>> {
        let mut tx = self.begin_write().await?;
        let current: Versioned<Plot> = get_doc(&mut *tx, code).await?;
        let mut p = current.item;
        let mut step = step.clone();
        step.recorded_by = change.actor.trim().to_owned();
        step.recorded_at = now_text();
        p.apply_step(&step)?;
        let version = update_doc(&mut tx, &p, Some(current.version), "step", change).await?;
        tx.commit().await?;
        Ok(Versioned { item: p, version })
    }

    async fn set_plot_boundaries(
        &self,
        boundaries: &[(String, geo::MultiPolygon<f64>)],
        change: &ChangeMeta,
    ) -> StoreResult<Vec<BoundaryWrite>> {
        // Every plot is checked before anything is written (county boundaries are read through
        // the pool, outside the transaction); the versions read guard the writes.
        let mut planned = Vec::with_capacity(boundaries.len());
        let mut seen = std::collections::HashSet::new();
        for (code, boundary) in boundaries {
            if !seen.insert(code.as_str()) {
                return Err(invalid(
                    "code",
                    format!("地块 '{code}' 出现两次"),
                    format!("plot '{code}' is given twice"),
                ));
            }
            let current = self.get_plot(code).await?;
            let mut p = current.item.clone();
            p.boundary = Some(boundary.clone());
            let named = |e: StoreError| match e {
                StoreError::Invalid(m) => StoreError::Invalid(format!("地块 / plot '{code}': {m}")),
                other => other,
            };
            let p = p.checked().map_err(named)?;
            self.check_plot_place(&p).await.map_err(named)?;
            let changed = current.item.boundary.as_ref() != Some(boundary);
            planned.push((current.version, p, changed));
        }
        let mut tx = self.begin_write().await?;
        let mut out = Vec::with_capacity(planned.len());
        for (read, p, changed) in planned {
            let version = if changed {
                update_doc(&mut tx, &p, Some(read), "boundary", change).await?
            } else {
                read
            };
            out.push(BoundaryWrite {
                code: p.code.clone(),
                version,
                changed,
                area_m2: p.area_m2,
            });
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn get_plot(&self, code: &str) -> StoreResult<Versioned<Plot>> {
        get_doc(self.pool(), code).await
    }

    async fn list_plots(&self, q: &RegistryQuery) -> StoreResult<Vec<Versioned<Plot>>> {
        let mut w = Where::default();
        w.division(&["division"], q.division);
        w.eq("status", q.status.as_deref());
        list_docs(self, w, &["code"], &q.page).await
    }

    async fn plot_samples(&self, code: &str) -> StoreResult<Vec<StoredSample>> {
        let plot = self.get_plot(code).await?.item;
        let mut w = Where::default();
        let soil = w.arg(text(Medium::Soil.code()));
        let plot_arg = w.arg(text(plot.code.clone()));
        let mut alts = vec![format!(
            "s.point_code IN (SELECT p.code FROM points p WHERE p.watched_plot = {plot_arg})"
        )];
        if !plot.sample_codes.is_empty() {
            let marks: Vec<String> = plot
                .sample_codes
                .iter()
                .map(|c| w.arg(text(c.clone())))
                .collect();
            alts.push(format!("s.code IN ({})", marks.join(", ")));
        }
        if !plot.point_codes.is_empty() {
            let marks: Vec<String> = plot
                .point_codes
                .iter()
                .map(|c| w.arg(text(c.clone())))
                .collect();
            alts.push(format!("s.point_code IN ({})", marks.join(", ")));
        }
        let sql = format!(
            "SELECT s.id FROM samples s WHERE s.medium = {soil} AND ({}) ORDER BY s.sampled_on, s.id",
            alts.join(" OR ")
        );
        let ids = w
            .fetch(&sql, self.pool())
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<Vec<i64>, _>>()?;
        // Issue 12: the samples and their results in bulk, not one query per sample.
        self.get_samples_by_ids(&ids).await
    }

    async fn create_enterprise(
        &self,
        e: &Enterprise,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<Enterprise>> {
        let e = e.checked()?;
        self.check_county("division", e.division).await?;
        self.insert_checked(e, change).await
    }

    async fn update_enterprise(
        &self,
        e: &Enterprise,
        expected_version: Option<i64>,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<Enterprise>> {
        let e = e.checked()?;
        self.check_county("division", e.division).await?;
        self.replace_checked(e, expected_version, change).await
    }

    async fn get_enterprise(&self, uscc: &str) -> StoreResult<Versioned<Enterprise>> {
        get_doc(self.pool(), uscc.trim().to_uppercase().as_str()).await
    }

    async fn list_enterprises(&self, q: &RegistryQuery) -> StoreResult<Vec<Versioned<Enterprise>>> {
        let mut w = Where::default();
        w.division(&["division"], q.division);
        w.eq("status", q.status.as_deref());
        list_docs(self, w, &["division", "name", "uscc"], &q.page).await
    }

    async fn put_disclosure(
        &self,
        d: &Disclosure,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<Disclosure>> {
        let e = self.get_enterprise(d.uscc.as_str()).await?;
        let d = d.checked(e.item.listed_year)?;
        let mut tx = self.begin_write().await?;
        let exists = sqlx::query("SELECT version FROM enterprise_disclosures WHERE key = $1")
            .bind(d.key())
            .fetch_optional(&mut *tx)
            .await?;
        let version = if exists.is_some() {
            update_doc(&mut tx, &d, None, "update", change).await?
        } else {
            insert_doc(&mut tx, &d, change).await?;
            1
        };
        tx.commit().await?;
        Ok(Versioned { item: d, version })
    }

    async fn list_disclosures(&self, uscc: &str) -> StoreResult<Vec<Versioned<Disclosure>>> {
        let e = self.get_enterprise(uscc).await?;
        let mut w = Where::default();
        w.eq("uscc", Some(e.item.uscc.as_str()));
        list_docs(self, w, &["year", "key"], &KeysetPage::default()).await
    }

    async fn create_project(
        &self,
        p: &RemediationProject,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<RemediationProject>> {
        let mut p = p.checked()?;
        let plot = self.plot_of_project(&p.plot_code).await?;
        p.division = plot.division;
        p.check_supervision(plot.land_class)?;
        let mut tx = self.begin_write().await?;
        insert_doc(&mut tx, &p, change).await?;
        tx.commit().await?;
        Ok(Versioned {
            item: p,
            version: 1,
        })
    }

    async fn update_project(
        &self,
        p: &RemediationProject,
        expected_version: Option<i64>,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<RemediationProject>> {
        let mut p = p.checked()?;
        let plot = self.plot_of_project(&p.plot_code).await?;
        p.division = plot.division;
        p.check_supervision(plot.land_class)?;
        let mut tx = self.begin_write().await?;
        let version = update_doc(&mut tx, &p, expected_version, "update", change).await?;
        tx.commit().await?;
        Ok(Versioned { item: p, version })
    }

    async fn get_project(&self, code: &str) -> StoreResult<Versioned<RemediationProject>> {
        get_doc(self.pool(), code).await
    }

    async fn list_projects(
        &self,
        q: &RegistryQuery,
    ) -> StoreResult<Vec<Versioned<RemediationProject>>> {
        let mut w = Where::default();
        w.division(&["division"], q.division);
        w.eq("plot_code", q.plot.as_deref());
        list_docs(self, w, &["code"], &q.page).await
    }

    async fn create_manifest(
        &self,
        m: &TransferManifest,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<TransferManifest>> {
        let mut m = self.checked_manifest(m).await?;
        m.received = None;
        m.filed_at = now();
        check_filed_before_departure(&m, m.filed_at)?;
        let mut tx = self.begin_write().await?;
        insert_doc(&mut tx, &m, change).await?;
        tx.commit().await?;
        Ok(Versioned {
            item: m,
            version: 1,
        })
    }

    async fn update_manifest(
        &self,
        m: &TransferManifest,
        expected_version: Option<i64>,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<TransferManifest>> {
        let mut m = self.checked_manifest(m).await?;
        let mut tx = self.begin_write().await?;
        let current: Versioned<TransferManifest> = get_doc(&mut *tx, &m.code).await?;
        let at = now();
        if current.item.received.is_some() || at >= current.item.departure_at.with_timezone(&Utc) {
            return Err(StoreError::Conflict {
                constraint: "manifest_departed".into(),
                detail: format!(
                    "联单 {c} 已出发或已接收，不能再修改 / manifest {c} has left or been received and \
                     can no longer be changed",
                    c = m.code
                ),
            });
        }
        check_filed_before_departure(&m, at)?;
        m.received = None;
        m.filed_at = current.item.filed_at;
        let expected = expected_version.unwrap_or(current.version);
        let version = update_doc(&mut tx, &m, Some(expected), "update", change).await?;
        tx.commit().await?;
        Ok(Versioned { item: m, version })
    }

    async fn receive_manifest(
        &self,
        code: &str,
        receipt: &Receipt,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<TransferManifest>> {
        let mut tx = self.begin_write().await?;
        let current: Versioned<TransferManifest> = get_doc(&mut *tx, code).await?;
        let mut m = current.item;
        if let Some(r) = &m.received {
            return Err(StoreError::Conflict {
                constraint: "manifest_received".into(),
                detail: format!(
                    "联单 {code} 已于 {} 接收 / manifest {code} was already received at {}",
                    r.arrived_at, r.arrived_at
                ),
            });
        }
        if receipt.arrived_at < m.departure_at {
            return Err(invalid(
                "arrived_at",
                format!(
                    "到达时间 {} 早于出发时间 {}",
                    receipt.arrived_at, m.departure_at
                ),
                format!(
                    "arrival {} is before the departure {}",
                    receipt.arrived_at, m.departure_at
                ),
            ));
        }
        let mut r = receipt.clone();
        r.received_by = change.actor.trim().to_owned();
        crate::registry::clean(&mut r.note);
        m.received = Some(r);
        let version = update_doc(&mut tx, &m, Some(current.version), "receive", change).await?;
        tx.commit().await?;
        Ok(Versioned { item: m, version })
    }

    async fn get_manifest(&self, code: &str) -> StoreResult<Versioned<TransferManifest>> {
        get_doc(self.pool(), code).await
    }

    async fn list_manifests(
        &self,
        q: &ManifestQuery,
    ) -> StoreResult<Vec<Versioned<TransferManifest>>> {
        let mut w = Where::default();
        w.eq("project_code", q.project.as_deref());
        w.division(&["origin_division", "destination_division"], q.division);
        list_docs(self, w, &["departure_at", "code"], &q.page).await
    }

    async fn create_tailings_pond(
        &self,
        t: &TailingsPond,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<TailingsPond>> {
        let t = t.checked()?;
        self.check_county("division", t.division).await?;
        self.insert_checked(t, change).await
    }

    async fn update_tailings_pond(
        &self,
        t: &TailingsPond,
        expected_version: Option<i64>,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<TailingsPond>> {
        let t = t.checked()?;
        self.check_county("division", t.division).await?;
        self.replace_checked(t, expected_version, change).await
    }

    async fn get_tailings_pond(&self, code: &str) -> StoreResult<Versioned<TailingsPond>> {
        get_doc(self.pool(), code).await
    }

    async fn list_tailings_ponds(
        &self,
        q: &RegistryQuery,
    ) -> StoreResult<Vec<Versioned<TailingsPond>>> {
        let mut w = Where::default();
        w.division(&["division"], q.division);
        w.eq("status", q.status.as_deref());
        w.eq("enterprise_uscc", q.enterprise.as_deref());
        list_docs(self, w, &["code"], &q.page).await
    }

    async fn create_demolition_plan(
        &self,
        p: &DemolitionPlan,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<DemolitionPlan>> {
        let mut p = self.checked_demolition_plan(p).await?;
        p.status = DemolitionStatus::Filed;
        p.steps = vec![DemolitionStep {
            status: DemolitionStatus::Filed,
            date: p.filing.filed_on,
            note: None,
            recorded_by: change.actor.trim().to_owned(),
            recorded_at: now_text(),
        }];
        self.insert_checked(p, change).await
    }

    async fn update_demolition_plan(
        &self,
        p: &DemolitionPlan,
        expected_version: Option<i64>,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<DemolitionPlan>> {
        let mut p = self.checked_demolition_plan(p).await?;
        let mut tx = self.begin_write().await?;
        let current: Versioned<DemolitionPlan> = get_doc(&mut *tx, &p.code).await?;
        p.status = current.item.status;
        p.steps = current.item.steps;
        if let Some(first) = p.steps.first_mut() {
            first.date = p.filing.filed_on;
        }
        if p.steps.get(1).is_some_and(|s| s.date < p.filing.filed_on) {
            return Err(invalid(
                "filing.filed_on",
                format!("备案日期 {} 晚于已登记的下一步", p.filing.filed_on),
                format!(
                    "filing date {} is after the next recorded step",
                    p.filing.filed_on
                ),
            ));
        }
        let expected = expected_version.unwrap_or(current.version);
        let version = update_doc(&mut tx, &p, Some(expected), "update", change).await?;
        tx.commit().await?;
        Ok(Versioned { item: p, version })
    }

    async fn set_demolition_status(
        &self,
        code: &str,
        t: &DemolitionTransition,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<DemolitionPlan>> {
        let mut tx = self.begin_write().await?;
        let current: Versioned<DemolitionPlan> = get_doc(&mut *tx, code).await?;
        let mut p = current.item;
        p.apply(DemolitionStep {
            status: t.status,
            date: t.date,
            note: t.note.clone(),
            recorded_by: change.actor.trim().to_owned(),
            recorded_at: now_text(),
        })?;
        let version = update_doc(&mut tx, &p, Some(current.version), "status", change).await?;
        tx.commit().await?;
        Ok(Versioned { item: p, version })
    }

    async fn get_demolition_plan(&self, code: &str) -> StoreResult<Versioned<DemolitionPlan>> {
        get_doc(self.pool(), code).await
    }

    async fn list_demolition_plans(
        &self,
        q: &RegistryQuery,
    ) -> StoreResult<Vec<Versioned<DemolitionPlan>>> {
        let mut w = Where::default();
        w.division(&["division"], q.division);
        w.eq("status", q.status.as_deref());
        w.eq("enterprise_uscc", q.enterprise.as_deref());
        list_docs(self, w, &["filed_on", "code"], &q.page).await
    }

    async fn create_mining_area(
        &self,
        a: &MiningArea,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<MiningArea>> {
        let a = a.checked()?;
        self.check_county("division", a.division).await?;
        self.insert_checked(a, change).await
    }

    async fn update_mining_area(
        &self,
        a: &MiningArea,
        expected_version: Option<i64>,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<MiningArea>> {
        let a = a.checked()?;
        self.check_county("division", a.division).await?;
        self.replace_checked(a, expected_version, change).await
    }

    async fn get_mining_area(&self, code: &str) -> StoreResult<Versioned<MiningArea>> {
        get_doc(self.pool(), code).await
    }

    async fn list_mining_areas(
        &self,
        q: &RegistryQuery,
    ) -> StoreResult<Vec<Versioned<MiningArea>>> {
        let mut w = Where::default();
        w.division(&["division"], q.division);
        w.eq("status", q.status.as_deref());
        w.eq("enterprise_uscc", q.enterprise.as_deref());
        if let Some(r) = q.radioactive {
            let a = w.arg(Arg::Int(Some(i64::from(r))));
            w.conds.push(format!("radioactive = {a}"));
        }
        list_docs(self, w, &["code"], &q.page).await
    }

    async fn samples_of_points(
        &self,
        point_codes: &[String],
        year: Option<i32>,
    ) -> StoreResult<Vec<StoredSample>> {
        if point_codes.is_empty() {
            return Ok(Vec::new());
        }
        let mut w = Where::default();
        let marks: Vec<String> = point_codes.iter().map(|c| w.arg(text(c.clone()))).collect();
        w.conds
            .push(format!("s.point_code IN ({})", marks.join(", ")));
        if let Some(y) = year {
            let from = w.arg(text(format!("{y:04}-01-01")));
            let to = w.arg(text(format!("{y:04}-12-31")));
            w.conds
                .push(format!("s.sampled_on >= {from} AND s.sampled_on <= {to}"));
        }
        let sql = format!(
            "SELECT s.id FROM samples s {} ORDER BY s.sampled_on, s.id",
            w.clause()
        );
        let rows = w.fetch(&sql, self.pool()).await?;
        let ids = rows
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<Vec<i64>, _>>()?;
        // Read together (two statements a 500 samples), in the order of the ids.
        self.get_samples_by_ids(&ids).await
    }

    async fn plot_classes_of_points(
        &self,
        point_codes: &[String],
    ) -> StoreResult<std::collections::HashMap<String, u8>> {
        let mut out: std::collections::HashMap<String, u8> = std::collections::HashMap::new();
        if point_codes.is_empty() {
            return Ok(out);
        }
        let mut put = |code: &str, class: u8| {
            let e = out.entry(code.to_owned()).or_insert(class);
            *e = (*e).min(class);
        };
        let mut w = Where::default();
        let marks: Vec<String> = point_codes.iter().map(|c| w.arg(text(c.clone()))).collect();
        let sql = format!(
            "SELECT p.code, pl.land_class FROM points p JOIN plots pl ON pl.code = p.watched_plot \
             WHERE p.code IN ({})",
            marks.join(", ")
        );
        for r in w.fetch(&sql, self.pool()).await? {
            let code: String = r.try_get("code")?;
            let class: i64 = r.try_get("land_class")?;
            put(&code, u8::try_from(class).unwrap_or(1));
        }
        for plot in self.list_plots(&RegistryQuery::default()).await? {
            for c in plot
                .item
                .point_codes
                .iter()
                .filter(|c| point_codes.contains(c))
            {
                put(c, plot.item.land_class);
            }
        }
        Ok(out)
    }

    async fn registry_history(
        &self,
        entity: RegistryEntity,
        key: &str,
    ) -> StoreResult<Vec<VersionRecord>> {
        let rows = sqlx::query(
            "SELECT entity, key, version, operation, data, actor, reason, at FROM history \
             WHERE entity = $1 AND key = $2 ORDER BY version",
        )
        .bind(entity.name())
        .bind(key.to_owned())
        .fetch_all(self.pool())
        .await?;
        if rows.is_empty() {
            return Err(StoreError::NotFound {
                entity: entity.name(),
                key: key.to_owned(),
            });
        }
        rows.iter()
            .map(|r| {
                let data: String = r.try_get("data")?;
                let at: String = r.try_get("at")?;
                Ok(VersionRecord {
                    entity: r.try_get("entity")?,
                    key: r.try_get("key")?,
                    version: r.try_get("version")?,
                    operation: r.try_get("operation")?,
                    data: serde_json::from_str(&data).map_err(|e| corrupt("history", e))?,
                    actor: r.try_get("actor")?,
                    reason: r.try_get("reason")?,
                    at: DateTime::parse_from_rfc3339(&at)
                        .map_err(|e| corrupt("history time", e))?
                        .with_timezone(&Utc),
                })
            })
            .collect()
    }
}

impl SqlStore {
    /// The county of a project's plot; the plot must be registered.
    async fn plot_of_project(&self, plot_code: &str) -> StoreResult<Plot> {
        match self.get_plot(plot_code).await {
            Ok(p) => Ok(p.item),
            Err(StoreError::NotFound { .. }) => Err(invalid(
                "plot_code",
                format!("地块 '{plot_code}' 未登记"),
                format!("plot '{plot_code}' is not registered"),
            )),
            Err(e) => Err(e),
        }
    }
}
