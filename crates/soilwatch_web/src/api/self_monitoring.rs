//! Key enterprises' self-monitoring results above the screening values, flagged to the county
//! bureau (issue 8). The rule (GB 36600-2018 second-class land unless a registered plot sets the
//! point's class; GB/T 14848-2017 class Ⅳ limit for groundwater; non-detects never flagged) is
//! `soilwatch_store::registry_exceedance`'s.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use soilwatch_core::DivisionCode;
use soilwatch_store::registry::RegistryQuery;
use soilwatch_store::registry_exceedance::{
    enterprise_exceedances, SelfMonitoringExceedance, UnevaluatedSample,
};
use soilwatch_store::Role;
use utoipa::{IntoParams, ToSchema};

use super::catalogue::{check_rows, RowVisibility};
use super::registry_support::division;
use crate::auth::{division_covers, Actor};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Point codes per read of their samples (well inside every database's limit of bound values).
const POINTS_PER_READ: usize = 1000;

/// Filters of the exceedance list.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ExceedanceListQuery {
    /// County or prefecture code; default the reader's department's area (administrators:
    /// every county).
    pub division: Option<String>,
    /// Sampling year (YYYY); default every year.
    pub year: Option<String>,
}

/// The exceedances of the key enterprises of a division.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExceedancesResponse {
    /// The division listed (`null`: every county).
    pub division: Option<String>,
    pub year: Option<i32>,
    /// The rule applied, in Chinese and English.
    pub rule: String,
    /// One row per flagged item of a sample: enterprise, point, sample, analyte, value, the
    /// screening value, the standard and its table, by county, enterprise and date.
    #[schema(value_type = [Object])]
    pub rows: Vec<SelfMonitoringExceedance>,
    /// Self-monitoring samples that could not be judged, with the reason.
    #[schema(value_type = [Object])]
    pub unevaluated: Vec<UnevaluatedSample>,
    /// Samples left out because the sharing catalogue does not open their dataset to the reader.
    pub withheld_samples: usize,
}

/// The rule, as stated in the response and on the page.
pub const RULE: &str = "土壤：GB 36600-2018 第二类用地筛选值（登记的污染地块另定用地类别时按地块的类别），\
    超过筛选值（C > S）即列出；地下水：GB/T 14848-2017 Ⅳ类限值，超过即Ⅴ类时列出；等于筛选值不列出，未检出不列出 / \
    soil: GB 36600-2018 second-class land screening value (the plot's class where a registered \
    plot sets it), listed when above it (C > S); groundwater: GB/T 14848-2017 class IV limit, \
    listed when above it (class V); a value equal to the screening value and a non-detect are \
    not listed";

/// The division a reader may list: administrators any (default every county); reviewers and
/// data officers their department's area (default the whole area), else 403.
async fn readable_division(
    state: &AppState,
    actor: &Actor,
    requested: Option<DivisionCode>,
) -> ApiResult<Option<DivisionCode>> {
    actor.require(&[Role::Administrator, Role::Reviewer, Role::DataOfficer])?;
    if actor.role() == Role::Administrator {
        return Ok(requested);
    }
    let area = match &actor.user.department {
        Some(d) => state.store.get_department(d).await?.division,
        None => {
            return Err(ApiError::Forbidden(
                "无权限：账号不属于任何部门 / forbidden: your account belongs to no department"
                    .into(),
            ))
        }
    };
    match requested {
        None => Ok(Some(area)),
        Some(r) if division_covers(area, r) => Ok(Some(r)),
        Some(r) => Err(ApiError::Forbidden(format!(
            "无权限：{r} 不在本部门的辖区（{area}）内 / forbidden: {r} is outside the area of your \
             department ({area})"
        ))),
    }
}

fn parse_year(s: Option<&str>) -> ApiResult<Option<i32>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(t) => match t.parse::<i32>() {
            Ok(y) if (1900..=2100).contains(&y) => Ok(Some(y)),
            _ => Err(ApiError::BadRequest(format!(
                "参数 year：'{t}' 应为四位年份（1900–2100） / parameter year: '{t}' must be a \
                 four-digit year (1900–2100)"
            ))),
        },
    }
}

