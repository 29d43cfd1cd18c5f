//! The OpenAPI 3.0 document of the OGC routes (`/ogc/api`), built from the collection
//! declarations so each collection's queryables appear as parameters of its items.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::collection::collections;
use super::params::{Crs, DEFAULT_LIMIT, MAX_LIMIT};
use super::{base, json_response, negotiate, Cell, FormatQuery, OgcPage, Out, OPENAPI};
use crate::error::ApiResult;
use crate::AppState;

fn param(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "style": "form", "explode": false,
           "description": description, "schema": schema})
}

fn ok(description: &str, types: &[&str]) -> Value {
    let content: Map<String, Value> = types
        .iter()
        .map(|t| ((*t).to_owned(), json!({"schema": {"type": "object"}})))
        .collect();
    json!({
        "200": {"description": description, "content": content},
        "400": exception("Bad request: a parameter is invalid (the description names it)"),
        "401": exception("A non-public collection without a signed-in user"),
        "404": exception("No such collection or feature"),
    })
}

/// An error response with the OGC API exception body (`code`, `description`; the platform's
/// `error` object as well).
fn exception(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {
        "type": "object", "required": ["code"],
        "properties": {
            "code": {"type": "string"},
            "description": {"type": "string"},
            "error": {"type": "object"}
        }
    }}}})
}

/// The OpenAPI document.
pub fn document(server: &str) -> Value {
    let f = param(
        "f",
        "json or html (else the Accept header)",
        json!({"type": "string", "enum": ["json", "html"]}),
    );
    let crs_uris: Vec<&str> = Crs::ALL.iter().map(|c| c.uri()).collect();
    let mut paths = Map::new();
    let mut get = |path: String, id: &str, summary: &str, params: Vec<Value>, resp: Value| {
        paths.insert(
            path,
            json!({"get": {"operationId": id, "summary": summary, "parameters": params, "responses": resp}}),
        );
    };
    get(
        "/".into(),
        "getLandingPage",
        "Landing page",
        vec![f.clone()],
        ok(
            "Links to the API, conformance and collections",
            &["application/json", "text/html"],
        ),
    );
    get(
        "/conformance".into(),
        "getConformance",
        "Conformance classes",
        vec![f.clone()],
        ok(
            "The conformance classes",
            &["application/json", "text/html"],
        ),
    );
    get(
        "/api".into(),
        "getApi",
        "This document",
        vec![f.clone()],
        ok("The API definition", &[OPENAPI, "text/html"]),
    );
    get(
        "/collections".into(),
        "getCollections",
        "Feature collections",
        vec![f.clone()],
        ok("The collections", &["application/json", "text/html"]),
    );
    for c in collections() {
        let m = c.meta();
        let id = m.id;
        get(
            format!("/collections/{id}"),
            &format!("describe_{id}"),
            m.title,
            vec![f.clone()],
            ok("The collection", &["application/json", "text/html"]),
        );
        get(
            format!("/collections/{id}/queryables"),
            &format!("queryables_{id}"),
            "Queryables (JSON Schema)",
            vec![f.clone()],
            ok("The queryables", &["application/schema+json", "text/html"]),
        );
        let mut params = vec![
            f.clone(),
            param(
                "limit",
                "Features per page (larger values are served as the maximum)",
                json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
            ),
            param(
                "offset",
                "Features to skip",
                json!({"type": "integer", "minimum": 0, "default": 0}),
            ),
            param(
                "cursor",
                "Keyset paging: the features after this feature id, as the next link carries it \
                 (not with offset)",
                json!({"type": "string"}),
            ),
            param(
                "bbox",
                "minx,miny,maxx,maxy (or 6 numbers with heights) in bbox-crs",
                json!({"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}),
            ),
            param(
                "bbox-crs",
                "CRS of bbox (default CRS84)",
                json!({"type": "string", "format": "uri", "enum": crs_uris}),
            ),
            param(
                "crs",
                "CRS of the response (default CRS84)",
                json!({"type": "string", "format": "uri", "enum": crs_uris}),
            ),
            param(
                "datetime",
                "Instant or interval (RFC 3339, '..' for an open end)",
                json!({"type": "string"}),
            ),
        ];
        params.extend(
            m.queryables()
                .map(|q| param(q.name, q.title, json!({"type": q.ty.json_type()}))),
        );
        get(
            format!("/collections/{id}/items"),
            &format!("items_{id}"),
            &format!("Features of {id}"),
            params,
            ok("Features", &["application/geo+json", "text/html"]),
        );
        get(
            format!("/collections/{id}/items/{{featureId}}"),
            &format!("item_{id}"),
            &format!("One feature of {id}"),
            vec![
                json!({"name": "featureId", "in": "path", "required": true, "schema": {"type": "string"}}),
                f.clone(),
                param(
                    "crs",
                    "CRS of the response",
                    json!({"type": "string", "format": "uri", "enum": crs_uris}),
                ),
            ],
            ok("A feature", &["application/geo+json", "text/html"]),
        );
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "soilwatch OGC API – Features",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "土壤环境信息化管理平台的图层 / the layers of the soil environment information platform",
        },
        "servers": [{"url": server}],
        "paths": paths,
    })
}

/// `GET /ogc/api`.
pub async fn get_api(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(f): Query<FormatQuery>,
) -> ApiResult<Response> {
    let doc = document(&base(&headers));
    match negotiate(f.f.as_deref(), &headers)? {
        Out::Json => Ok(json_response(doc, OPENAPI)),
        Out::Html => {
            let mut p = OgcPage::new(&state, "OGC API 定义 / API definition", "").await?;
            p.links = vec![("?f=json".into(), "OpenAPI 3.0 JSON".into())];
            p.columns = vec!["path".into(), "summary".into()];
            p.rows = doc["paths"]
                .as_object()
                .map(|ps| {
                    ps.iter()
                        .map(|(k, v)| {
                            vec![
                                Cell::text(k.clone()),
                                Cell::text(v["get"]["summary"].as_str().unwrap_or_default()),
                            ]
                        })
                        .collect()
                })
                .unwrap_or_default();
            p.respond()
        }
    }
}
