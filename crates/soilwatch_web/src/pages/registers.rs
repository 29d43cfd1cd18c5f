//! Registry pages of issue 7 that the registry pages of issue 8 (`registry.rs`) did not have:
//! the remediation-project list, the transfer-manifest list and detail, and the tailings-pond
//! detail. Each page calls the JSON API's own handler (`api::remediation`, `api::tailings`), so it
//! shows exactly the API's rows and answers whoever the API answers (a signed-in user: the page
//! takes the API handler's [`Actor`] and passes it on; signed out it sends to `/login`); lists page
//! by keyset and export through [`keyset_list`](super::table::keyset_list) like `/plots` and
//! `/tailings-ponds` (issue 12: a page reads its page from the store, not the whole registry).

use askama::Template;
use axum::extract::{Path, Query, RawQuery, State};
use axum::Json;
use chrono::{DateTime, FixedOffset};
use soilwatch_core::VersionRecord;
use soilwatch_store::registry_remediation::TransferManifest;

use super::i18n::Lang;
use super::lists::ListPage;
use super::table::{
    division_field, input, keyset_list, link, num, registry_page, text, Keyed, Whole,
};
use super::{demo_present, or_dash, render, PageResult};
use crate::api::remediation::{
    get_manifest, get_manifest_history, manifest_query, project_query, ManifestListQuery,
    ManifestView, ProjectListQuery,
};
use crate::api::tailings::{get_tailings_pond, get_tailings_pond_history};
use crate::auth::Actor;
use crate::AppState;

/// A time as the pages show it: `YYYY-MM-DD HH:MM` in its own offset, the offset after it.
fn when(t: DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%d %H:%M (%:z)").to_string()
}

/// The manifest's state: in transit, received, or received with a different quantity.
fn manifest_state(l: Lang, m: &TransferManifest) -> &'static str {
    match (&m.received, m.flagged()) {
        (None, _) => l.t("在途", "In transit"),
        (Some(_), false) => l.t("已接收", "Received"),
        (Some(_), true) => l.t("已接收，数量不一致", "Received, quantity differs"),
    }
}

/// `/remediation-projects[?division=&plot=]`: the remediation projects of
/// `GET /api/v1/remediation-projects` with the same filters, paged and exported.
pub async fn projects_page(
    State(state): State<AppState>,
    _actor: Actor,
    Query(q): Query<ProjectListQuery>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let l = Lang::current();
    let (division, plot) = (q.division.clone(), q.plot.clone());
    let mut rq = project_query(&q)?;
    rq.page = registry_page(raw.as_deref())?;
    let projects = state.store.list_projects(&rq).await?;
    let divisions = state.store.list_divisions().await?;
    let rows = projects
        .into_iter()
        .map(|p| {
            let p = p.item;
            Keyed {
                key: p.code.clone(),
                cells: vec![
                    link(p.code.clone(), format!("/remediation-projects/{}", p.code)),
                    text(p.name),
                    link(p.plot_code.clone(), format!("/plots/{}", p.plot_code)),
                    link(p.division.to_string(), format!("/counties/{}", p.division)),
                    text(l.t(p.mode.name_cn(), p.mode.name_en())),
                    text(p.responsible_unit),
                    text(p.technique),
                    text(or_dash(p.started_on.map(|d| d.to_string()))),
                    text(or_dash(p.finished_on.map(|d| d.to_string()))),
                    text(or_dash(p.effect_evaluation.map(|e| {
                        if e.passed {
                            l.t("达到目标", "targets reached").to_owned()
                        } else {
                            l.t("未达到目标", "targets not reached").to_owned()
                        }
                    }))),
                ],
            }
        })
        .collect();
    let fields = vec![
        division_field(l, division.as_ref(), &divisions),
        input("plot", l.t("地块编码", "Plot code"), plot, "text"),
    ];
    let columns = vec![
        l.t("编码", "Code"),
        l.t("名称", "Name"),
        l.t("地块", "Plot"),
        l.t("县（市）", "County"),
        l.t("类型", "Kind"),
        l.t("责任单位", "Responsible unit"),
        l.t("技术", "Technique"),
        l.t("开工日期", "Started on"),
        l.t("完工日期", "Finished on"),
        l.t("效果评估", "Effect evaluation"),
    ];
    let list = match keyset_list(
        "/remediation-projects",
        "/api/v1/remediation-projects",
        "remediation_projects",
        raw.as_deref(),
        fields,
        columns,
        rows,
    )? {
        Whole::Page(list) => list,
        Whole::Export(res) => return Ok(res),
    };
    render(&ListPage {
        demo: demo_present(&state).await?,
        l,
        title: l.t("修复工程", "Remediation projects").into(),
        new: Some((
            "/manifests".to_owned(),
            l.t("全部转运联单", "All transfer manifests").to_owned(),
        )),
        intro: l
            .t(
                "污染地块上的治理修复和风险管控工程。点击编码查看工程的转运联单和按去向的汇总。",
                "Remediation and risk-control projects on contaminated plots. Click a code for the \
                 project's transfer manifests and its totals per destination.",
            )
            .into(),
        list,
    })
}

