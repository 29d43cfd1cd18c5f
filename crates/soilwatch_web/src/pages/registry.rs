//! Pages of the registries (issue 8): plots (list, one plot, the land-use gate), the public list
//! of key supervised enterprises, a remediation project with its manifests and totals, tailings
//! ponds. They call the same functions as the JSON API.

use askama::Template;
use axum::extract::{Path, Query, RawQuery, State};
use axum::Json;
use soilwatch_store::registry_codes::IntendedUse;
use soilwatch_store::registry_enterprise::{EnterprisePublic, TailingsStatus};
use soilwatch_store::registry_plot::{GateAnswer, PlotEvaluation, PlotStage};
use soilwatch_store::registry_remediation::RemediationProject;
use soilwatch_store::Role;

use super::i18n::Lang;
use super::lists::ListPage;
use super::table::{division_field, input, link, num, select, text, whole, Keyed, Whole};
use super::{demo_present, or_dash, render, PageResult};
use crate::api::enterprises::{public_enterprises, EnterpriseListQuery};
use crate::api::plots::{plot_evaluation, plot_gate, plot_query, GateQuery, PlotListQuery};
use crate::api::remediation::{project_totals, ProjectTotalsResponse};
use crate::api::tailings::{tailings_query, TailingsListQuery};
use crate::auth::Actor;
use crate::AppState;

/// `/plots[?division=&status=]`: the plot registry with filters, paging and export — the plots of
/// `GET /api/v1/plots` with the same filters.
pub async fn plots_page(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<PlotListQuery>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let l = Lang::current();
    let plots = state.store.list_plots(&plot_query(&q)?).await?;
    let divisions = state.store.list_divisions().await?;
    let rows = plots
        .into_iter()
        .map(|p| {
            let p = p.item;
            Keyed {
                key: p.code.clone(),
                cells: vec![
                    link(p.code.clone(), format!("/plots/{}", p.code)),
                    text(p.name),
                    link(p.division.to_string(), format!("/counties/{}", p.division)),
                    text(l.t(p.status.name_cn(), p.status.name_en())),
                    text(or_dash(
                        p.industry.map(|i| l.t(i.name_cn(), i.name_en()).to_owned()),
                    )),
                    text(or_dash(p.planned_use)),
                    num(p.land_class),
                ],
            }
        })
        .collect();
    let fields = vec![
        division_field(l, q.division.as_ref(), &divisions),
        select(
            "status",
            l.t("阶段", "Stage"),
            q.status.as_ref(),
            l,
            PlotStage::ALL.iter().map(|s| {
                (
                    s.code().to_owned(),
                    l.t(s.name_cn(), s.name_en()).to_owned(),
                )
            }),
        ),
    ];
    let columns = vec![
        l.t("编码", "Code"),
        l.t("名称", "Name"),
        l.t("县（市）", "County"),
        l.t("阶段", "Stage"),
        l.t("行业", "Industry"),
        l.t("规划用途（GB 50137）", "Planned use (GB 50137)"),
        l.t("GB 36600 用地类别", "GB 36600 land class"),
    ];
    let list = match whole(
        "/plots",
        "/api/v1/plots",
        "plots",
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
        title: l.t("污染地块", "Contaminated plots").into(),
        new: writer(&actor).then(|| {
            (
                "/plots/new".to_owned(),
                l.t("登记疑似污染地块", "Register a suspected plot").to_owned(),
            )
        }),
        intro: l
            .t(
                "点击编码查看地块的生命周期、调查结果评价和各用途的准入判定。",
                "Click a code for the plot's lifecycle, its evaluation and the land-use gate for each use.",
            )
            .into(),
        list,
    })
}

/// A lifecycle step on the plot page.
pub struct StepRow {
    pub stage: &'static str,
    pub date: String,
    pub report: String,
    pub filing: String,
    pub passed: String,
    pub recorded_by: String,
}

#[derive(Template)]
#[template(path = "plot.html")]
pub struct PlotPage {
    pub demo: bool,
    pub code: String,
    pub name: String,
    pub division: String,
    pub status: &'static str,
    pub address: String,
    pub area: String,
    pub former_use: String,
    pub industry: String,
    pub responsible: String,
    pub successors: Vec<String>,
    pub planned_use: String,
    pub land_class: u8,
    pub negative_list: Vec<&'static str>,
    pub control_area: String,
    pub version: i64,
    pub steps: Vec<StepRow>,
    pub evaluation: PlotEvaluation,
    pub uses: Vec<(&'static str, &'static str)>,
    /// Whether the reader may edit the plot (administrators, data officers).
    pub can_edit: bool,
}

