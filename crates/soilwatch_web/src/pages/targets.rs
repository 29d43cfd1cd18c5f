//! Pages of issue 10: `/indicators` (every indicator with its formula, value and target),
//! `/indicators/{code}` (the items behind one), `/targets` (targets in force, set by
//! administrators and reviewers, with history), `/assessment` (the yearly assessment per county
//! with progress and the CSV / XLSX exports). The same functions as the JSON API.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Form;
use serde::Deserialize;
use soilwatch_store::indicators::{Assessment, IndicatorValue, TraceItem, TraceKind, Verdict};
use soilwatch_store::targets::{Indicator, TargetSource};
use soilwatch_store::Role;

use super::svg::{county_map, MapCounty};
use super::{demo_present, message, render, PageResult};
use crate::api::targets::{
    assessment, default_year, indicator, indicators, set_target, targets, IndicatorQuery,
    TargetWriteRequest, TargetsResponse,
};
use crate::auth::{Actor, MaybeActor};
use crate::error::ApiError;
use crate::AppState;

/// A value with two decimals, or "—".
pub fn value_text(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "—".into())
}

/// CSS class of a verdict.
pub fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Met => "ok",
        Verdict::NotMet => "bad",
        Verdict::NoData | Verdict::NoTarget => "muted",
    }
}

/// One indicator as a row.
pub struct IndicatorRow {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub formula: String,
    pub formula_en: String,
    pub numerator: String,
    pub denominator: String,
    pub value: String,
    pub target: String,
    pub verdict: String,
    pub verdict_class: &'static str,
    /// Value ÷ target, 0–100, for the progress bar.
    pub progress: u32,
}

impl From<&IndicatorValue> for IndicatorRow {
    fn from(v: &IndicatorValue) -> Self {
        let target = v
            .target
            .as_ref()
            .map(|t| {
                format!(
                    "{} {}（{}年，{}）",
                    t.value,
                    v.unit,
                    t.target_year,
                    match t.source {
                        TargetSource::WorkPlan => "工作方案",
                        TargetSource::Set => "设定",
                    }
                )
            })
            .unwrap_or_else(|| "—".into());
        let progress = match (&v.target, v.value) {
            (Some(t), Some(x)) if t.value > 0.0 => ((x / t.value) * 100.0).clamp(0.0, 100.0),
            (Some(_), Some(_)) => 100.0,
            _ => 0.0,
        };
        IndicatorRow {
            code: v.indicator.code().to_owned(),
            name: v.name_cn.clone(),
            unit: v.unit.clone(),
            formula: v.formula_cn.clone(),
            formula_en: v.formula_en.clone(),
            numerator: format!("{:.2}", v.numerator),
            denominator: v
                .denominator
                .map(|d| format!("{d:.2}"))
                .unwrap_or_else(|| "—".into()),
            value: value_text(v.value),
            target,
            verdict: v.verdict.name_cn().to_owned(),
            verdict_class: verdict_class(v.verdict),
            progress: progress.round() as u32,
        }
    }
}

#[derive(Template)]
#[template(path = "indicators.html")]
pub struct IndicatorsPage {
    pub demo: bool,
    pub division: String,
    pub division_name: String,
    pub year: i32,
    pub rows: Vec<IndicatorRow>,
}

/// `/indicators?division=&year=`
pub async fn indicators_page(
    State(state): State<AppState>,
    Query(q): Query<IndicatorQuery>,
) -> PageResult {
    let r = indicators(&state, &q).await?;
    render(&IndicatorsPage {
        demo: demo_present(&state).await?,
        division: r.division.to_string(),
        division_name: r.division_name.clone(),
        year: r.year,
        rows: r.indicators.iter().map(IndicatorRow::from).collect(),
    })
}

/// An item of a trace with its link.
pub struct TraceRow {
    pub kind: &'static str,
    pub key: String,
    pub href: String,
    pub name: String,
    pub county: String,
    pub detail: String,
    pub numerator: String,
    pub denominator: String,
}

fn trace_row(i: &TraceItem, year: i32) -> TraceRow {
    let (kind, href) = match i.kind {
        TraceKind::Unit => (
            "评价单元",
            format!(
                "/api/v1/classification/runs/{}/units/{}",
                i.run_id.unwrap_or_default(),
                i.key
            ),
        ),
        TraceKind::TargetArea => (
            "措施面积",
            format!(
                "/api/v1/classification/target-areas?unit={}&year={year}",
                i.key
            ),
        ),
        TraceKind::Plot => ("污染地块", format!("/plots/{}", i.key)),
        TraceKind::Enterprise => (
            "重点监管企业",
            format!("/api/v1/enterprises/{}/disclosures", i.key),
        ),
        TraceKind::County => ("县（市）", "/network/coverage".to_owned()),
        TraceKind::Submission => ("数据报送", format!("/submissions/{}", i.key)),
    };
    TraceRow {
        kind,
        key: i.key.clone(),
        href,
        name: i.name.clone(),
        county: i.county.clone(),
        detail: i.detail.clone(),
        numerator: format!("{:.2}", i.numerator),
        denominator: format!("{:.2}", i.denominator),
    }
}

