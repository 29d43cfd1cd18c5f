//! List pages with filters, paging and export (issue 7): `/points` (public, like
//! `GET /api/v1/points`), `/samples` and `/results` (signed-in users, like their API routes) and
//! `/standards`. They take the API's own parameters ([`FindParams`]) and call the same store
//! queries, so a page shows exactly the rows of the API's page; the export links are the API
//! route with the same filters and `f=csv|xlsx|geojson`. Paging is by the API's keyset cursor
//! ("next page"; "first page" goes back).

use askama::Template;
use axum::extract::{Query, RawQuery, State};
use axum::Json;
use soilwatch_core::{ControlLevel, Medium, PointType};
use soilwatch_store::{RiskAreaCategory, Role};

use super::i18n::{named, Lang};
use super::table::{division_field, input, link, select, text, Field, Links, ListBody, PAGE_ROWS};
use super::{demo_present, or_dash, render, PageResult};
use crate::api::catalogue::guard_rows;
use crate::api::find::{FindParams, Format};
use crate::auth::Actor;
use crate::AppState;

#[derive(Template)]
#[template(path = "list.html")]
pub struct ListPage {
    pub demo: bool,
    pub l: Lang,
    pub title: String,
    pub intro: String,
    pub list: ListBody,
    /// A link above the list (href, text), e.g. to a form for a new row.
    pub new: Option<(String, String)>,
}

/// The links of a list of the find API (`route`): its cursor, its exports with `limit=100000`.
fn find_links<'a>(path: &'static str, route: &'a str) -> Links<'a> {
    Links {
        path,
        export: route,
        export_extra: &[("limit", "100000")],
        formats: &["csv", "xlsx", "geojson"],
        api: route,
        api_pages: true,
    }
}

/// The query with the page size of pages.
fn paged(q: &FindParams) -> Result<soilwatch_store::FindQuery, super::PageError> {
    let mut query = q.query(Format::Json)?;
    if q.limit.is_none() {
        query.limit = PAGE_ROWS;
    }
    Ok(query)
}

fn medium_field(l: Lang, q: &FindParams) -> Field {
    select(
        "medium",
        l.t("介质", "Medium"),
        q.medium.as_ref(),
        l,
        Medium::ALL
            .iter()
            .map(|m| (m.code().to_owned(), named(m.name_cn(), m.code()))),
    )
}