/// `/plots/{code}`: a plot, its lifecycle, its evaluation for the planned use and links to the
/// gate for every use.
pub async fn plot_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> PageResult {
    let rec = state.store.get_plot(&code).await?;
    let evaluation = plot_evaluation(&state, &code).await?;
    let p = rec.item;
    let steps = p
        .steps
        .iter()
        .map(|s| StepRow {
            stage: s.stage.name_cn(),
            date: s.date.to_string(),
            report: or_dash(s.report.as_ref().map(|r| {
                [
                    Some(r.title.clone()),
                    r.number.clone(),
                    r.organisation.clone(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("，")
            })),
            filing: or_dash(
                s.filing
                    .as_ref()
                    .map(|f| format!("{} {}", f.bureau, f.filed_on)),
            ),
            passed: match s.passed {
                Some(true) => "通过".into(),
                Some(false) => "未通过".into(),
                None => "—".into(),
            },
            recorded_by: s.recorded_by.clone(),
        })
        .collect();
    render(&PlotPage {
        demo: demo_present(&state).await?,
        code: p.code.clone(),
        name: p.name.clone(),
        division: p.division.to_string(),
        status: p.status.name_cn(),
        address: or_dash(p.address.clone()),
        area: or_dash(
            p.area_m2
                .map(|a| format!("{a:.0} m²（{:.2} 亩）", a / 666.666_7)),
        ),
        former_use: or_dash(p.former_use.clone()),
        industry: or_dash(
            p.industry
                .map(|i| format!("{}（GB/T 4754：{}）", i.name_cn(), i.gbt4754().join("、"))),
        ),
        responsible: or_dash(p.responsible_party.as_ref().map(|r| match &r.uscc {
            Some(u) => format!("{}（{u}）", r.name),
            None => r.name.clone(),
        })),
        successors: p
            .successors
            .iter()
            .map(|s| format!("{} 起：{}（{}）", s.since, s.party.name, s.basis))
            .collect(),
        planned_use: or_dash(p.planned_use.clone()),
        land_class: p.land_class,
        negative_list: p.negative_list.iter().map(|u| u.name_cn()).collect(),
        control_area: or_dash(p.control_area.as_ref().map(|c| {
            format!(
                "{} 起；标识：{}；公告：{}；监测：{}",
                c.since,
                if c.signs { "已设立" } else { "未设立" },
                c.notice.clone().unwrap_or_else(|| "—".into()),
                c.monitoring.clone().unwrap_or_else(|| "—".into())
            )
        })),
        version: rec.version,
        steps,
        evaluation,
        uses: IntendedUse::ALL
            .iter()
            .map(|u| (u.code(), super::i18n::t(u.name_cn(), u.name_en())))
            .collect(),
        can_edit: writer(&actor),
    })
}

/// Whether a user writes the registers (administrators, data officers).
fn writer(a: &Actor) -> bool {
    matches!(a.role(), Role::Administrator | Role::DataOfficer)
}

#[derive(Template)]
#[template(path = "plot_gate.html")]
pub struct GatePage {
    pub demo: bool,
    pub code: String,
    pub answer: Option<GateAnswer>,
    pub selected: String,
    pub uses: Vec<(&'static str, &'static str)>,
    pub missing: Vec<&'static str>,
}

/// `/plots/{code}/gate?use=`: the land-use gate's answer, with a form to choose the use.
pub async fn plot_gate_page(
    State(state): State<AppState>,
    _actor: Actor,
    Path(code): Path<String>,
    Query(q): Query<GateQuery>,
) -> PageResult {
    state.store.get_plot(&code).await?;
    let selected = q.intended_use.unwrap_or_default();
    let answer = if selected.trim().is_empty() {
        None
    } else {
        Some(plot_gate(&state, &code, &selected).await?)
    };
    let missing = answer
        .as_ref()
        .map(|a| a.missing_steps.iter().map(|s| s.name_cn()).collect())
        .unwrap_or_default();
    render(&GatePage {
        demo: demo_present(&state).await?,
        code,
        selected: answer
            .as_ref()
            .map(|a| a.intended_use.code().to_owned())
            .unwrap_or(selected),
        answer,
        uses: IntendedUse::ALL
            .iter()
            .map(|u| (u.code(), super::i18n::t(u.name_cn(), u.name_en())))
            .collect(),
        missing,
    })
}

#[derive(Template)]
#[template(path = "enterprises.html")]
pub struct EnterprisesPage {
    pub demo: bool,
    pub division: String,
    pub rows: Vec<EnterprisePublic>,
}

/// `/enterprises[?division=]`: the public list of key supervised enterprises (public fields only).
pub async fn enterprises_page(
    State(state): State<AppState>,
    Query(q): Query<EnterpriseListQuery>,
) -> PageResult {
    let rows = public_enterprises(&state, &q).await?;
    render(&EnterprisesPage {
        demo: demo_present(&state).await?,
        division: q.division.unwrap_or_default(),
        rows,
    })
}

#[derive(Template)]
#[template(path = "remediation_project.html")]
pub struct ProjectPage {
    pub demo: bool,
    pub p: RemediationProject,
    pub mode: &'static str,
    pub plan_filing: String,
    pub evaluation: String,
    pub totals: ProjectTotalsResponse,
    pub version: i64,
    pub l: Lang,
    pub history: Vec<super::registers::HistoryRow>,
}

/// `/remediation-projects/{code}`: a project with its manifests and totals per destination, and
/// its versions (`GET /api/v1/remediation-projects/{code}/history`).
pub async fn project_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> PageResult {
    let l = Lang::current();
    let rec = state.store.get_project(&code).await?;
    let (p, version) = (rec.item, rec.version);
    let totals = project_totals(&state, &code).await?;
    let Json(versions) = crate::api::remediation::get_project_history(
        State(state.clone()),
        actor,
        Path(code.clone()),
    )
    .await?;
    render(&ProjectPage {
        demo: demo_present(&state).await?,
        version,
        l,
        history: super::registers::history_rows(l, versions),
        mode: l.t(p.mode.name_cn(), p.mode.name_en()),
        plan_filing: or_dash(
            p.plan_filing
                .as_ref()
                .map(|f| format!("{} {}", f.bureau, f.filed_on)),
        ),
        evaluation: or_dash(p.effect_evaluation.as_ref().map(|e| {
            format!(
                "{}，{}：{}（{}）",
                e.evaluator,
                e.concluded_on,
                e.conclusion,
                if e.passed {
                    l.t("达到目标", "targets reached")
                } else {
                    l.t("未达到目标", "targets not reached")
                }
            )
        })),
        p,
        totals,
    })
}

/// `/tailings-ponds[?division=&status=&enterprise=]`: the tailings-pond registry with filters,
/// paging and export — the ponds of `GET /api/v1/tailings-ponds` with the same filters.
pub async fn tailings_page(
    State(state): State<AppState>,
    _actor: Actor,
    Query(q): Query<TailingsListQuery>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let l = Lang::current();
    let ponds = state
        .store
        .list_tailings_ponds(&tailings_query(&q)?)
        .await?;
    let divisions = state.store.list_divisions().await?;
    let rows = ponds
        .into_iter()
        .map(|t| {
            let t = t.item;
            let enterprise = or_dash(
                t.enterprise_name
                    .clone()
                    .or(t.enterprise_uscc.as_ref().map(|u| u.to_string())),
            );
            Keyed {
                key: t.code.clone(),
                cells: vec![
                    link(t.code.clone(), format!("/tailings-ponds/{}", t.code)),
                    text(t.name),
                    match &t.enterprise_uscc {
                        Some(u) => link(enterprise, format!("/enterprises/{u}")),
                        None => text(enterprise),
                    },
                    link(t.division.to_string(), format!("/counties/{}", t.division)),
                    text(l.t(t.status.name_cn(), t.status.name_en())),
                    text(or_dash(
                        t.risk_assessment
                            .as_ref()
                            .map(|a| format!("{} {}", a.done_on, a.conclusion)),
                    )),
                    text(or_dash(
                        t.emergency_plan
                            .as_ref()
                            .map(|f| format!("{} {}", f.bureau, f.filed_on)),
                    )),
                ],
            }
        })
        .collect();
    let fields = vec![
        division_field(l, q.division.as_ref(), &divisions),
        select(
            "status",
            l.t("状态", "Status"),
            q.status.as_ref(),
            l,
            TailingsStatus::ALL.iter().map(|s| {
                (
                    s.code().to_owned(),
                    l.t(s.name_cn(), s.name_en()).to_owned(),
                )
            }),
        ),
        input(
            "enterprise",
            l.t("企业统一社会信用代码", "Enterprise USCC"),
            q.enterprise.clone(),
            "text",
        ),
    ];
    let columns = vec![
        l.t("编码", "Code"),
        l.t("名称", "Name"),
        l.t("企业", "Enterprise"),
        l.t("县（市）", "County"),
        l.t("状态", "Status"),
        l.t("风险评估", "Risk assessment"),
        l.t("应急预案备案", "Emergency plan filed"),
    ];
    let list = match whole(
        "/tailings-ponds",
        "/api/v1/tailings-ponds",
        "tailings_ponds",
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
        title: l.t("尾矿库", "Tailings ponds").into(),
        new: None,
        intro: l
            .t(
                "尾矿库名录：运营企业、状态、风险评估和应急预案备案。",
                "The register of tailings ponds: operator, status, risk assessment and emergency plan.",
            )
            .into(),
        list,
    })
}