/// The exceedances a reader may see (shared by the API and the page).
pub async fn list_exceedances(
    state: &AppState,
    actor: &Actor,
    q: &ExceedanceListQuery,
    path: &str,
) -> ApiResult<ExceedancesResponse> {
    let year = parse_year(q.year.as_deref())?;
    let requested = division(q.division.as_deref())?;
    let div = readable_division(state, actor, requested).await?;
    let enterprises = state
        .store
        .list_enterprises(&RegistryQuery {
            division: div,
            ..Default::default()
        })
        .await?;
    // The samples and plot classes of every listed enterprise's points, read together (a few
    // statements per 1,000 points, not per enterprise: issue 12), then handed to each enterprise
    // in date order.
    let mut codes: Vec<String> = enterprises
        .iter()
        .flat_map(|e| e.item.point_codes.iter().cloned())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    let mut all = Vec::new();
    let mut classes = HashMap::new();
    for chunk in codes.chunks(POINTS_PER_READ) {
        all.extend(state.store.samples_of_points(chunk, year).await?);
        classes.extend(state.store.plot_classes_of_points(chunk).await?);
    }
    all.sort_by_key(|s| (s.sample.sampled_on, s.id));
    let mut by_point: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in all.iter().enumerate() {
        if let Some(p) = s.sample.point_code.as_deref() {
            by_point.entry(p).or_default().push(i);
        }
    }
    let mut rows = Vec::new();
    let mut unevaluated = Vec::new();
    for e in enterprises.iter().map(|v| &v.item) {
        let mut at: Vec<usize> = e
            .point_codes
            .iter()
            .filter_map(|c| by_point.get(c.as_str()))
            .flatten()
            .copied()
            .collect();
        if at.is_empty() {
            continue;
        }
        at.sort_unstable();
        at.dedup();
        let found = enterprise_exceedances(e, at.iter().map(|&i| &all[i]), &classes);
        rows.extend(found.rows);
        unevaluated.extend(found.unevaluated);
    }
    let mut samples: Vec<_> = all.iter().map(|s| (s.id, s.sample.medium)).collect();
    // The sharing catalogue's read check of the samples behind the list (logged).
    samples.sort_unstable_by_key(|s| s.0);
    samples.dedup_by_key(|s| s.0);
    let seen = check_rows(state, &actor.user, path, None, &samples).await?;
    let hidden: std::collections::HashSet<i64> = samples
        .iter()
        .zip(&seen)
        .filter(|(_, v)| **v != RowVisibility::Shown)
        .map(|(s, _)| s.0)
        .collect();
    rows.retain(|r| !hidden.contains(&r.sample_id));
    unevaluated.retain(|u| !hidden.contains(&u.sample_id));
    Ok(ExceedancesResponse {
        division: div.map(|d| d.to_string()),
        year,
        rule: RULE.to_owned(),
        rows,
        unevaluated,
        withheld_samples: hidden.len(),
    })
}

/// 自行监测超标 — the key enterprises' self-monitoring results above the screening value, for
/// the county bureau: soil against GB 36600-2018 second-class land (unless a registered plot
/// sets the point's class), groundwater against the GB/T 14848-2017 class Ⅳ limit; a value
/// equal to the screening value and a non-detect are not listed. Administrators, and reviewers
/// and data officers for their department's area (a county bureau its county, the prefecture
/// every county; another county is a 403).
#[utoipa::path(get, path = "/api/v1/enterprises/exceedances", tag = "enterprises", params(ExceedanceListQuery),
    responses((status = 200, body = ExceedancesResponse), (status = 400, body = crate::error::ErrorResponse),
        (status = 401, body = crate::error::ErrorResponse), (status = 403, body = crate::error::ErrorResponse)))]
pub async fn get_exceedances(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<ExceedanceListQuery>,
) -> ApiResult<Json<ExceedancesResponse>> {
    Ok(Json(
        list_exceedances(&state, &actor, &q, "GET /api/v1/enterprises/exceedances").await?,
    ))
}
