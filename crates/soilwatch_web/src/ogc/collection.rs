//! What a collection is: its declaration (fields, queryables, geometry, temporal properties),
//! the features it serves, and the [`Collection`] trait every layer implements. Adding a layer is
//! one implementation of the trait and one line in [`collections`].

use async_trait::async_trait;
use chrono::NaiveDate;
use geo::{BoundingRect, Intersects};
use serde_json::{Map, Value};
use soilwatch_store::Store;

use super::layers::{Divisions, Points, Samples};
use super::params::ItemQuery;
use super::registries::{Enterprises, Plots, RemediationProjects, TailingsPonds};
use super::units::ClassificationUnits;
use crate::error::{ApiError, ApiResult};

/// Geometry type of a collection's features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometryKind {
    Point,
    MultiPolygon,
}

impl GeometryKind {
    /// GeoJSON / JSON Schema name.
    pub fn geojson(self) -> &'static str {
        match self {
            GeometryKind::Point => "Point",
            GeometryKind::MultiPolygon => "MultiPolygon",
        }
    }
    /// GeoPackage `geometry_type_name`.
    pub fn gpkg(self) -> &'static str {
        match self {
            GeometryKind::Point => "POINT",
            GeometryKind::MultiPolygon => "MULTIPOLYGON",
        }
    }
    /// JSON Schema format of the geometry in the queryables.
    pub fn schema_format(self) -> &'static str {
        match self {
            GeometryKind::Point => "geometry-point",
            GeometryKind::MultiPolygon => "geometry-multipolygon",
        }
    }
}

/// Type of a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Integer,
    Number,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
}

impl FieldType {
    /// JSON Schema `type`.
    pub fn json_type(self) -> &'static str {
        match self {
            FieldType::String | FieldType::Date => "string",
            FieldType::Integer => "integer",
            FieldType::Number => "number",
        }
    }
    /// GeoPackage column type.
    pub fn gpkg(self) -> &'static str {
        match self {
            FieldType::String => "TEXT",
            FieldType::Integer => "INTEGER",
            FieldType::Number => "DOUBLE",
            FieldType::Date => "DATE",
        }
    }
}

/// A property of a collection's features.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
    /// Chinese / English title.
    pub title: &'static str,
    /// Offered as a query parameter of `/items` (equality) and listed in `/queryables`.
    pub queryable: bool,
}

/// Shorthand for the field tables.
pub const fn field(name: &'static str, ty: FieldType, title: &'static str, q: bool) -> Field {
    Field {
        name,
        ty,
        title,
        queryable: q,
    }
}

/// The declaration of a collection.
#[derive(Debug)]
pub struct CollectionMeta {
    pub id: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub geometry: GeometryKind,
    pub fields: &'static [Field],
    /// The date properties that place a feature in time: (start, optional end). A feature whose
    /// start is missing began before any date; a missing end is still valid. `None`: the
    /// collection has no temporal dimension and `datetime` does not filter it.
    pub temporal: Option<(&'static str, Option<&'static str>)>,
    /// Readable without signing in (as the JSON API: samples need a signed-in user).
    pub public: bool,
}

impl CollectionMeta {
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
    pub fn queryables(&self) -> impl Iterator<Item = &'static Field> {
        self.fields.iter().filter(|f| f.queryable)
    }
}

/// One feature: identity, geometry (longitude/latitude, CGCS2000) and properties.
#[derive(Debug, Clone)]
pub struct Feature {
    /// The feature id in URLs (`/items/{id}`).
    pub id: String,
    /// Whether the id is a number in GeoJSON.
    pub numeric_id: bool,
    pub geometry: Option<geo::Geometry<f64>>,
    pub properties: Map<String, Value>,
}

impl Feature {
    /// The property as a filter compares it.
    pub fn text(&self, name: &str) -> Option<String> {
        match self.properties.get(name)? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }
    fn date(&self, name: &str) -> Option<NaiveDate> {
        self.text(name)
            .and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
    }
}

/// A page of features, how many matched in all and where the next page starts.
#[derive(Debug, Clone, Default)]
pub struct FeaturePage {
    pub features: Vec<Feature>,
    /// Every match (`numberMatched`); `None` on a page asked for by cursor, which is not counted
    /// (issue 12: a page costs the page).
    pub matched: Option<u64>,
    /// The `cursor` of the next page (the id of this page's last feature) while more follow.
    pub next_cursor: Option<String>,
}

/// Collects the requested window (`offset`, `limit`, or the features after `cursor`) of the
/// matching features; counts every match unless the page is asked for by cursor.
#[derive(Debug)]
pub struct Window<'q> {
    q: &'q ItemQuery,
    meta: &'static CollectionMeta,
    page: FeaturePage,
    /// The cursor's feature, while not yet passed (the source lists from the start).
    skip_to: Option<&'q str>,
    /// Matches after the cursor.
    seen: u64,
    more: bool,
}

