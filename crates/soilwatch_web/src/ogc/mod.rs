//! OGC API – Features under `/ogc` (Part 1: Core, GeoJSON, HTML, OpenAPI 3.0; Part 2: CRS by
//! reference; Part 3: queryables as query parameters), so QGIS, ArcGIS and GDAL open the layers
//! directly. Every resource answers in JSON and HTML (`?f=json|html`, else the `Accept` header).
//!
//! The layers are [`Collection`] implementations listed in [`collection::collections`]; the same
//! features feed the file exports (`/api/v1/exports/{layer}.gpkg|geojson|csv`).

pub mod collection;
pub mod encode;
pub mod gpkg;
pub mod gpkg_read;
pub mod layers;
pub mod openapi;
pub mod params;
pub mod plot_import;
pub mod registries;
pub mod units;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use geo::BoundingRect;
use serde_json::{json, Value};

use crate::auth::MaybeActor;
use crate::error::{ApiError, ApiResult};
use crate::pages::{demo_present, render};
use crate::AppState;
pub use collection::{collections, Collection, CollectionMeta, Feature, FeaturePage};
use params::{Crs, ItemQuery, MAX_LIMIT};

/// The conformance classes declared at `/ogc/conformance`.
pub const CONFORMANCE: [&str; 7] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
];

const GEOJSON: &str = "application/geo+json";
const JSON: &str = "application/json";
const HTML: &str = "text/html";
const OPENAPI: &str = "application/vnd.oai.openapi+json;version=3.0";

/// The routes under `/ogc`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(get_landing))
        .route("/conformance", get(get_conformance))
        .route("/api", get(openapi::get_api))
        .route("/collections", get(list_collections))
        .route("/collections/{id}", get(get_collection))
        .route("/collections/{id}/queryables", get(get_queryables))
        .route("/collections/{id}/items", get(list_items))
        .route("/collections/{id}/items/{feature_id}", get(get_item))
        .fallback(not_found)
        .layer(axum::middleware::map_response(ogc_exception))
}

/// Errors under `/ogc` in the OGC API exception shape: `{"code", "description"}` at the top
/// (OGC API – Common, exception.yaml) with the platform's `{"error": {code, message}}` kept beside
/// them, so that OGC clients and our own API clients both read it.
async fn ogc_exception(res: Response) -> Response {
    let status = res.status();
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || !json {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // Error bodies are a few hundred bytes; 64 KiB bounds a pathological one.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (parts.status, "").into_response();
    };
    let mut v: Value = match serde_json::from_slice(&bytes) {
        Ok(v @ Value::Object(_)) => v,
        _ => return Response::from_parts(parts, axum::body::Body::from(bytes)),
    };
    let code = v["error"]["code"].as_str().map(str::to_owned);
    let message = v["error"]["message"].as_str().map(str::to_owned);
    if let (Some(code), Value::Object(m)) = (code, &mut v) {
        m.insert("code".into(), Value::String(code));
        m.insert(
            "description".into(),
            Value::String(message.unwrap_or_default()),
        );
    }
    let out = serde_json::to_vec(&v).unwrap_or_else(|_| bytes.to_vec());
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(out))
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!("没有这个资源 / no such resource: {}", uri.path()))
}

/// JSON or HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Out {
    Json,
    Html,
}