/// `/manifests[?project=&division=]`: the transfer manifests of `GET /api/v1/manifests` with the
/// same filters (a division selects the loads leaving from or arriving in it), in departure order,
/// paged and exported.
pub async fn manifests_page(
    State(state): State<AppState>,
    _actor: Actor,
    Query(q): Query<ManifestListQuery>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let l = Lang::current();
    let (division, project) = (q.division.clone(), q.project.clone());
    let mut mq = manifest_query(&q)?;
    mq.page = registry_page(raw.as_deref())?;
    let manifests: Vec<ManifestView> = state
        .store
        .list_manifests(&mq)
        .await?
        .into_iter()
        .map(ManifestView::from)
        .collect();
    let divisions = state.store.list_divisions().await?;
    let rows = manifests
        .into_iter()
        .map(|v| {
            let shown = manifest_state(l, &v.manifest.item);
            let m = v.manifest.item;
            Keyed {
                // The API's order (departure, then number) and its cursor (the number).
                key: m.code.clone(),
                cells: vec![
                    link(m.code.clone(), format!("/manifests/{}", m.code)),
                    link(
                        m.project_code.clone(),
                        format!("/remediation-projects/{}", m.project_code),
                    ),
                    text(when(m.departure_at)),
                    link(
                        m.origin_division.to_string(),
                        format!("/counties/{}", m.origin_division),
                    ),
                    text(m.destination_facility),
                    link(
                        m.destination_division.to_string(),
                        format!("/counties/{}", m.destination_division),
                    ),
                    text(l.t(m.unit.name_cn(), m.unit.name_en())),
                    num(m.quantity),
                    match &m.received {
                        Some(r) => num(r.quantity),
                        None => text("—"),
                    },
                    match v.difference {
                        Some(d) => num(d),
                        None => text("—"),
                    },
                    text(shown),
                ],
            }
        })
        .collect();
    let fields = vec![
        input(
            "project",
            l.t("修复工程编码", "Project code"),
            project,
            "text",
        ),
        division_field(l, division.as_ref(), &divisions),
    ];
    let columns = vec![
        l.t("联单号", "Manifest"),
        l.t("修复工程", "Project"),
        l.t("出发时间", "Departure"),
        l.t("起运县（市）", "Origin county"),
        l.t("接收单位", "Receiving facility"),
        l.t("接收县（市）", "Destination county"),
        l.t("单位", "Unit"),
        l.t("运出数量", "Sent"),
        l.t("接收数量", "Received"),
        l.t("差额（接收−运出）", "Difference (received − sent)"),
        l.t("状态", "State"),
    ];
    let list = match keyset_list(
        "/manifests",
        "/api/v1/manifests",
        "manifests",
        raw.as_deref(),
        fields,
        columns,
        rows,
    )? {
        Whole::Page(list) => list,
        Whole::Export(res) => return Ok(res),
    };
    render(&ListPage {
        demo: demo_present(&state).await?,
        l,
        title: l.t("污染土壤转运联单", "Contaminated-soil transfer manifests").into(),
        new: Some((
            "/remediation-projects".to_owned(),
            l.t("修复工程", "Remediation projects").to_owned(),
        )),
        intro: l
            .t(
                "每车（船）一单，出发前填报；按县筛选时列出从该县运出和运入该县的联单。接收数量与运出数量不一致的联单标为“数量不一致”。",
                "One manifest a load, filed before departure; a county filter lists the loads \
                 leaving from or arriving in the county. A load received in a quantity other than \
                 the one sent is marked 'quantity differs'.",
            )
            .into(),
        list,
    })
}

/// A version of a registry record, as the detail pages list them.
pub struct HistoryRow {
    pub version: i64,
    pub operation: String,
    pub at: String,
    pub actor: String,
    pub reason: String,
}