/// `/points`: monitoring points with filters (signed-in users, like the API: issue 13); writers
/// get a link to the form for a new point.
pub async fn points_page(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<FindParams>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let l = Lang::current();
    let query = paged(&q)?;
    let page = state.store.find_points(&query).await?;
    let divisions = state.store.list_divisions().await?;
    let name = |c: soilwatch_core::DivisionCode| {
        divisions
            .iter()
            .find(|d| d.code == c)
            .map_or_else(|| c.to_string(), |d| d.name.clone())
    };
    let rows = page
        .items
        .iter()
        .map(|r| {
            let p = &r.point.point;
            vec![
                link(p.code.clone(), format!("/points/{}", p.code)),
                text(p.name.clone()),
                link(name(p.division), format!("/counties/{}", p.division)),
                text(named(p.point_type.name_cn(), p.point_type.code())),
                text(named(p.control_level.name_cn(), p.control_level.code())),
                text(or_dash(
                    r.point
                        .risk_area()
                        .map(|c| l.t(c.name_cn(), c.name_en()).to_owned()),
                )),
                text(format!("{:.5}, {:.5}", p.location.lon(), p.location.lat())),
                text(if p.retired_on.is_some() {
                    l.t("已撤销", "retired")
                } else {
                    l.t("在用", "active")
                }),
            ]
        })
        .collect();
    render(&ListPage {
        demo: demo_present(&state).await?,
        l,
        title: l.t("监测点位", "Monitoring points").into(),
        new: matches!(actor.role(), Role::Administrator | Role::DataOfficer).then(|| {
            (
                "/points/new".to_owned(),
                l.t("新建监测点位", "New monitoring point").to_owned(),
            )
        }),
        intro: l
            .t(
                "点击点位编号查看其样品和时间序列图（需登录）。",
                "Click a code for the point's samples and charts (sign-in needed).",
            )
            .into(),
        list: ListBody::new(
            &find_links("/points", "/api/v1/points"),
            raw.as_deref(),
            query.limit,
            page.next_cursor.as_deref(),
            vec![
                division_field(l, q.division.as_ref(), &divisions),
                select(
                    "type",
                    l.t("点位类型", "Point type"),
                    q.point_type.as_ref(),
                    l,
                    PointType::ALL
                        .iter()
                        .map(|t| (t.code().to_owned(), named(t.name_cn(), t.code()))),
                ),
                select(
                    "control_level",
                    l.t("控制级别", "Control level"),
                    q.control_level.as_ref(),
                    l,
                    ControlLevel::ALL
                        .iter()
                        .map(|t| (t.code().to_owned(), named(t.name_cn(), t.code()))),
                ),
                select(
                    "risk_category",
                    l.t("风险区类别", "Risk-area category"),
                    q.risk_category.as_ref(),
                    l,
                    RiskAreaCategory::ALL.iter().map(|c| {
                        (
                            c.code().to_owned(),
                            l.t(c.name_cn(), c.name_en()).to_owned(),
                        )
                    }),
                ),
                select(
                    "status",
                    l.t("状态", "Status"),
                    q.status.as_ref(),
                    l,
                    [
                        ("active".to_owned(), l.t("在用", "active").to_owned()),
                        ("retired".to_owned(), l.t("已撤销", "retired").to_owned()),
                    ]
                    .into_iter(),
                ),
                input(
                    "point_code",
                    l.t("点位编号", "Point code"),
                    q.point_code.clone(),
                    "text",
                ),
            ],
            vec![
                l.t("编号", "Code"),
                l.t("名称", "Name"),
                l.t("县（市）", "County"),
                l.t("类型", "Type"),
                l.t("控制级别", "Control level"),
                l.t("风险区类别", "Risk area"),
                l.t("经度, 纬度", "Lon, lat"),
                l.t("状态", "Status"),
            ],
            rows,
        ),
    })
}

fn sample_fields(l: Lang, q: &FindParams, divisions: &[soilwatch_core::Division]) -> Vec<Field> {
    vec![
        division_field(l, q.division.as_ref(), divisions),
        medium_field(l, q),
        input(
            "year",
            l.t("年份", "Year"),
            q.year.map(|y| y.to_string()),
            "number",
        ),
        input("from", l.t("起始日期", "From"), q.from.clone(), "date"),
        input("to", l.t("截止日期", "To"), q.to.clone(), "date"),
        input(
            "analyte",
            l.t("检测项目", "Analyte"),
            q.analyte.clone(),
            "text",
        ),
        input(
            "point_code",
            l.t("点位编号", "Point code"),
            q.point_code.clone(),
            "text",
        ),
        input(
            "sample_code",
            l.t("样品编号", "Sample code"),
            q.sample_code.clone(),
            "text",
        ),
        input(
            "batch",
            l.t("导入批次", "Import batch"),
            q.batch.map(|b| b.to_string()),
            "number",
        ),
    ]
}

/// `GET /samples?…` as the read log names a page.
pub fn read_path(route: &str, raw: Option<&str>) -> String {
    match raw.filter(|r| !r.is_empty()) {
        Some(r) => format!("GET {route}?{r}"),
        None => format!("GET {route}"),
    }
}

