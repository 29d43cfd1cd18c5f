//! What the registry handlers (plots, enterprises, remediation, tailings; issue 8) share: who may
//! write (the signed-in [`Actor`]: an administrator, or a data officer whose department's area
//! covers the record's county — issue 7, `docs/ROLES.md`), the required reason, JSON bodies as
//! 422 naming the field, and the history response.

use axum::extract::rejection::JsonRejection;
use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use soilwatch_core::{ChangeMeta, DivisionCode, VersionRecord};
use soilwatch_store::{KeysetPage, RegistryEntity, Role};

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// The body, or a 422 whose message names the field (`industry: …`).
pub(crate) fn body<T>(b: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    b.map(|Json(t)| t).map_err(|e| {
        ApiError::Unprocessable(format!(
            "请求体无效 / invalid request body: {}",
            e.body_text()
        ))
    })
}

/// 403 unless the actor may write records of every one of `divisions`: an administrator, or a
/// data officer whose department's area covers each (an update checks the record's county before
/// and after the change, so nobody moves a record out of or into another county's area).
pub(crate) async fn may_write(
    state: &AppState,
    actor: &Actor,
    divisions: &[DivisionCode],
) -> ApiResult<()> {
    actor.require(&[Role::Administrator, Role::DataOfficer])?;
    for d in divisions {
        actor.require_division(state, *d).await?;
    }
    Ok(())
}

/// Who makes the change (the signed-in user) and why (required).
pub(crate) fn change(actor: &Actor, reason: Option<&str>) -> ApiResult<ChangeMeta> {
    let actor = actor.username();
    let reason = reason
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ApiError::Unprocessable(
                "字段 reason / field reason: 每次修改须注明原因 / every change needs a reason"
                    .into(),
            )
        })?;
    Ok(ChangeMeta::new(actor, reason))
}

/// An optional division filter (`?division=513400` covers the prefecture's counties).
pub(crate) fn division(s: Option<&str>) -> ApiResult<Option<DivisionCode>> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(super::parse_division)
        .transpose()
}

/// An optional code filter of a list (`?status=`): the value parsed as `T` (a registry code
/// enum: its code, Chinese name or alias), as its code; a 400 naming the expected values.
pub(crate) fn code_filter<T>(s: Option<&str>) -> ApiResult<Option<String>>
where
    T: std::str::FromStr + std::fmt::Display,
    T::Err: std::fmt::Display,
{
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<T>()
                .map(|v| v.to_string())
                .map_err(|e| ApiError::BadRequest(e.to_string()))
        })
        .transpose()
}

/// An optional USCC filter of a list (`?enterprise=`), check character verified (400).
pub(crate) fn uscc_filter(field: &str, s: Option<&str>) -> ApiResult<Option<String>> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            soilwatch_store::registry::parse_uscc(field, s)
                .map(|u| u.to_string())
                .map_err(|e| ApiError::BadRequest(e.to_string()))
        })
        .transpose()
}

/// A location from a body's `lon` and `lat` (CGCS2000): both or neither, else 422.
pub(crate) fn lon_lat(
    lon: Option<f64>,
    lat: Option<f64>,
) -> ApiResult<Option<soilwatch_core::LonLat>> {
    match (lon, lat) {
        (Some(lon), Some(lat)) => Ok(Some(soilwatch_core::LonLat::new(lon, lat).map_err(
            |e| ApiError::Unprocessable(format!("字段 lon, lat / field lon, lat: {e}")),
        )?)),
        (None, None) => Ok(None),
        _ => Err(ApiError::Unprocessable(
            "字段 lon, lat / field lon, lat: 经纬度须同时给出 / give both or neither".into(),
        )),
    }
}

/// The path's code must agree with the body's, when the body names one.
pub(crate) fn same_key(path: &str, body: Option<&str>, field: &str) -> ApiResult<()> {
    match body.map(str::trim) {
        Some(b) if !b.is_empty() && !b.eq_ignore_ascii_case(path.trim()) => {
            Err(ApiError::Unprocessable(format!(
                "字段 {field} / field {field}: 请求体中的 '{b}' 与路径中的 '{path}' 不一致 / '{b}' in \
                 the body differs from '{path}' in the path"
            )))
        }
        _ => Ok(()),
    }
}