/// `?f=` first, then `Accept` (HTML only when asked for before any JSON type).
pub fn negotiate(f: Option<&str>, headers: &HeaderMap) -> ApiResult<Out> {
    match f {
        Some("json" | "geojson") => return Ok(Out::Json),
        Some("html") => return Ok(Out::Html),
        Some(other) => {
            return Err(params::bad(
                "f",
                format!("不支持的格式 '{other}'"),
                format!("unsupported format '{other}' (expected json or html)"),
            ))
        }
        None => {}
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let html = accept.find("text/html");
    let json = accept.find("json");
    Ok(match (html, json) {
        (Some(h), Some(j)) if h < j => Out::Html,
        (Some(_), None) => Out::Html,
        _ => Out::Json,
    })
}

/// The absolute URL of `/ogc` as the client reached it.
pub fn base(headers: &HeaderMap) -> String {
    let host = headers
        .get("x-forwarded-host")
        .or_else(|| headers.get(header::HOST))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("http");
    format!("{proto}://{host}/ogc")
}

fn link(href: impl Into<String>, rel: &str, ty: &str, title: &str) -> Value {
    json!({"href": href.into(), "rel": rel, "type": ty, "title": title})
}

/// `self` and `alternate` links of a resource available as JSON (`json_type`) and HTML.
fn self_links(href: &str, out: Out, json_type: &str) -> Vec<Value> {
    let sep = if href.contains('?') { '&' } else { '?' };
    let j = link(format!("{href}{sep}f=json"), "self", json_type, "JSON");
    let h = link(format!("{href}{sep}f=html"), "self", HTML, "HTML");
    let (mut this, mut other) = match out {
        Out::Json => (j, h),
        Out::Html => (h, j),
    };
    this["rel"] = json!("self");
    other["rel"] = json!("alternate");
    vec![this, other]
}

fn json_response(v: Value, ty: &'static str) -> Response {
    let mut r = Json(v).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ty));
    r
}

#[derive(serde::Deserialize)]
pub struct FormatQuery {
    pub f: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// HTML

/// One cell of an HTML table.
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
}

impl Cell {
    fn text(t: impl Into<String>) -> Self {
        Cell {
            text: t.into(),
            href: None,
        }
    }
    fn link(t: impl Into<String>, href: impl Into<String>) -> Self {
        Cell {
            text: t.into(),
            href: Some(href.into()),
        }
    }
}