/// `/samples`: samples with filters (signed-in users).
pub async fn samples_page(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<FindParams>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let l = Lang::current();
    let query = paged(&q)?;
    let mut page = state.store.find_samples(&query).await?;
    // Issue 9: the sharing catalogue's read check, as on the API.
    let path = read_path("/samples", raw.as_deref());
    page.items = guard_rows(&state, &actor, &path, query.medium, page.items, |s| {
        (s.id, s.sample.medium)
    })
    .await?;
    let divisions = state.store.list_divisions().await?;
    let rows = page
        .items
        .iter()
        .map(|s| {
            vec![
                link(s.sample.code.clone(), format!("/samples/{}", s.id)),
                match &s.sample.point_code {
                    Some(p) => link(p.clone(), format!("/points/{p}")),
                    None => text("—"),
                },
                text(s.sample.division.to_string()),
                text(named(s.sample.medium.name_cn(), s.sample.medium.code())),
                text(s.sample.sampled_on.to_string()),
                text(or_dash(
                    s.sample.land_use.map(|u| named(u.name_cn(), u.code())),
                )),
                text(or_dash(s.sample.crop.clone())),
                text(or_dash(s.sample.lab.clone())),
            ]
        })
        .collect();
    render(&ListPage {
        demo: demo_present(&state).await?,
        l,
        title: l.t("样品", "Samples").into(),
        new: None,
        intro: l
            .t(
                "点击样品编号查看结果与评价。",
                "Click a code for the results and the evaluation.",
            )
            .into(),
        list: ListBody::new(
            &find_links("/samples", "/api/v1/samples"),
            raw.as_deref(),
            query.limit,
            page.next_cursor.as_deref(),
            sample_fields(l, &q, &divisions),
            vec![
                l.t("样品编号", "Sample"),
                l.t("点位", "Point"),
                l.t("行政区划", "Division"),
                l.t("介质", "Medium"),
                l.t("采样日期", "Sampled on"),
                l.t("土地利用", "Land use"),
                l.t("作物", "Crop"),
                l.t("检测机构", "Laboratory"),
            ],
            rows,
        ),
    })
}

/// `/results`: analysis results with filters (signed-in users).
pub async fn results_page(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<FindParams>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let l = Lang::current();
    let query = paged(&q)?;
    let mut page = state.store.find_results(&query).await?;
    // Issue 9: the sharing catalogue's read check, as on the API.
    let path = read_path("/results", raw.as_deref());
    page.items = guard_rows(&state, &actor, &path, query.medium, page.items, |r| {
        (r.row.sample_id, r.row.medium)
    })
    .await?;
    let divisions = state.store.list_divisions().await?;
    let rows = page
        .items
        .iter()
        .map(|r| {
            let a = &r.row.result;
            let value = match (a.value, a.is_non_detect()) {
                (_, true) => format!(
                    "< {}",
                    a.detection_limit
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "DL".into())
                ),
                (Some(v), false) => v.to_string(),
                (None, false) => "—".into(),
            };
            vec![
                link(
                    r.row.sample_code.clone(),
                    format!("/samples/{}", r.row.sample_id),
                ),
                match &r.point_code {
                    Some(p) => link(p.clone(), format!("/points/{p}")),
                    None => text("—"),
                },
                text(r.row.division.to_string()),
                text(named(r.row.medium.name_cn(), r.row.medium.code())),
                text(r.row.sampled_on.to_string()),
                link(a.analyte.clone(), format!("/results/{}", r.row.result_id)),
                text(value),
                text(a.unit.symbol()),
                text(or_dash(a.method.clone())),
            ]
        })
        .collect();
    render(&ListPage {
        demo: demo_present(&state).await?,
        l,
        title: l.t("检测结果", "Results").into(),
        new: None,
        intro: l
            .t(
                "未检出以“< 检出限”表示。",
                "Non-detects are shown as “< detection limit”.",
            )
            .into(),
        list: ListBody::new(
            &find_links("/results", "/api/v1/results"),
            raw.as_deref(),
            query.limit,
            page.next_cursor.as_deref(),
            sample_fields(l, &q, &divisions),
            vec![
                l.t("样品", "Sample"),
                l.t("点位", "Point"),
                l.t("行政区划", "Division"),
                l.t("介质", "Medium"),
                l.t("采样日期", "Sampled on"),
                l.t("检测项目", "Analyte"),
                l.t("检测值", "Value"),
                l.t("单位", "Unit"),
                l.t("分析方法", "Method"),
            ],
            rows,
        ),
    })
}

#[derive(Template)]
#[template(path = "standards.html")]
pub struct StandardsPage {
    pub demo: bool,
    pub l: Lang,
    pub rows: Vec<soilwatch_standards::RulesetSummary>,
}

/// `/standards`: the rulesets, national then local (the list of `GET /api/v1/standards`).
pub async fn standards_page(State(state): State<AppState>) -> PageResult {
    let Json(rows) = crate::api::standards::list_standards(State(state.clone())).await?;
    render(&StandardsPage {
        demo: demo_present(&state).await?,
        l: Lang::current(),
        rows,
    })
}