/// Deserialize an amount from a JSON string (`"30.5"`) or number (`30.5`).
pub(crate) fn amount<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<soilwatch_core::Amount, D::Error> {
    use serde::Deserialize;
    let v = serde_json::Value::deserialize(d)?;
    let s = match &v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        other => {
            return Err(serde::de::Error::custom(format!(
                "应为数值 / expected a decimal number, found {other}"
            )))
        }
    };
    s.parse().map_err(serde::de::Error::custom)
}

/// Issue 13: whether the sharing catalogue marks `dataset` 向社会公开 (public) — the same mark
/// the portal (`/public`) reads. A dataset missing from the catalogue is not public.
pub(crate) async fn catalogue_public(state: &AppState, dataset: &str) -> ApiResult<bool> {
    match state.store.get_catalogue_entry(dataset).await {
        Ok(e) => Ok(e.public),
        Err(soilwatch_store::StoreError::NotFound { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Issue 13: the public view of `dataset` answers everyone while the catalogue marks the dataset
/// public; otherwise it needs a signed-in user (401, as the registry reads do).
pub(crate) async fn public_or_signed_in(
    state: &AppState,
    actor: Option<&Actor>,
    dataset: &str,
) -> ApiResult<()> {
    if actor.is_some() || catalogue_public(state, dataset).await? {
        return Ok(());
    }
    Err(ApiError::Unauthorized(format!(
        "共享目录未将“{dataset}”向社会公开，请先登录 / the sharing catalogue does not mark \
         '{dataset}' public: sign in first"
    )))
}

/// Every version of a registry record, oldest first (the `…/{code}/history` handlers).
pub(crate) async fn history(
    state: &AppState,
    entity: RegistryEntity,
    key: &str,
) -> ApiResult<Json<Vec<VersionRecord>>> {
    Ok(Json(state.store.registry_history(entity, key).await?))
}

/// Default page size of a registry list (issue 12).
pub(crate) const PAGE_DEFAULT: u32 = 1000;
/// Largest page size of a registry list.
pub(crate) const PAGE_MAX: u32 = 10_000;

/// The keyset page that `?limit=&cursor=` ask for (issue 12): one row more than the page, so
/// that [`paged`] knows whether another page follows. 400 for a size outside 1–10000.
pub(crate) fn keyset(limit: Option<u32>, cursor: Option<&str>) -> ApiResult<KeysetPage> {
    let limit = limit.unwrap_or(PAGE_DEFAULT);
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "参数 limit：每页条数 {limit} 应在 1 到 {PAGE_MAX} 之间 / parameter limit: page size \
             {limit} must be between 1 and {PAGE_MAX}"
        )));
    }
    Ok(KeysetPage {
        after: cursor
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
        limit: Some(limit + 1),
    })
}

/// Cut the rows fetched for `page` (see [`keyset`]) to the page; the next cursor is the key of
/// the page's last row when another row follows.
pub(crate) fn cut<T>(
    mut rows: Vec<T>,
    page: &KeysetPage,
    key: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let size = page
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX))
        .saturating_sub(1);
    if rows.len() > size {
        rows.truncate(size);
        let next = rows.last().map(key);
        (rows, next)
    } else {
        (rows, None)
    }
}

/// A JSON array (the list's shape before issue 12) with, while more rows follow, the next page
/// in `Link: <…&cursor=…>; rel="next"` and `X-Next-Cursor` (as the find lists).
pub(crate) fn paged<T: Serialize>(items: &[T], next: Option<&str>, uri: &Uri) -> Response {
    let mut res = Json(items).into_response();
    if let Some(c) = next {
        let link = format!("<{}>; rel=\"next\"", super::find::next_uri(uri, c));
        let encoded: String = c
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        if let (Ok(l), Ok(c)) = (
            HeaderValue::from_str(&link),
            HeaderValue::from_str(&encoded),
        ) {
            res.headers_mut().insert(header::LINK, l);
            res.headers_mut().insert("x-next-cursor", c);
        }
    }
    res
}
