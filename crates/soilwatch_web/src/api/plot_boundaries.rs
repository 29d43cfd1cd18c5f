//! 污染地块边界导入 — `POST /api/v1/plots/boundaries` (issue 11): the boundaries of registered
//! plots from a GeoJSON or GeoPackage file, matched to the plots by a code property, stored all
//! or nothing with a new version of each changed plot (the previous boundary kept in its history).

use axum::extract::{Multipart, State};
use axum::Json;
use soilwatch_core::DivisionCode;
use soilwatch_store::registry_plot::BoundaryWrite;
use soilwatch_store::{Role, StoreError};
use utoipa::ToSchema;

use super::registry_support::{change, may_write};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::ogc::plot_import::{read_plot_boundaries, FileBoundary};
use crate::AppState;

/// What a boundary import stored.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct PlotBoundariesUploaded {
    pub file: String,
    /// Features in the file (one per plot).
    pub features: usize,
    /// Plots whose boundary changed: a new version each.
    pub changed: usize,
    /// Plots whose boundary was already the file's.
    pub unchanged: usize,
    /// Per plot: `{code, version, changed, area_m2}`, in the file's order.
    #[schema(value_type = Vec<Object>)]
    pub plots: Vec<BoundaryWrite>,
}

fn file_error(msg: impl std::fmt::Display) -> ApiError {
    ApiError::Unprocessable(format!("字段 file / field file: {msg}"))
}

/// Check the file's plots: each registered (else 422 naming the feature), and the actor allowed
/// to write every one of their counties (administrator, or a data officer whose department's area
/// covers them; else 403).
pub(crate) async fn check_plots(
    state: &AppState,
    actor: &Actor,
    file_name: &str,
    boundaries: &[FileBoundary],
) -> ApiResult<()> {
    let mut counties: Vec<DivisionCode> = Vec::new();
    for b in boundaries {
        match state.store.get_plot(&b.code).await {
            Ok(p) => counties.push(p.item.division),
            Err(StoreError::NotFound { .. }) => {
                return Err(file_error(format!(
                    "{file_name}: 第 {n} 个要素的地块 '{code}' 未登记 / feature {n}: plot '{code}' \
                     is not registered (register it first, or correct the code)",
                    n = b.number,
                    code = b.code
                )))
            }
            Err(e) => return Err(e.into()),
        }
    }
    counties.sort();
    counties.dedup();
    may_write(state, actor, &counties).await
}

/// Import plot boundaries from a GeoJSON or GeoPackage file (multipart form: `file`; `reason`
/// required; optional `layer` of a GeoPackage with several, `code_field` naming the property
/// with the plot code, default `code`, `plot_code`, `地块编码`, `DKBM`, then the GeoJSON feature
/// id). Coordinates must be CGCS2000 (EPSG:4490) or WGS 84 longitude/latitude: any other CRS is
/// refused naming it. Every feature must name a registered plot, once, with a polygon touching
/// the plot's county; the file is stored all or nothing. Each plot whose boundary changes gets a
/// new version (its previous boundary stays in `/api/v1/plots/{code}/history`). An administrator
/// writes any plot, a data officer those of their department's area.
#[utoipa::path(post, path = "/api/v1/plots/boundaries", tag = "plots",
    request_body(content_type = "multipart/form-data",
        description = "file (.geojson/.json or .gpkg), reason, layer, code_field"),
    responses((status = 200, body = PlotBoundariesUploaded),
        (status = 400, body = crate::error::ErrorResponse),
        (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse),
        (status = 409, description = "A plot changed while the file was checked", body = crate::error::ErrorResponse),
        (status = 413, body = crate::error::ErrorResponse),
        (status = 422, description = "The file is refused; the message names the feature, the plot or the CRS", body = crate::error::ErrorResponse)))]
pub async fn upload_plot_boundaries(
    State(state): State<AppState>,
    actor: Actor,
    mut form: Multipart,
) -> ApiResult<Json<PlotBoundariesUploaded>> {
    actor.require(&[Role::Administrator, Role::DataOfficer])?;
    let mut file: Option<(String, Vec<u8>)> = None;
    let (mut layer, mut code_field, mut reason) = (None, None, None);
    while let Some(f) = form
        .next_field()
        .await
        .map_err(|e| super::imports::upload_error(&state, e))?
    {
        let name = f.name().unwrap_or_default().to_owned();
        if name == "file" {
            let fname = f.file_name().unwrap_or("boundaries").to_owned();
            let bytes = f
                .bytes()
                .await
                .map_err(|e| super::imports::upload_error(&state, e))?;
            file = Some((fname, bytes.to_vec()));
            continue;
        }
        let text = f
            .text()
            .await
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let text = Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        match name.as_str() {
            "layer" => layer = text,
            "code_field" => code_field = text,
            "reason" => reason = text,
            _ => {}
        }
    }
    let (file_name, bytes) = file.ok_or_else(|| {
        ApiError::BadRequest("缺少文件 / the form has no `file` field".to_owned())
    })?;
    let change = change(&actor, reason.as_deref())?;
    let boundaries =
        read_plot_boundaries(&file_name, &bytes, layer.as_deref(), code_field.as_deref())
            .await
            .map_err(file_error)?;
    check_plots(&state, &actor, &file_name, &boundaries).await?;
    let pairs: Vec<(String, geo::MultiPolygon<f64>)> = boundaries
        .into_iter()
        .map(|b| (b.code, b.boundary))
        .collect();
    let plots = state
        .store
        .set_plot_boundaries(&pairs, &change)
        .await
        .map_err(|e| match e {
            StoreError::Invalid(m) => file_error(format!("{file_name}: {m}")),
            other => other.into(),
        })?;
    let changed = plots.iter().filter(|p| p.changed).count();
    Ok(Json(PlotBoundariesUploaded {
        file: file_name,
        features: plots.len(),
        changed,
        unchanged: plots.len() - changed,
        plots,
    }))
}