#[derive(Template)]
#[template(path = "ogc_page.html")]
pub struct OgcPage {
    pub demo: bool,
    pub title: String,
    pub description: String,
    pub facts: Vec<(String, String)>,
    pub links: Vec<(String, String)>,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl OgcPage {
    async fn new(state: &AppState, title: &str, description: &str) -> ApiResult<Self> {
        Ok(OgcPage {
            demo: demo_present(state).await.map_err(|e| e.0)?,
            title: title.to_owned(),
            description: description.to_owned(),
            facts: Vec::new(),
            links: Vec::new(),
            columns: Vec::new(),
            rows: Vec::new(),
        })
    }
    fn respond(self) -> ApiResult<Response> {
        render(&self).map_err(|e| e.0)
    }
}

/// HTML links from JSON links (every one except `self`).
fn html_links(links: &[Value]) -> Vec<(String, String)> {
    links
        .iter()
        .filter(|l| l["rel"] != "self")
        .map(|l| {
            (
                l["href"].as_str().unwrap_or_default().to_owned(),
                format!(
                    "{} ({})",
                    l["title"].as_str().unwrap_or_default(),
                    l["rel"].as_str().unwrap_or_default()
                ),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Landing page and conformance

/// Landing page: links to the API definition, the conformance declaration and the collections.
pub async fn get_landing(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(f): Query<FormatQuery>,
) -> ApiResult<Response> {
    let out = negotiate(f.f.as_deref(), &headers)?;
    let b = base(&headers);
    let mut links = self_links(&b, out, JSON);
    links.extend([
        link(
            format!("{b}/api"),
            "service-desc",
            OPENAPI,
            "API definition (OpenAPI 3.0)",
        ),
        link(
            format!("{b}/api?f=html"),
            "service-doc",
            HTML,
            "API documentation",
        ),
        link(
            format!("{b}/conformance"),
            "conformance",
            JSON,
            "Conformance classes",
        ),
        link(
            format!("{b}/conformance"),
            "http://www.opengis.net/def/rel/ogc/1.0/conformance",
            JSON,
            "Conformance classes",
        ),
        link(format!("{b}/collections"), "data", JSON, "Collections"),
        link(
            format!("{b}/collections"),
            "http://www.opengis.net/def/rel/ogc/1.0/data",
            JSON,
            "Collections",
        ),
    ]);
    let title = "土壤环境信息化管理平台 OGC API – Features / soilwatch OGC API – Features";
    let description = "行政区划、监测点位、样品及评价等图层，可在 QGIS、ArcGIS、GDAL 中直接打开 / \
                       divisions, monitoring points, samples with their evaluation: open them in \
                       QGIS, ArcGIS or GDAL";
    match out {
        Out::Json => Ok(json_response(
            json!({"title": title, "description": description, "links": links}),
            JSON,
        )),
        Out::Html => {
            let mut p = OgcPage::new(&state, title, description).await?;
            p.links = html_links(&links);
            p.respond()
        }
    }
}

/// The conformance classes this server implements.
pub async fn get_conformance(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(f): Query<FormatQuery>,
) -> ApiResult<Response> {
    match negotiate(f.f.as_deref(), &headers)? {
        Out::Json => Ok(json_response(json!({"conformsTo": CONFORMANCE}), JSON)),
        Out::Html => {
            let mut p = OgcPage::new(&state, "符合性 / conformance", "").await?;
            p.columns = vec!["conformance class".into()];
            p.rows = CONFORMANCE
                .iter()
                .map(|c| vec![Cell::link(*c, *c)])
                .collect();
            p.respond()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Collections

/// Bounding box of every division (the prefecture), longitude/latitude.
async fn spatial_extent(state: &AppState) -> ApiResult<Option<[f64; 4]>> {
    let mut b: Option<[f64; 4]> = None;
    for d in state.store.list_divisions().await? {
        if let Some(r) = d.boundary.as_ref().and_then(|g| g.bounding_rect()) {
            b = Some(match b {
                None => [r.min().x, r.min().y, r.max().x, r.max().y],
                Some([a, c, e, g]) => [
                    a.min(r.min().x),
                    c.min(r.min().y),
                    e.max(r.max().x),
                    g.max(r.max().y),
                ],
            });
        }
    }
    Ok(b)
}

async fn collection_json(
    state: &AppState,
    c: &dyn Collection,
    b: &str,
    bbox: Option<[f64; 4]>,
) -> ApiResult<Value> {
    let m = c.meta();
    let href = format!("{b}/collections/{}", m.id);
    let mut extent = json!({});
    if let Some(bbox) = bbox {
        extent["spatial"] = json!({"bbox": [bbox], "crs": Crs::Crs84.uri()});
    }
    if let Some((from, to)) = c.temporal_extent(state.store.as_ref()).await? {
        extent["temporal"] = json!({
            "interval": [[from.map(|d| format!("{d}T00:00:00+08:00")), to.map(|d| format!("{d}T23:59:59+08:00"))]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        });
    }
    Ok(json!({
        "id": m.id,
        "title": m.title,
        "description": m.description,
        "itemType": "feature",
        "extent": extent,
        "crs": Crs::ALL.map(Crs::uri),
        "storageCrs": Crs::STORAGE.uri(),
        "links": [
            link(href.clone(), "self", JSON, m.title),
            link(format!("{href}?f=html"), "alternate", HTML, m.title),
            link(format!("{href}/items"), "items", GEOJSON, "Features (GeoJSON)"),
            link(format!("{href}/items?f=html"), "items", HTML, "Features (HTML)"),
            link(format!("{href}/queryables"), "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json", "Queryables"),
            link(format!("/api/v1/exports/{}.gpkg", m.id), "enclosure", "application/geopackage+sqlite3", "GeoPackage"),
            link(format!("/api/v1/exports/{}.geojson", m.id), "enclosure", GEOJSON, "GeoJSON file"),
            link(format!("/api/v1/exports/{}.csv", m.id), "enclosure", "text/csv", "CSV with WKT"),
        ],
    }))
}

/// Every collection with its extent and CRSs.
pub async fn list_collections(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(f): Query<FormatQuery>,
) -> ApiResult<Response> {
    let out = negotiate(f.f.as_deref(), &headers)?;
    let b = base(&headers);
    let bbox = spatial_extent(&state).await?;
    let mut list = Vec::new();
    for c in collections() {
        list.push(collection_json(&state, c, &b, bbox).await?);
    }
    match out {
        Out::Json => Ok(json_response(
            json!({
                "links": self_links(&format!("{b}/collections"), out, JSON),
                "crs": Crs::ALL.map(Crs::uri),
                "collections": list,
            }),
            JSON,
        )),
        Out::Html => {
            let mut p = OgcPage::new(&state, "要素集合 / collections", "").await?;
            p.columns = vec![
                "id".into(),
                "标题 / title".into(),
                "说明 / description".into(),
            ];
            p.rows = collections()
                .iter()
                .map(|c| {
                    let m = c.meta();
                    vec![
                        Cell::link(m.id, format!("{b}/collections/{}?f=html", m.id)),
                        Cell::text(m.title),
                        Cell::text(m.description),
                    ]
                })
                .collect();
            p.respond()
        }
    }
}

/// One collection.
pub async fn get_collection(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(f): Query<FormatQuery>,
) -> ApiResult<Response> {
    let c = collection::find(&id)?;
    let out = negotiate(f.f.as_deref(), &headers)?;
    let b = base(&headers);
    let bbox = spatial_extent(&state).await?;
    let v = collection_json(&state, c, &b, bbox).await?;
    match out {
        Out::Json => Ok(json_response(v, JSON)),
        Out::Html => {
            let m = c.meta();
            let mut p = OgcPage::new(&state, m.title, m.description).await?;
            p.facts = vec![
                ("几何类型 / geometry".into(), m.geometry.geojson().into()),
                ("存储坐标系 / storage CRS".into(), Crs::STORAGE.uri().into()),
                ("坐标系 / CRS".into(), Crs::ALL.map(Crs::uri).join(", ")),
                ("范围 / extent".into(), v["extent"].to_string()),
            ];
            p.links = v["links"]
                .as_array()
                .map(|l| html_links(l))
                .unwrap_or_default();
            p.columns = vec![
                "属性 / property".into(),
                "类型 / type".into(),
                "说明 / title".into(),
                "可查询 / queryable".into(),
            ];
            p.rows = m
                .fields
                .iter()
                .map(|f| {
                    vec![
                        Cell::text(f.name),
                        Cell::text(f.ty.json_type()),
                        Cell::text(f.title),
                        Cell::text(if f.queryable { "✓" } else { "" }),
                    ]
                })
                .collect();
            p.respond()
        }
    }
}

/// The queryables of a collection as a JSON Schema: each is also an `/items` query parameter
/// (equality).
pub async fn get_queryables(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(f): Query<FormatQuery>,
) -> ApiResult<Response> {
    let c = collection::find(&id)?;
    let m = c.meta();
    let b = base(&headers);
    let mut props = serde_json::Map::new();
    for q in m.queryables() {
        let mut p = json!({"title": q.title, "type": q.ty.json_type()});
        if q.ty == collection::FieldType::Date {
            p["format"] = json!("date");
        }
        props.insert(q.name.to_owned(), p);
    }
    match negotiate(f.f.as_deref(), &headers)? {
        Out::Json => Ok(json_response(
            json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": format!("{b}/collections/{}/queryables", m.id),
                "type": "object",
                "title": m.title,
                "properties": props,
                "additionalProperties": false,
            }),
            "application/schema+json",
        )),
        Out::Html => {
            let mut p = OgcPage::new(&state, &format!("{} · queryables", m.title), "").await?;
            p.columns = vec!["queryable".into(), "type".into(), "title".into()];
            p.rows = m
                .queryables()
                .map(|q| {
                    vec![
                        Cell::text(q.name),
                        Cell::text(q.ty.json_type()),
                        Cell::text(q.title),
                    ]
                })
                .collect();
            p.respond()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Items

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Where a page of items starts: an offset, or after a cursor (issue 12, keyset).
enum Start<'a> {
    Offset(u64),
    Cursor(&'a str),
}

/// The items URL with the same parameters and another start.
fn page_href(
    b: &str,
    id: &str,
    pairs: &[(String, String)],
    start: Start<'_>,
    limit: u64,
    f: &str,
) -> String {
    let mut qs: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "offset" | "cursor" | "limit" | "f"))
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    qs.push(format!("limit={limit}"));
    match start {
        Start::Offset(o) => qs.push(format!("offset={o}")),
        Start::Cursor(c) => qs.push(format!("cursor={}", encode(c))),
    }
    qs.push(format!("f={f}"));
    format!("{b}/collections/{id}/items?{}", qs.join("&"))
}

fn content_crs(mut r: Response, crs: Crs) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("<{}>", crs.uri())) {
        r.headers_mut().insert("content-crs", v);
    }
    r
}

fn property_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The features of a collection: filters, paging links, counts; GeoJSON or HTML.
pub async fn list_items(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let c = collection::find(&id)?;
    collection::check_access(c.meta(), actor.is_some())?;
    let f = pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "f")
        .map(|(_, v)| v.as_str());
    let out = negotiate(f, &headers)?;
    let mut q = params::parse_items(&pairs, c, true)?;
    // Issue 9: the sharing catalogue's read check shapes the query, so that `numberMatched` and
    // the pages count only the samples shown; the rows read still pass the check (and are logged).
    let path = format!("GET /ogc/collections/{id}/items");
    if let (Some(a), "samples") = (actor.as_ref(), id.as_str()) {
        q.visible = crate::api::catalogue::sample_visibility(&state, &a.user, &path).await?;
    }
    let mut page = c.items(state.store.as_ref(), &q).await?;
    // Issue 9: samples through the sharing catalogue's read check (rows withheld, read logged).
    page.features =
        crate::api::catalogue::guard_features(&state, actor.as_ref(), &id, &path, page.features)
            .await?;
    let b = base(&headers);
    let limit = q.limit.unwrap_or(MAX_LIMIT);
    let returned = page.features.len() as u64;
    let (fj, fh) = (("json", GEOJSON), ("html", HTML));
    let mut links = Vec::new();
    let this = || match &q.cursor {
        Some(c) => Start::Cursor(c),
        None => Start::Offset(q.offset),
    };
    for (rel_self, (fname, ty)) in [(out == Out::Json, fj), (out == Out::Html, fh)] {
        links.push(link(
            page_href(&b, &id, &pairs, this(), limit, fname),
            if rel_self { "self" } else { "alternate" },
            ty,
            "this page",
        ));
    }
    let (fname, ty) = if out == Out::Json { fj } else { fh };
    // Issue 12: the next page by keyset (stable while features are added); `offset` is still
    // read for the previous page and old links.
    if let Some(c) = &page.next_cursor {
        links.push(link(
            page_href(&b, &id, &pairs, Start::Cursor(c), limit, fname),
            "next",
            ty,
            "next page",
        ));
    }
    if q.offset > 0 {
        links.push(link(
            page_href(
                &b,
                &id,
                &pairs,
                Start::Offset(q.offset.saturating_sub(limit)),
                limit,
                fname,
            ),
            "prev",
            ty,
            "previous page",
        ));
    }
    links.push(link(
        format!("{b}/collections/{id}"),
        "collection",
        JSON,
        c.meta().title,
    ));
    match out {
        Out::Json => {
            let features: Vec<Value> = page
                .features
                .iter()
                .map(|f| encode::feature_json(f, q.crs, Vec::new()))
                .collect();
            let mut body = json!({
                "type": "FeatureCollection",
                "features": features,
                "numberMatched": page.matched,
                "numberReturned": returned,
                "timeStamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "links": links,
            });
            // A page asked for by cursor is not counted: no `numberMatched` (optional in OGC
            // API – Features).
            if page.matched.is_none() {
                if let Some(o) = body.as_object_mut() {
                    o.remove("numberMatched");
                }
            }
            Ok(content_crs(json_response(body, GEOJSON), q.crs))
        }
        Out::Html => items_html(&state, c, &q, &page, &links, &b).await,
    }
}

async fn items_html(
    state: &AppState,
    c: &dyn Collection,
    q: &ItemQuery,
    page: &FeaturePage,
    links: &[Value],
    b: &str,
) -> ApiResult<Response> {
    let m = c.meta();
    let mut p = OgcPage::new(state, m.title, m.description).await?;
    p.facts = vec![
        (
            "符合条件 / matched".into(),
            page.matched
                .map_or_else(|| "—".to_owned(), |m| m.to_string()),
        ),
        (
            "本页 / this page".into(),
            format!(
                "{}–{}",
                q.offset + u64::from(!page.features.is_empty()),
                q.offset + page.features.len() as u64
            ),
        ),
    ];
    p.links = html_links(links);
    p.columns = vec!["id".into(), "geometry (WKT)".into()];
    p.columns.extend(m.fields.iter().map(|f| f.name.to_owned()));
    p.rows = page
        .features
        .iter()
        .map(|f| {
            let mut row = vec![
                Cell::link(
                    f.id.clone(),
                    format!("{b}/collections/{}/items/{}?f=html", m.id, encode(&f.id)),
                ),
                Cell::text(f.geometry.as_ref().map_or(String::new(), |g| {
                    let w = encode::wkt(g);
                    if w.len() > 60 {
                        format!(
                            "{}…",
                            &w[..w.char_indices().nth(60).map_or(w.len(), |(i, _)| i)]
                        )
                    } else {
                        w
                    }
                })),
            ];
            row.extend(
                m.fields
                    .iter()
                    .map(|fl| Cell::text(property_text(f.properties.get(fl.name)))),
            );
            row
        })
        .collect();
    p.respond()
}

/// One feature.
pub async fn get_item(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    Path((id, feature_id)): Path<(String, String)>,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let c = collection::find(&id)?;
    collection::check_access(c.meta(), actor.is_some())?;
    let f = pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "f")
        .map(|(_, v)| v.as_str());
    let out = negotiate(f, &headers)?;
    let mut crs = Crs::Crs84;
    for (k, v) in &pairs {
        match k.as_str() {
            "f" => {}
            "crs" => crs = Crs::parse("crs", v)?,
            other => {
                return Err(params::bad(
                    other,
                    "未知参数",
                    "unknown parameter (a feature takes f and crs)",
                ))
            }
        }
    }
    let feature = c.item(state.store.as_ref(), &feature_id).await?;
    // Issue 9: the sharing catalogue's read check (403 when withheld, the read logged).
    let path = format!("GET /ogc/collections/{id}/items/{feature_id}");
    let feature =
        crate::api::catalogue::guard_features(&state, actor.as_ref(), &id, &path, vec![feature])
            .await?
            .pop()
            .ok_or_else(|| crate::api::catalogue::withheld(&id, &feature_id))?;
    let b = base(&headers);
    let href = format!("{b}/collections/{id}/items/{}", encode(&feature_id));
    let mut links = self_links(&href, out, GEOJSON);
    links.push(link(
        format!("{b}/collections/{id}"),
        "collection",
        JSON,
        c.meta().title,
    ));
    match out {
        Out::Json => Ok(content_crs(
            json_response(encode::feature_json(&feature, crs, links), GEOJSON),
            crs,
        )),
        Out::Html => {
            let m = c.meta();
            let mut p = OgcPage::new(&state, &format!("{} · {}", m.title, feature.id), "").await?;
            p.facts = vec![(
                "geometry (WKT)".into(),
                feature
                    .geometry
                    .as_ref()
                    .map(encode::wkt)
                    .unwrap_or_default(),
            )];
            p.facts.extend(m.fields.iter().map(|fl| {
                (
                    format!("{} · {}", fl.name, fl.title),
                    property_text(feature.properties.get(fl.name)),
                )
            }));
            p.links = html_links(&links);
            p.respond()
        }
    }
}