#[derive(Template)]
#[template(path = "indicator.html")]
pub struct IndicatorPage {
    pub demo: bool,
    pub division: String,
    pub division_name: String,
    pub year: i32,
    pub row: IndicatorRow,
    pub items: Vec<TraceRow>,
}

/// `/indicators/{code}?division=&year=`
pub async fn indicator_page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<IndicatorQuery>,
) -> PageResult {
    let v = indicator(&state, &code, &q).await?;
    render(&IndicatorPage {
        demo: demo_present(&state).await?,
        division: v.division.to_string(),
        division_name: v.division_name.clone(),
        year: v.year,
        row: IndicatorRow::from(&v),
        items: v
            .items
            .iter()
            .flatten()
            .map(|i| trace_row(i, v.year))
            .collect(),
    })
}

/// One division's targets in force as a row.
pub struct TargetRow {
    pub division: String,
    pub name: String,
    pub cells: Vec<TargetCell>,
}

pub struct TargetCell {
    pub text: String,
    pub history: Option<String>,
}

#[derive(Template)]
#[template(path = "targets.html")]
pub struct TargetsPage {
    pub demo: bool,
    pub year: i32,
    pub division: String,
    pub headers: Vec<String>,
    pub rows: Vec<TargetRow>,
    pub indicators: Vec<(String, String)>,
    /// The form is shown to administrators and reviewers.
    pub can_edit: bool,
    pub csrf: String,
    pub error: Option<String>,
    pub saved: Option<String>,
}

fn target_rows(t: &TargetsResponse) -> Vec<TargetRow> {
    t.in_force
        .iter()
        .map(|d| TargetRow {
            division: d.division.to_string(),
            name: d.division_name.clone(),
            cells: d
                .targets
                .iter()
                .map(|it| match &it.target {
                    Some(x) => TargetCell {
                        text: format!(
                            "{} {}（{}年{}）",
                            x.value,
                            it.unit,
                            x.target_year,
                            match x.source {
                                TargetSource::WorkPlan => "，工作方案",
                                TargetSource::Set => "，设定",
                            }
                        ),
                        history: (x.source == TargetSource::Set).then(|| {
                            format!(
                                "/api/v1/targets/{}/{}/{}/history",
                                d.division, x.target_year, it.indicator
                            )
                        }),
                    },
                    None => TargetCell {
                        text: "—".into(),
                        history: None,
                    },
                })
                .collect(),
        })
        .collect()
}

async fn targets_page_with(
    state: &AppState,
    actor: Option<&Actor>,
    q: &IndicatorQuery,
    outcome: Result<String, ApiError>,
) -> PageResult {
    let (status, error, saved) = match outcome {
        Ok(s) if s.is_empty() => (StatusCode::OK, None, None),
        Ok(s) => (StatusCode::OK, None, Some(s)),
        Err(e @ (ApiError::Forbidden(_) | ApiError::Unauthorized(_))) => return Err(e.into()),
        Err(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(message(&e).to_owned()),
            None,
        ),
    };
    let t = targets(state, q).await?;
    let can_edit = actor.is_some_and(|a| a.require(&[Role::Administrator, Role::Reviewer]).is_ok());
    let mut res = render(&TargetsPage {
        demo: demo_present(state).await?,
        year: t.year,
        division: t
            .in_force
            .first()
            .map(|d| d.division.to_string())
            .unwrap_or_default(),
        headers: Indicator::ALL
            .iter()
            .map(|i| format!("{}（{}）", i.name_cn(), i.unit()))
            .collect(),
        rows: target_rows(&t),
        indicators: Indicator::ALL
            .iter()
            .map(|i| {
                (
                    i.code().to_owned(),
                    format!("{}（{}）", i.name_cn(), i.unit()),
                )
            })
            .collect(),
        can_edit,
        csrf: actor.and_then(|a| a.csrf()).unwrap_or_default().to_owned(),
        error,
        saved,
    })?;
    *res.status_mut() = status;
    Ok(res)
}

/// `/targets?division=&year=`
pub async fn targets_page(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    Query(q): Query<IndicatorQuery>,
) -> PageResult {
    targets_page_with(&state, actor.as_ref(), &q, Ok(String::new())).await
}

/// The target form.
#[derive(Debug, Deserialize)]
pub struct TargetForm {
    pub division: String,
    pub year: String,
    pub indicator: String,
    pub value: String,
    pub note: Option<String>,
    pub reason: Option<String>,
}