pub fn history_rows(l: Lang, versions: Vec<VersionRecord>) -> Vec<HistoryRow> {
    versions
        .into_iter()
        .map(|h| HistoryRow {
            version: h.version,
            operation: match h.operation.as_str() {
                "insert" => l.t("登记", "registered").to_owned(),
                "update" => l.t("修改", "changed").to_owned(),
                "receive" => l.t("接收", "received").to_owned(),
                other => other.to_owned(),
            },
            at: h.at.format("%Y-%m-%d %H:%M UTC").to_string(),
            actor: h.actor,
            reason: h.reason,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "manifest.html")]
pub struct ManifestPage {
    pub demo: bool,
    pub l: Lang,
    pub code: String,
    pub project: String,
    pub origin: String,
    pub destination: String,
    pub destination_division: String,
    pub quantity: String,
    pub unit: &'static str,
    pub transport_mode: &'static str,
    pub route: String,
    pub carrier: String,
    pub vehicle: String,
    pub departure: String,
    pub arrival: String,
    pub disposal: String,
    pub filed: String,
    pub state: &'static str,
    pub flagged: bool,
    pub received: String,
    pub arrived: String,
    pub received_by: String,
    pub receipt_note: String,
    pub difference: String,
    pub version: i64,
    pub history: Vec<HistoryRow>,
}

/// `/manifests/{code}`: a manifest (`GET /api/v1/manifests/{code}`), its reconciliation and its
/// versions (`GET /api/v1/manifests/{code}/history`).
pub async fn manifest_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> PageResult {
    let l = Lang::current();
    let Json(v) = get_manifest(State(state.clone()), actor.clone(), Path(code.clone())).await?;
    let Json(versions) = get_manifest_history(State(state.clone()), actor, Path(code)).await?;
    let m = &v.manifest.item;
    let r = m.received.as_ref();
    render(&ManifestPage {
        demo: demo_present(&state).await?,
        l,
        code: m.code.clone(),
        project: m.project_code.clone(),
        origin: m.origin_division.to_string(),
        destination: m.destination_facility.clone(),
        destination_division: m.destination_division.to_string(),
        quantity: m.quantity.to_string(),
        unit: l.t(m.unit.name_cn(), m.unit.name_en()),
        transport_mode: l.t(m.transport_mode.name_cn(), m.transport_mode.name_en()),
        route: m.route.clone(),
        carrier: m.carrier.clone(),
        vehicle: m.vehicle.clone(),
        departure: when(m.departure_at),
        arrival: or_dash(m.arrival_at.map(when)),
        disposal: m.disposal.clone(),
        filed: m.filed_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        state: manifest_state(l, m),
        flagged: v.flagged,
        received: or_dash(r.map(|r| r.quantity.to_string())),
        arrived: or_dash(r.map(|r| when(r.arrived_at))),
        received_by: or_dash(r.map(|r| r.received_by.clone())),
        receipt_note: or_dash(r.and_then(|r| r.note.clone())),
        difference: or_dash(v.difference.map(|d| d.to_string())),
        version: v.manifest.version,
        history: history_rows(l, versions),
    })
}

#[derive(Template)]
#[template(path = "tailings_pond.html")]
pub struct PondPage {
    pub demo: bool,
    pub l: Lang,
    pub code: String,
    pub name: String,
    /// (USCC, name or USCC) of the operating enterprise.
    pub enterprise: Option<(String, String)>,
    pub enterprise_name: String,
    pub division: String,
    pub location: String,
    pub status: &'static str,
    pub risk_assessment: String,
    pub emergency_plan: String,
    pub note: String,
    pub version: i64,
    pub history: Vec<HistoryRow>,
}

/// `/tailings-ponds/{code}`: a tailings pond (`GET /api/v1/tailings-ponds/{code}`) and its
/// versions (`GET /api/v1/tailings-ponds/{code}/history`).
pub async fn pond_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> PageResult {
    let l = Lang::current();
    let Json(rec) =
        get_tailings_pond(State(state.clone()), actor.clone(), Path(code.clone())).await?;
    let Json(versions) = get_tailings_pond_history(State(state.clone()), actor, Path(code)).await?;
    let t = rec.item;
    render(&PondPage {
        demo: demo_present(&state).await?,
        l,
        enterprise: t.enterprise_uscc.as_ref().map(|u| {
            (
                u.to_string(),
                t.enterprise_name.clone().unwrap_or_else(|| u.to_string()),
            )
        }),
        enterprise_name: or_dash(t.enterprise_name.clone()),
        code: t.code,
        name: t.name,
        division: t.division.to_string(),
        location: or_dash(
            t.location
                .map(|p| format!("{:.6}, {:.6}", p.lon(), p.lat())),
        ),
        status: l.t(t.status.name_cn(), t.status.name_en()),
        risk_assessment: or_dash(t.risk_assessment.map(|a| {
            let mut s = format!("{} {}", a.done_on, a.conclusion);
            if let Some(r) = a.report {
                s.push_str(&format!(" · {}", r.title));
            }
            s
        })),
        emergency_plan: or_dash(t.emergency_plan.map(|f| {
            let mut s = format!("{} {}", f.bureau, f.filed_on);
            if let Some(n) = f.number {
                s.push_str(&format!(" · {n}"));
            }
            s
        })),
        note: or_dash(t.note),
        version: rec.version,
        history: history_rows(l, versions),
    })
}
