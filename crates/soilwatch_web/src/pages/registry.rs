//! Pages of the registries (issue 8): plots (list, one plot, the land-use gate), the public list
//! of key supervised enterprises, a remediation project with its manifests and totals, tailings
//! ponds. They call the same functions as the JSON API.

use askama::Template;
use axum::extract::{Path, Query, RawQuery, State};
use axum::Json;
use soilwatch_store::registry_codes::IntendedUse;
use soilwatch_store::registry_demolition::DemolitionStatus;
use soilwatch_store::registry_enterprise::{EnterprisePublic, TailingsStatus};
use soilwatch_store::registry_mining::{MiningArea, MiningStatus, MonitoringState};
use soilwatch_store::registry_plot::{GateAnswer, PlotEvaluation, PlotStage};
use soilwatch_store::registry_remediation::RemediationProject;
use soilwatch_store::Role;

use super::i18n::Lang;
use super::lists::ListPage;
use super::table::{
    division_field, input, keyset_list, link, num, registry_page, select, text, whole, Keyed, Whole,
};
use super::{demo_present, or_dash, render, PageResult};
use crate::api::demolition::{demolition_query, DemolitionListQuery};
use crate::api::enterprises::{public_enterprises, EnterpriseListQuery};
use crate::api::mining::{
    areas_monitoring, find_mining_areas, mining_area_detail, MiningListQuery,
};
use crate::api::plots::{plot_evaluation, plot_gate, plot_query, GateQuery, PlotListQuery};
use crate::api::remediation::{project_totals, ProjectTotalsResponse};
use crate::api::self_monitoring::{list_exceedances, ExceedanceListQuery};
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
    let mut rq = plot_query(&q)?;
    rq.page = registry_page(raw.as_deref())?;
    let plots = state.store.list_plots(&rq).await?;
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
    let list = match keyset_list(
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
    let mut rq = tailings_query(&q)?;
    rq.page = registry_page(raw.as_deref())?;
    let ponds = state.store.list_tailings_ponds(&rq).await?;
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
    let list = match keyset_list(
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

/// `/demolition-plans[?division=&status=&enterprise=]`: the demolition plans (拆除活动污染防治方案)
/// of key supervised enterprises with filters, paging and export — the plans of
/// `GET /api/v1/demolition-plans` with the same filters.
pub async fn demolition_plans_page(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<DemolitionListQuery>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let l = Lang::current();
    let mut rq = demolition_query(&q)?;
    rq.page = registry_page(raw.as_deref())?;
    let plans = state.store.list_demolition_plans(&rq).await?;
    let divisions = state.store.list_divisions().await?;
    let can_edit = writer(&actor);
    let rows = plans
        .into_iter()
        .map(|p| {
            let p = p.item;
            let last = p
                .steps
                .last()
                .map(|s| format!("{} {}", l.t(s.status.name_cn(), s.status.name_en()), s.date));
            Keyed {
                key: p.code.clone(),
                cells: vec![
                    if can_edit {
                        link(p.code.clone(), format!("/demolition-plans/{}/edit", p.code))
                    } else {
                        text(p.code.clone())
                    },
                    link(
                        p.enterprise_name.clone(),
                        format!("/enterprises/{}", p.enterprise_uscc),
                    ),
                    link(p.division.to_string(), format!("/counties/{}", p.division)),
                    text(p.facilities.join("、")),
                    text(p.cleanup_plan.title.clone()),
                    text(format!("{} {}", p.filing.bureau, p.filing.filed_on)),
                    text(p.planned_start.to_string()),
                    text(l.t(p.status.name_cn(), p.status.name_en())),
                    text(or_dash(last)),
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
            DemolitionStatus::ALL.iter().map(|s| {
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
        l.t("企业", "Enterprise"),
        l.t("县（市）", "County"),
        l.t("拆除设施", "Facilities"),
        l.t(
            "残留污染物清理和安全处置方案",
            "Residual-pollutant clean-up plan",
        ),
        l.t("备案", "Filed"),
        l.t("计划开工", "Planned start"),
        l.t("状态", "Status"),
        l.t("最近一步", "Latest step"),
    ];
    let list = match keyset_list(
        "/demolition-plans",
        "/api/v1/demolition-plans",
        "demolition_plans",
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
        title: l.t("拆除活动污染防治方案", "Demolition plans").into(),
        new: can_edit.then(|| {
            (
                "/demolition-plans/new".to_owned(),
                l.t("备案拆除方案", "File a demolition plan").to_owned(),
            )
        }),
        intro: l
            .t(
                "重点监管企业拆除设施、设备或建（构）筑物前备案的污染防治方案及其残留污染物清理和安全处置方案；状态：已备案 → 拆除中 → 已完成，或已撤回。",
                "Plans that key supervised enterprises file before demolishing facilities, equipment or buildings, with their residual-pollutant clean-up plans; status: filed → in progress → completed, or withdrawn.",
            )
            .into(),
        list,
    })
}

/// `/enterprises/exceedances[?division=&year=]`: the key enterprises' self-monitoring results
/// above the screening values, for the county bureau — the rows of
/// `GET /api/v1/enterprises/exceedances` with the same filters and the same reader check.
pub async fn exceedances_page(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<ExceedanceListQuery>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let l = Lang::current();
    let r = list_exceedances(&state, &actor, &q, "GET /enterprises/exceedances").await?;
    let divisions = state.store.list_divisions().await?;
    let rows = r
        .rows
        .iter()
        .enumerate()
        .map(|(i, x)| Keyed {
            key: format!("{:06}", i),
            cells: vec![
                link(x.division.to_string(), format!("/counties/{}", x.division)),
                link(
                    x.enterprise_name.clone(),
                    format!("/enterprises/{}", x.enterprise_uscc),
                ),
                link(x.point_code.clone(), format!("/points/{}", x.point_code)),
                link(x.sample_code.clone(), format!("/samples/{}", x.sample_id)),
                text(x.sampled_on.to_string()),
                text(l.t(x.medium.name_cn(), x.medium.code())),
                text(format!("{} {}", x.analyte_name_cn, x.analyte)),
                text(x.value.to_string()),
                text(x.unit.clone()),
                text(x.screening_value.clone()),
                text(format!("{} {}", x.standard, x.table)),
                text(x.basis.clone()),
                text(if x.above_intervention {
                    l.t("是", "yes")
                } else {
                    l.t("否", "no")
                }),
            ],
        })
        .collect();
    let fields = vec![
        division_field(l, q.division.as_ref(), &divisions),
        input(
            "year",
            l.t("采样年份", "Sampling year"),
            q.year.clone(),
            "text",
        ),
    ];
    let columns = vec![
        l.t("县（市）", "County"),
        l.t("企业", "Enterprise"),
        l.t("点位", "Point"),
        l.t("样品", "Sample"),
        l.t("采样日期", "Sampled on"),
        l.t("介质", "Medium"),
        l.t("检测项目", "Analyte"),
        l.t("检测值", "Value"),
        l.t("单位", "Unit"),
        l.t("筛选值", "Screening value"),
        l.t("标准及表", "Standard and table"),
        l.t("依据", "Basis"),
        l.t("超过管制值", "Above intervention"),
    ];
    let list = match whole(
        "/enterprises/exceedances",
        "/api/v1/enterprises/exceedances",
        "exceedances",
        raw.as_deref(),
        fields,
        columns,
        rows,
    )? {
        Whole::Page(list) => list,
        Whole::Export(res) => return Ok(res),
    };
    let mut intro = format!(
        "{} {}",
        l.t(
            "重点监管企业自行监测点位上超过筛选值的结果，报县级生态环境部门。规则：",
            "Self-monitoring results of key enterprises above the screening values, for the county bureau. Rule: "
        ),
        r.rule
    );
    if !r.unevaluated.is_empty() {
        intro.push_str(&format!(
            " {} {}",
            l.t("未能评价的样品：", "Samples that could not be evaluated: "),
            r.unevaluated
                .iter()
                .map(|u| format!("{}（{}）", u.sample_code, u.reason))
                .collect::<Vec<_>>()
                .join("；")
        ));
    }
    render(&ListPage {
        demo: demo_present(&state).await?,
        l,
        title: l
            .t("自行监测超标", "Self-monitoring above screening values")
            .into(),
        new: None,
        intro,
        list,
    })
}

/// `/mining-areas[?division=&status=&enterprise=&radioactive=]`: the mining-area registry with
/// each area's missing years of radiation monitoring — the areas of `GET /api/v1/mining-areas`
/// with the same filters.
pub async fn mining_areas_page(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<MiningListQuery>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let l = Lang::current();
    let today = chrono::Utc::now().date_naive();
    let areas = find_mining_areas(&state, &q, registry_page(raw.as_deref())?).await?;
    let divisions = state.store.list_divisions().await?;
    let items: Vec<&MiningArea> = areas.iter().map(|a| &a.item).collect();
    let monitoring = areas_monitoring(&state, &items, today).await?;
    let mut rows = Vec::with_capacity(areas.len());
    for (a, m) in areas.into_iter().zip(monitoring) {
        let a = a.item;
        let enterprise = or_dash(
            a.enterprise_name
                .clone()
                .or(a.enterprise_uscc.as_ref().map(|u| u.to_string())),
        );
        rows.push(Keyed {
            key: a.code.clone(),
            cells: vec![
                link(a.code.clone(), format!("/mining-areas/{}", a.code)),
                text(a.name),
                match &a.enterprise_uscc {
                    Some(u) => link(enterprise, format!("/enterprises/{u}")),
                    None => text(enterprise),
                },
                text(a.mineral),
                link(a.division.to_string(), format!("/counties/{}", a.division)),
                text(l.t(a.status.name_cn(), a.status.name_en())),
                text(if a.associated_radioactivity {
                    l.t("是", "yes")
                } else {
                    l.t("否", "no")
                }),
                text(or_dash(m.latest_year.map(|y| y.to_string()))),
                text(or_dash(Some(
                    m.missing_years
                        .iter()
                        .map(|y| y.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                ))),
            ],
        });
    }
    let fields = vec![
        division_field(l, q.division.as_ref(), &divisions),
        select(
            "status",
            l.t("状态", "Status"),
            q.status.as_ref(),
            l,
            MiningStatus::ALL.iter().map(|s| {
                (
                    s.code().to_owned(),
                    l.t(s.name_cn(), s.name_en()).to_owned(),
                )
            }),
        ),
        select(
            "radioactive",
            l.t("伴生放射性", "Associated radioactivity"),
            q.radioactive.as_ref(),
            l,
            [
                ("true".to_owned(), l.t("是", "yes").to_owned()),
                ("false".to_owned(), l.t("否", "no").to_owned()),
            ]
            .into_iter(),
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
        l.t("矿种", "Mineral"),
        l.t("县（市）", "County"),
        l.t("状态", "Status"),
        l.t("伴生放射性", "Associated radioactivity"),
        l.t("最近监测年份", "Latest monitored year"),
        l.t("缺失监测年份", "Years missing"),
    ];
    let list = match keyset_list(
        "/mining-areas",
        "/api/v1/mining-areas",
        "mining_areas",
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
        title: l.t("矿区", "Mining areas").into(),
        new: writer(&actor).then(|| {
            (
                "/mining-areas/new".to_owned(),
                l.t("登记矿区", "Register a mining area").to_owned(),
            )
        }),
        intro: l
            .t(
                "矿区名录；伴生放射性矿须每年开展辐射监测（监测结果为其监测点位上的普通样品），缺失的年份列出。",
                "The register of mining areas; mines with associated radioactivity owe yearly radiation monitoring (ordinary samples on their points); the years missing are listed.",
            )
            .into(),
        list,
    })
}

/// A year of radiation monitoring on the mining-area page.
pub struct MonitoringYearRow {
    pub year: i32,
    pub due_on: String,
    pub state: &'static str,
    pub missing: bool,
    pub samples: String,
}

/// A radiation result on the mining-area page.
pub struct RadiationRow {
    pub sample_id: i64,
    pub sample_code: String,
    pub point_code: String,
    pub sampled_on: String,
    pub analyte: String,
    pub value: String,
    pub unit: String,
}

#[derive(Template)]
#[template(path = "mining_area.html")]
pub struct MiningAreaPage {
    pub demo: bool,
    pub l: Lang,
    /// Whether the reader may edit it (the link to `/mining-areas/{code}/edit`).
    pub can_edit: bool,
    pub code: String,
    pub name: String,
    pub enterprise: Option<(String, String)>,
    pub enterprise_name: String,
    pub mineral: String,
    pub division: String,
    pub location: String,
    pub status: &'static str,
    pub radioactive: bool,
    pub monitoring_since: String,
    pub points: Vec<String>,
    pub note: String,
    pub version: i64,
    pub years: Vec<MonitoringYearRow>,
    pub missing: String,
    pub latest_year: String,
    pub results: Vec<RadiationRow>,
    pub withheld: usize,
    pub history: Vec<super::registers::HistoryRow>,
}

/// `/mining-areas/{code}`: a mining area, each year of its radiation monitoring (present,
/// missing, pending), the results of its latest monitored year, and its versions — what
/// `GET /api/v1/mining-areas/{code}` and `/history` answer.
pub async fn mining_area_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> PageResult {
    let l = Lang::current();
    let d = mining_area_detail(&state, &actor, &code, chrono::Utc::now().date_naive()).await?;
    let can_edit = writer(&actor);
    let Json(versions) = crate::api::mining::get_mining_area_history(
        State(state.clone()),
        actor,
        Path(code.clone()),
    )
    .await?;
    let a = d.area.item;
    let cat = soilwatch_core::AnalyteCatalogue::builtin();
    render(&MiningAreaPage {
        demo: demo_present(&state).await?,
        l,
        can_edit,
        enterprise: a.enterprise_uscc.as_ref().map(|u| {
            (
                u.to_string(),
                a.enterprise_name.clone().unwrap_or_else(|| u.to_string()),
            )
        }),
        enterprise_name: or_dash(a.enterprise_name.clone()),
        code: a.code,
        name: a.name,
        mineral: a.mineral,
        division: a.division.to_string(),
        location: or_dash(
            a.location
                .map(|p| format!("{:.6}, {:.6}", p.lon(), p.lat())),
        ),
        status: l.t(a.status.name_cn(), a.status.name_en()),
        radioactive: a.associated_radioactivity,
        monitoring_since: or_dash(a.monitoring_since.map(|y| y.to_string())),
        points: a.point_codes,
        note: or_dash(a.note),
        version: d.area.version,
        missing: d
            .radiation
            .missing_years
            .iter()
            .map(|y| y.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        years: d
            .radiation
            .years
            .iter()
            .map(|y| MonitoringYearRow {
                year: y.year,
                due_on: y.due_on.to_string(),
                state: l.t(y.state.name_cn(), y.state.name_en()),
                missing: y.state == MonitoringState::Missing,
                samples: or_dash(Some(y.samples.join(", "))),
            })
            .collect(),
        latest_year: or_dash(d.radiation.latest_year.map(|y| y.to_string())),
        results: d
            .radiation
            .latest_results
            .iter()
            .map(|r| RadiationRow {
                sample_id: r.sample_id,
                sample_code: r.sample_code.clone(),
                point_code: r.point_code.clone(),
                sampled_on: r.sampled_on.to_string(),
                analyte: cat
                    .by_code(&r.analyte)
                    .map(|a| format!("{} {}", l.t(&a.name_cn, &a.name_en), a.code))
                    .unwrap_or_else(|| r.analyte.clone()),
                value: if r.non_detect {
                    format!(
                        "{}（{}）",
                        l.t("未检出", "not detected"),
                        r.detection_limit.clone().unwrap_or_default()
                    )
                } else {
                    r.value.clone().unwrap_or_default()
                },
                unit: r.unit.clone(),
            })
            .collect(),
        withheld: d.withheld_results,
        history: super::registers::history_rows(l, versions),
    })
}