/// `POST /targets`: set a target (administrators and reviewers).
pub async fn set_target_page(
    State(state): State<AppState>,
    actor: Actor,
    Form(f): Form<TargetForm>,
) -> PageResult {
    let q = IndicatorQuery {
        division: None,
        year: f.year.trim().parse().ok(),
    };
    let outcome = async {
        let year: i32 = f.year.trim().parse().map_err(|_| {
            ApiError::Unprocessable(format!(
                "字段 year: '{}' 不是年份 / field year: '{}' is not a year",
                f.year, f.year
            ))
        })?;
        let value: f64 = f.value.trim().parse().map_err(|_| {
            ApiError::Unprocessable(format!(
                "字段 value: '{}' 不是数字 / field value: '{}' is not a number",
                f.value, f.value
            ))
        })?;
        let t = set_target(
            &state,
            &actor,
            &f.division,
            year,
            &f.indicator,
            TargetWriteRequest {
                value,
                note: f.note.clone(),
                reason: f.reason.clone(),
            },
        )
        .await?;
        Ok(format!(
            "已保存 {} {} {}年 = {}（第 {} 版）/ saved",
            t.division,
            t.indicator.name_cn(),
            t.year,
            t.value,
            t.version
        ))
    }
    .await;
    targets_page_with(&state, Some(&actor), &q, outcome).await
}

/// One county's line of the assessment page.
pub struct AssessmentLine {
    pub division: String,
    pub name: String,
    pub cells: Vec<IndicatorRow>,
    pub met: usize,
    pub assessed: usize,
}

#[derive(Template)]
#[template(path = "assessment.html")]
pub struct AssessmentPage {
    pub demo: bool,
    pub year: i32,
    pub division: String,
    pub division_name: String,
    pub headers: Vec<String>,
    pub lines: Vec<AssessmentLine>,
    pub map_svg: String,
}

/// The assessment's query on a page (the year defaults to last year).
#[derive(Debug, Deserialize)]
pub struct AssessmentPageQuery {
    pub year: Option<i32>,
    pub division: Option<String>,
}

/// Fill of a county on the assessment map: all met, none met, some, nothing assessed.
pub fn map_fill(met: usize, assessed: usize) -> &'static str {
    match (met, assessed) {
        (_, 0) => "#e0e0e0",
        (m, a) if m == a => "#a5d6a7",
        (0, _) => "#ef9a9a",
        _ => "#fff59d",
    }
}

/// `/assessment?year=`
pub async fn assessment_page(
    State(state): State<AppState>,
    Query(q): Query<AssessmentPageQuery>,
) -> PageResult {
    let year = q.year.unwrap_or_else(default_year);
    let a: Assessment = assessment(&state, year, q.division.as_deref()).await?;
    let divisions = state.store.list_divisions().await?;
    let map_counties: Vec<MapCounty<'_>> = a
        .rows
        .iter()
        .filter_map(|r| {
            let d = divisions.iter().find(|d| d.code == r.division)?;
            if d.level != soilwatch_core::DivisionLevel::County {
                return None;
            }
            Some(MapCounty {
                code: r.division.to_string(),
                name: &d.name,
                boundary: d.boundary.as_ref()?,
                fill: map_fill(r.met, r.assessed),
                label: format!("{}/{}", r.met, r.assessed),
            })
        })
        .collect();
    render(&AssessmentPage {
        demo: demo_present(&state).await?,
        year: a.year,
        division: a.division.to_string(),
        division_name: a.division_name.clone(),
        headers: Indicator::ALL
            .iter()
            .map(|i| format!("{}（{}）", i.name_cn(), i.unit()))
            .collect(),
        lines: a
            .rows
            .iter()
            .map(|r| AssessmentLine {
                division: r.division.to_string(),
                name: r.division_name.clone(),
                cells: r.indicators.iter().map(IndicatorRow::from).collect(),
                met: r.met,
                assessed: r.assessed,
            })
            .collect(),
        map_svg: if map_counties.is_empty() {
            String::new()
        } else {
            county_map(&map_counties, 640.0)
        },
    })
}

/// `?year=&division=&format=` of the annual report page.
#[derive(Debug, Deserialize)]
pub struct AnnualReportQuery {
    pub year: Option<i32>,
    pub division: Option<String>,
    /// `html` (default), `xlsx` or `docx`.
    pub format: Option<String>,
}

/// `/reports/annual?year=&division=&format=`: the annual report (signed-in users), the same as
/// `soilwatch report`.
pub async fn annual_report_page(
    State(state): State<AppState>,
    _actor: Actor,
    Query(q): Query<AnnualReportQuery>,
) -> PageResult {
    use axum::response::IntoResponse;
    let format: crate::report::ReportFormat = q.format.as_deref().unwrap_or("html").parse()?;
    let year = q.year.unwrap_or_else(default_year);
    let division = crate::api::registry_support::division(q.division.as_deref())?;
    let r = crate::report::build(state.store.as_ref(), division, year).await?;
    let bytes = crate::report::render(&r, format)?;
    let mut headers = vec![(
        axum::http::header::CONTENT_TYPE,
        format.content_type().to_owned(),
    )];
    if format != crate::report::ReportFormat::Html {
        headers.push((
            axum::http::header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"soilwatch-report-{}-{}.{}\"",
                r.year,
                r.division,
                format.extension()
            ),
        ));
    }
    let mut res = bytes.into_response();
    for (k, v) in headers {
        if let Ok(v) = axum::http::HeaderValue::from_str(&v) {
            res.headers_mut().insert(k, v);
        }
    }
    Ok(res)
}