impl<'q> Window<'q> {
    /// A window over a source that lists every feature from the start, in a stable order: the
    /// features up to and including the cursor's are passed over.
    pub fn new(meta: &'static CollectionMeta, q: &'q ItemQuery) -> Self {
        let mut w = Self::after(meta, q);
        w.skip_to = q.cursor.as_deref();
        w
    }
    /// A window over a source that starts after the cursor itself (keyset in the store).
    pub fn after(meta: &'static CollectionMeta, q: &'q ItemQuery) -> Self {
        Self {
            q,
            meta,
            page: FeaturePage {
                matched: q.cursor.is_none().then_some(0),
                ..FeaturePage::default()
            },
            skip_to: None,
            seen: 0,
            more: false,
        }
    }
    /// Count the feature if it matches, keep it if it falls in the window.
    pub fn offer(&mut self, f: Feature) {
        if !accepts(self.meta, self.q, &f) {
            return;
        }
        if let Some(c) = self.skip_to {
            if f.id == c {
                self.skip_to = None;
            }
            return;
        }
        let n = self.seen;
        self.seen += 1;
        if let Some(m) = self.page.matched.as_mut() {
            *m += 1;
        }
        let end = self.q.limit.map(|l| self.q.offset.saturating_add(l));
        if n >= self.q.offset && end.is_none_or(|e| n < e) {
            self.page.features.push(f);
        } else if end.is_some_and(|e| n >= e) {
            self.more = true;
        }
    }
    /// Whether the page is complete and nothing is counted: the source may stop listing.
    pub fn full(&self) -> bool {
        self.more && self.page.matched.is_none()
    }
    /// The page; `Err` when the cursor's feature never came (an unknown cursor).
    pub fn finish(mut self) -> ApiResult<FeaturePage> {
        if let Some(c) = self.skip_to {
            return Err(unknown_cursor(c));
        }
        if self.more {
            self.page.next_cursor = self.page.features.last().map(|f| f.id.clone());
        }
        Ok(self.page)
    }
}

/// 400 for a cursor that names no feature of the collection.
pub fn unknown_cursor(c: &str) -> ApiError {
    super::params::bad(
        "cursor",
        format!("无效的翻页游标 '{c}'"),
        format!("invalid cursor '{c}' (pass the cursor of the previous page's next link)"),
    )
}

/// Whether a feature passes the query's property, bbox and datetime filters.
pub fn accepts(meta: &CollectionMeta, q: &ItemQuery, f: &Feature) -> bool {
    for (name, value) in &q.filters {
        if f.text(name).as_deref() != Some(value.as_str()) {
            return false;
        }
    }
    if let Some([x0, y0, x1, y1]) = q.bbox {
        let Some(g) = &f.geometry else {
            return false;
        };
        let rect = geo::Rect::new(geo::coord! {x: x0, y: y0}, geo::coord! {x: x1, y: y1});
        let quick = g.bounding_rect().is_some_and(|b| b.intersects(&rect));
        if !quick || !g.intersects(&rect) {
            return false;
        }
    }
    if let (Some(range), Some((start, end))) = (&q.datetime, meta.temporal) {
        let s = f.date(start);
        let e = match end {
            Some(end) => f.date(end),
            // An instant: it ends where it starts; without a start it matches no range.
            None => match s {
                Some(s) => Some(s),
                None => return false,
            },
        };
        if !range.overlaps(s, e) {
            return false;
        }
    }
    true
}

/// A layer served as an OGC API collection and exported as files.
#[async_trait]
pub trait Collection: Send + Sync {
    fn meta(&self) -> &'static CollectionMeta;
    /// A filter value as the property holds it (`风险点` → `risk`), or a 400 naming the field.
    fn normalize(&self, _field: &str, value: &str) -> ApiResult<String> {
        Ok(value.to_owned())
    }
    /// The features matching the query, the window `offset..offset+limit` of them, and the count.
    async fn items(&self, store: &dyn Store, q: &ItemQuery) -> ApiResult<FeaturePage>;
    /// One feature, or `ApiError::NotFound`.
    async fn item(&self, store: &dyn Store, id: &str) -> ApiResult<Feature>;
    /// First and last date of the collection (its temporal extent), if it has one.
    async fn temporal_extent(
        &self,
        _store: &dyn Store,
    ) -> ApiResult<Option<(Option<NaiveDate>, Option<NaiveDate>)>> {
        Ok(None)
    }
}

static DIVISIONS: Divisions = Divisions;
static POINTS: Points = Points;
static SAMPLES: Samples = Samples;
static PLOTS: Plots = Plots;
static ENTERPRISES: Enterprises = Enterprises;
static TAILINGS_PONDS: TailingsPonds = TailingsPonds;
static REMEDIATION_PROJECTS: RemediationProjects = RemediationProjects;
static CLASSIFICATION_UNITS: ClassificationUnits = ClassificationUnits;

/// Every collection, in the order `/collections` lists them.
pub fn collections() -> [&'static dyn Collection; 8] {
    [
        &DIVISIONS,
        &POINTS,
        &SAMPLES,
        &CLASSIFICATION_UNITS,
        &PLOTS,
        &ENTERPRISES,
        &TAILINGS_PONDS,
        &REMEDIATION_PROJECTS,
    ]
}

/// A collection by id, or a 404 listing the ids.
pub fn find(id: &str) -> ApiResult<&'static dyn Collection> {
    collections()
        .into_iter()
        .find(|c| c.meta().id == id)
        .ok_or_else(|| {
            let ids: Vec<&str> = collections().iter().map(|c| c.meta().id).collect();
            ApiError::NotFound(format!(
                "没有这个要素集合 / no such collection: '{id}' (collections: {})",
                ids.join(", ")
            ))
        })
}

/// 401 for a collection that is not public when nobody is signed in.
pub fn check_access(meta: &CollectionMeta, signed_in: bool) -> ApiResult<()> {
    if meta.public || signed_in {
        return Ok(());
    }
    Err(ApiError::Unauthorized(format!(
        "要素集合 '{}' 需要登录（会话 Cookie 或 Authorization: Bearer 令牌）/ collection '{}' \
         needs a signed-in user (a session cookie or an Authorization: Bearer token)",
        meta.id, meta.id
    )))
}

/// A 404 for a feature id.
pub fn no_feature(collection: &str, id: &str) -> ApiError {
    ApiError::NotFound(format!(
        "未找到要素 / no such feature: '{id}' in collection '{collection}'"
    ))
}
