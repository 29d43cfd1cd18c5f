//! 年度土壤环境状况报告 — the annual report (issue 10): network and samples, exceedances by
//! analyte and county, the classification and its changes, plots and remediation, key
//! enterprises, the indicators against their targets, and a data appendix (the assessment).
//! One [`AnnualReport`] is built from the store and written as HTML (printable, SVG charts and
//! the county map), XLSX (one sheet per section, numbers as numbers) or DOCX (docx-rs; tables,
//! and the same charts and map as PNG images rasterised by [`crate::raster`]). `soilwatch report`
//! and the `/reports/annual` page call the same functions; the indicators are
//! `soilwatch_store::indicators`, as in `/api/v1/indicators`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use askama::Template;
use chrono::{NaiveDate, Utc};
use serde::Serialize;
use soilwatch_classify::UnitClass;
use soilwatch_core::{DivisionCode, Medium};
use soilwatch_store::classification_service::run_changes;
use soilwatch_store::indicators::{compute, Assessment, IndicatorValue};
use soilwatch_store::registry::RegistryQuery;
use soilwatch_store::registry_plot::PlotStage;
use soilwatch_store::{FindQuery, Store, StoredResult, StoredSample};

use crate::api::samples::{evaluate_stored, Evaluation, EvaluationQuery};
use crate::error::{ApiError, ApiResult};
use crate::pages::svg::{county_map, esc, MapCounty};

/// One county's monitoring in the year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkRow {
    pub division: String,
    pub name: String,
    pub active_points: i64,
    pub soil_samples: i64,
}

/// Soil samples over the GB 15618 values for one analyte, per county.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExceedanceRow {
    pub analyte: String,
    pub name_cn: String,
    /// Samples above the risk screening value, per county (in the order of `counties`).
    pub screening: Vec<usize>,
    /// Samples above the risk intervention value, per county.
    pub intervention: Vec<usize>,
    pub screening_total: usize,
    pub intervention_total: usize,
}

/// Classification areas of a county.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassRow {
    pub division: String,
    pub name: String,
    pub run_id: Option<i64>,
    pub run_year: Option<i32>,
    pub priority_protection: f64,
    pub safe_utilization: f64,
    pub strict_control: f64,
}

/// A unit whose class changed since the previous run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeRow {
    pub unit_code: String,
    pub division: String,
    pub kind: String,
    pub before: String,
    pub after: String,
}

/// A remediation project.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectRow {
    pub code: String,
    pub name: String,
    pub county: String,
    pub mode: String,
    pub technique: String,
    pub started_on: String,
    pub finished_on: String,
    pub evaluation: String,
}

/// Key enterprises of a county.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnterpriseRow {
    pub division: String,
    pub name: String,
    pub due: usize,
    pub disclosed: usize,
}

/// The annual report's content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnualReport {
    pub year: i32,
    pub division: DivisionCode,
    pub division_name: String,
    pub generated_on: NaiveDate,
    pub network: Vec<NetworkRow>,
    /// Counties of the exceedance table (code, name), and soil samples evaluated in each.
    pub counties: Vec<(String, String)>,
    pub evaluated: Vec<usize>,
    pub exceedances: Vec<ExceedanceRow>,
    pub classes: Vec<ClassRow>,
    pub changes: Vec<ChangeRow>,
    /// Plots by stage at the year's end (registered by then).
    pub plots_by_stage: Vec<(String, usize)>,
    pub projects: Vec<ProjectRow>,
    pub enterprises: Vec<EnterpriseRow>,
    pub indicators: Vec<IndicatorValue>,
    pub assessment: Assessment,
    /// The county map of the assessment (SVG; empty without boundaries).
    #[serde(skip)]
    pub map_svg: String,
}

fn class_name(c: Option<UnitClass>) -> String {
    c.map(|c| c.name_cn().to_owned())
        .unwrap_or_else(|| "—".into())
}

/// Build the report of a county or the prefecture (default) for a year.
pub async fn build(
    store: &dyn Store,
    division: Option<DivisionCode>,
    year: i32,
) -> ApiResult<AnnualReport> {
    let data = compute(store, division, year).await?;
    let scope = data.scope.clone();
    let summaries = data.county_summaries();
    let first = NaiveDate::from_ymd_opt(year, 1, 1)
        .ok_or_else(|| ApiError::BadRequest(format!("年份无效 / not a year: {year}")))?;
    let last = NaiveDate::from_ymd_opt(year, 12, 31)
        .ok_or_else(|| ApiError::BadRequest(format!("年份无效 / not a year: {year}")))?;

    let network = summaries
        .iter()
        .map(|s| NetworkRow {
            division: s.division.to_string(),
            name: s.name.clone(),
            active_points: s.active_points,
            soil_samples: s.soil_samples,
        })
        .collect();

    // Exceedances: every soil sample of the year on farmland, evaluated against GB 15618-2018
    // exactly as `GET /api/v1/samples/{id}/evaluation` does (and the dashboard counts them).
    let counties: Vec<(String, String)> = data
        .counties
        .iter()
        .map(|c| (c.code.to_string(), c.name.clone()))
        .collect();
    let index: HashMap<DivisionCode, usize> = data
        .counties
        .iter()
        .enumerate()
        .map(|(i, c)| (c.code, i))
        .collect();
    let mut q = FindQuery {
        division: Some(scope.code),
        medium: Some(Medium::Soil),
        from: Some(first),
        to: Some(last),
        limit: 10_000,
        ..FindQuery::default()
    };
    let mut samples = Vec::new();
    loop {
        let page = store.find_samples(&q).await?;
        samples.extend(page.items);
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    q.cursor = None;
    let mut results: HashMap<i64, Vec<StoredResult>> = HashMap::new();
    loop {
        let page = store.find_results(&q).await?;
        for r in page.items {
            results
                .entry(r.row.sample_id)
                .or_default()
                .push(StoredResult {
                    id: r.row.result_id,
                    version: 0,
                    result: r.row.result,
                });
        }
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    let mut evaluated = vec![0usize; counties.len()];
    let mut by_analyte: BTreeMap<String, (String, Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for s in samples {
        if s.sample.land_use.and_then(|l| l.farmland_group()).is_none() {
            continue;
        }
        let Some(&i) = index.get(&s.sample.division) else {
            continue;
        };
        let stored = StoredSample {
            id: s.id,
            version: s.version,
            batch: None,
            results: results.remove(&s.id).unwrap_or_default(),
            sample: s.sample,
        };
        let Ok((_, Evaluation::Soil(ev))) = evaluate_stored(&stored, &EvaluationQuery::default())
        else {
            continue;
        };
        if ev.class.is_none() {
            continue;
        }
        evaluated[i] += 1;
        for item in &ev.items {
            let over = ev.exceed_screening.contains(&item.analyte);
            let far = ev.exceed_intervention.contains(&item.analyte);
            if !over && !far {
                continue;
            }
            let e = by_analyte.entry(item.analyte.clone()).or_insert_with(|| {
                (
                    item.name_cn.clone(),
                    vec![0; counties.len()],
                    vec![0; counties.len()],
                )
            });
            e.1[i] += usize::from(over);
            e.2[i] += usize::from(far);
        }
    }
    let exceedances = by_analyte
        .into_iter()
        .map(|(analyte, (name_cn, s, v))| ExceedanceRow {
            screening_total: s.iter().sum(),
            intervention_total: v.iter().sum(),
            analyte,
            name_cn,
            screening: s,
            intervention: v,
        })
        .collect();

    let classes: Vec<ClassRow> = summaries
        .iter()
        .map(|s| ClassRow {
            division: s.division.to_string(),
            name: s.name.clone(),
            run_id: s.classes.map(|c| c.run_id),
            run_year: s.classes.map(|c| c.run_year),
            priority_protection: s.classes.map_or(0.0, |c| c.priority_protection),
            safe_utilization: s.classes.map_or(0.0, |c| c.safe_utilization),
            strict_control: s.classes.map_or(0.0, |c| c.strict_control),
        })
        .collect();
    let mut runs: Vec<i64> = classes.iter().filter_map(|c| c.run_id).collect();
    runs.sort_unstable();
    runs.dedup();
    let mut changes = Vec::new();
    for run in runs {
        for ch in run_changes(store, run).await?.changes {
            let in_scope = ch
                .division
                .parse::<DivisionCode>()
                .is_ok_and(|d| scope.code.contains(d));
            if in_scope {
                changes.push(ChangeRow {
                    unit_code: ch.unit_code,
                    division: ch.division,
                    kind: ch.kind,
                    before: class_name(ch.before),
                    after: class_name(ch.after),
                });
            }
        }
    }

    let plots = store
        .list_plots(&RegistryQuery {
            division: Some(scope.code),
            ..RegistryQuery::default()
        })
        .await?;
    let mut stages: BTreeMap<u8, (String, usize)> = BTreeMap::new();
    for p in &plots {
        if let Some(stage) = p
            .item
            .steps
            .iter()
            .filter(|s| s.date <= last)
            .map(|s| s.stage)
            .next_back()
        {
            let e = stages
                .entry(stage.rank() * 2 + u8::from(stage == PlotStage::Remediation))
                .or_insert_with(|| (stage.name_cn().to_owned(), 0));
            e.1 += 1;
        }
    }
    let divisions = store.list_divisions().await?;
    let names: BTreeMap<String, String> = divisions
        .iter()
        .map(|d| (d.code.to_string(), d.name.clone()))
        .collect();
    let projects = store
        .list_projects(&RegistryQuery {
            division: Some(scope.code),
            ..RegistryQuery::default()
        })
        .await?
        .into_iter()
        .map(|p| p.item)
        .filter(|p| p.started_on.is_none_or(|d| d <= last))
        .map(|p| ProjectRow {
            county: names
                .get(&p.division.to_string())
                .cloned()
                .unwrap_or_default(),
            code: p.code,
            name: p.name,
            mode: p.mode.name_cn().to_owned(),
            technique: p.technique,
            started_on: p.started_on.map(|d| d.to_string()).unwrap_or_default(),
            finished_on: p.finished_on.map(|d| d.to_string()).unwrap_or_default(),
            evaluation: p
                .effect_evaluation
                .map(|e| {
                    format!(
                        "{}（{}）",
                        e.conclusion,
                        if e.passed {
                            "达到目标"
                        } else {
                            "未达到目标"
                        }
                    )
                })
                .unwrap_or_default(),
        })
        .collect();
    let enterprises = summaries
        .iter()
        .map(|s| EnterpriseRow {
            division: s.division.to_string(),
            name: s.name.clone(),
            due: s.enterprises_due,
            disclosed: s.enterprises_disclosed,
        })
        .collect();
    let assessment = data.assessment();
    Ok(AnnualReport {
        year,
        division: scope.code,
        division_name: scope.name.clone(),
        generated_on: Utc::now().date_naive(),
        network,
        counties,
        evaluated,
        exceedances,
        classes,
        changes,
        plots_by_stage: stages.into_values().collect(),
        projects,
        enterprises,
        indicators: data.values(scope.code),
        map_svg: assessment_map(&assessment, &divisions),
        assessment,
    })
}

/// The counties coloured by their assessment (all met, some, none, nothing assessed), labelled
/// met/assessed — the map of `/assessment`.
fn assessment_map(a: &Assessment, divisions: &[soilwatch_core::Division]) -> String {
    let counties: Vec<MapCounty<'_>> = a
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
                fill: crate::pages::targets::map_fill(r.met, r.assessed),
                label: format!("{}/{}", r.met, r.assessed),
            })
        })
        .collect();
    if counties.is_empty() {
        String::new()
    } else {
        county_map(&counties, 640.0)
    }
}

/// Two decimals, or "—".
fn two(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "—".into())
}

/// A horizontal bar chart (SVG): one bar per label, value printed at its end; an optional
/// target drawn as a mark on each bar.
pub fn bar_chart(title: &str, unit: &str, bars: &[(String, f64, Option<f64>)]) -> String {
    let (w, label_w, row_h) = (640.0_f64, 170.0_f64, 22.0_f64);
    let max = bars
        .iter()
        .flat_map(|(_, v, t)| [Some(*v), *t])
        .flatten()
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let plot_w = w - label_w - 70.0;
    let h = 28.0 + row_h * bars.len() as f64 + 8.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0} {h:.0}" width="{w:.0}" height="{h:.0}" role="img" aria-label="{t}" font-family="sans-serif" font-size="12"><text x="0" y="16" font-weight="bold">{t}（{u}）</text>"#,
        t = esc(title),
        u = esc(unit)
    );
    for (i, (label, v, target)) in bars.iter().enumerate() {
        let y = 28.0 + row_h * i as f64;
        let bw = (v / max * plot_w).max(0.0);
        let _ = write!(
            s,
            r##"<text x="{lx:.1}" y="{ty:.1}" text-anchor="end">{l}</text><rect x="{label_w:.1}" y="{y:.1}" width="{bw:.1}" height="{bh:.1}" fill="#4f81bd"><title>{l} {v:.2}</title></rect><text x="{vx:.1}" y="{ty:.1}">{v:.2}</text>"##,
            lx = label_w - 6.0,
            ty = y + 13.0,
            l = esc(label),
            bh = row_h - 6.0,
            vx = label_w + bw + 4.0,
        );
        if let Some(t) = target {
            let tx = label_w + t / max * plot_w;
            let _ = write!(
                s,
                r##"<line x1="{tx:.1}" x2="{tx:.1}" y1="{y0:.1}" y2="{y1:.1}" stroke="#c62828" stroke-width="2"><title>目标 {t}</title></line>"##,
                y0 = y - 2.0,
                y1 = y + row_h - 4.0
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[derive(Template)]
#[template(path = "report_annual.html")]
struct ReportHtml<'a> {
    r: &'a AnnualReport,
    indicator_chart: String,
    class_chart: String,
    exceed_chart: String,
    map_svg: String,
    rows: Vec<IndicatorLine>,
    class_rows: Vec<(String, String, String, String, String)>,
}

struct IndicatorLine {
    name: String,
    formula: String,
    value: String,
    target: String,
    verdict: String,
}

/// A chart of the report: where it goes (the section of [`tables`]), its title, its SVG.
pub struct Chart {
    pub section: &'static str,
    pub title: String,
    pub svg: String,
}

/// The report's charts and map, the same in HTML (SVG) and DOCX (PNG).
pub fn charts(r: &AnnualReport) -> Vec<Chart> {
    let rates: Vec<(String, f64, Option<f64>)> = r
        .indicators
        .iter()
        .filter(|v| v.unit == "%")
        .map(|v| {
            (
                v.name_cn.clone(),
                v.value.unwrap_or(0.0),
                v.target.as_ref().map(|t| t.value),
            )
        })
        .collect();
    let classes: Vec<(String, f64, Option<f64>)> = r
        .classes
        .iter()
        .map(|c| (c.name.clone(), c.safe_utilization + c.strict_control, None))
        .collect();
    let exceed: Vec<(String, f64, Option<f64>)> = r
        .exceedances
        .iter()
        .map(|e| (e.name_cn.clone(), e.screening_total as f64, None))
        .collect();
    let mut out = vec![
        Chart {
            section: "超标情况",
            title: "超过风险筛选值的土壤样品数（按项目）".into(),
            svg: bar_chart("超过风险筛选值的土壤样品数（按项目）", "个", &exceed),
        },
        Chart {
            section: "耕地分类",
            title: "各县（市）安全利用类与严格管控类耕地面积".into(),
            svg: bar_chart("各县（市）安全利用类与严格管控类耕地面积", "亩", &classes),
        },
        Chart {
            section: "指标",
            title: "指标完成情况（红线为目标）".into(),
            svg: bar_chart("指标完成情况（红线为目标）", "%", &rates),
        },
    ];
    if !r.map_svg.is_empty() {
        out.push(Chart {
            section: "附录 年度考核",
            title: "各县（市）年度考核（达标/考核指标数；绿：全部达标，黄：部分，红：均未达标，灰：无考核）"
                .into(),
            svg: r.map_svg.clone(),
        });
    }
    out
}

/// The report as a printable HTML page with SVG charts.
pub fn html(r: &AnnualReport) -> ApiResult<String> {
    let mut charts = charts(r);
    let mut take = |section: &str| {
        charts
            .iter()
            .position(|c| c.section == section)
            .map(|i| charts.remove(i).svg)
            .unwrap_or_default()
    };
    let exceed_chart = take("超标情况");
    let class_chart = take("耕地分类");
    let indicator_chart = take("指标");
    let map_svg = take("附录 年度考核");
    ReportHtml {
        r,
        indicator_chart,
        class_chart,
        exceed_chart,
        map_svg,
        rows: r
            .indicators
            .iter()
            .map(|v| IndicatorLine {
                name: format!("{}（{}）", v.name_cn, v.unit),
                formula: v.formula_cn.clone(),
                value: two(v.value),
                target: v
                    .target
                    .as_ref()
                    .map(|t| format!("{}（{}年）", t.value, t.target_year))
                    .unwrap_or_else(|| "—".into()),
                verdict: v.verdict.name_cn().to_owned(),
            })
            .collect(),
        class_rows: r
            .classes
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.run_year
                        .map(|y| y.to_string())
                        .unwrap_or_else(|| "—".into()),
                    format!("{:.2}", c.priority_protection),
                    format!("{:.2}", c.safe_utilization),
                    format!("{:.2}", c.strict_control),
                )
            })
            .collect(),
    }
    .render()
    .map_err(|e| ApiError::Internal(format!("report template: {e}")))
}

/// The report's tables as rows of text (shared by XLSX and DOCX): (sheet/section title, rows).
/// Numbers are written as numbers in XLSX.
fn tables(r: &AnnualReport) -> Vec<(String, Vec<Vec<Cell>>)> {
    let mut out = Vec::new();
    let mut ind = vec![vec![
        t("指标"),
        t("单位"),
        t("分子"),
        t("分母"),
        t("实际值"),
        t("目标值"),
        t("目标年份"),
        t("结论"),
    ]];
    for v in &r.indicators {
        ind.push(vec![
            t(&v.name_cn),
            t(&v.unit),
            Cell::N(v.numerator),
            v.denominator.map_or(Cell::T(String::new()), Cell::N),
            v.value.map_or(Cell::T("—".into()), Cell::N),
            v.target
                .as_ref()
                .map_or(Cell::T("—".into()), |x| Cell::N(x.value)),
            v.target
                .as_ref()
                .map_or(Cell::T("—".into()), |x| Cell::N(f64::from(x.target_year))),
            t(v.verdict.name_cn()),
        ]);
    }
    out.push(("指标".to_owned(), ind));
    let mut net = vec![vec![t("县（市）"), t("代码"), t("在用点位"), t("土壤样品")]];
    for n in &r.network {
        net.push(vec![
            t(&n.name),
            t(&n.division),
            Cell::N(n.active_points as f64),
            Cell::N(n.soil_samples as f64),
        ]);
    }
    out.push(("监测网络".to_owned(), net));
    let mut ex = vec![vec![
        t("项目"),
        t("县（市）"),
        t("评价样品"),
        t("超筛选值"),
        t("超管制值"),
    ]];
    for e in &r.exceedances {
        for (i, (_, name)) in r.counties.iter().enumerate() {
            if e.screening[i] + e.intervention[i] == 0 {
                continue;
            }
            ex.push(vec![
                t(&e.name_cn),
                t(name),
                Cell::N(r.evaluated[i] as f64),
                Cell::N(e.screening[i] as f64),
                Cell::N(e.intervention[i] as f64),
            ]);
        }
    }
    out.push(("超标情况".to_owned(), ex));
    let mut cl = vec![vec![
        t("县（市）"),
        t("分类年度"),
        t("优先保护类（亩）"),
        t("安全利用类（亩）"),
        t("严格管控类（亩）"),
    ]];
    for c in &r.classes {
        cl.push(vec![
            t(&c.name),
            c.run_year
                .map_or(Cell::T("—".into()), |y| Cell::N(f64::from(y))),
            Cell::N(c.priority_protection),
            Cell::N(c.safe_utilization),
            Cell::N(c.strict_control),
        ]);
    }
    out.push(("耕地分类".to_owned(), cl));
    let mut ch = vec![vec![
        t("单元"),
        t("县（市）代码"),
        t("变化"),
        t("原类别"),
        t("现类别"),
    ]];
    for c in &r.changes {
        ch.push(vec![
            t(&c.unit_code),
            t(&c.division),
            t(&c.kind),
            t(&c.before),
            t(&c.after),
        ]);
    }
    out.push(("类别变化".to_owned(), ch));
    let mut pl = vec![vec![t("阶段"), t("地块数")]];
    for (s, n) in &r.plots_by_stage {
        pl.push(vec![t(s), Cell::N(*n as f64)]);
    }
    out.push(("污染地块".to_owned(), pl));
    let mut pr = vec![vec![
        t("工程"),
        t("名称"),
        t("县（市）"),
        t("类型"),
        t("技术"),
        t("开工"),
        t("完工"),
        t("效果评估"),
    ]];
    for p in &r.projects {
        pr.push(vec![
            t(&p.code),
            t(&p.name),
            t(&p.county),
            t(&p.mode),
            t(&p.technique),
            t(&p.started_on),
            t(&p.finished_on),
            t(&p.evaluation),
        ]);
    }
    out.push(("修复工程".to_owned(), pr));
    let mut en = vec![vec![t("县（市）"), t("应公开企业"), t("已公开企业")]];
    for e in &r.enterprises {
        en.push(vec![
            t(&e.name),
            Cell::N(e.due as f64),
            Cell::N(e.disclosed as f64),
        ]);
    }
    out.push(("重点监管企业".to_owned(), en));
    let appendix = soilwatch_store::indicators::assessment_table(&r.assessment)
        .into_iter()
        .map(|row| row.into_iter().map(Cell::T).collect())
        .collect();
    out.push(("附录 年度考核".to_owned(), appendix));
    out
}

enum Cell {
    T(String),
    N(f64),
}

fn t(s: &str) -> Cell {
    Cell::T(s.to_owned())
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::T(s) => s.clone(),
            Cell::N(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{n:.0}"),
            Cell::N(n) => format!("{n:.2}"),
        }
    }
}

/// The report as XLSX: one sheet per section.
pub fn xlsx(r: &AnnualReport) -> ApiResult<Vec<u8>> {
    let internal = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.to_string());
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (title, rows) in tables(r) {
        let ws = book.add_worksheet();
        ws.set_name(&title).map_err(internal)?;
        for (i, row) in rows.iter().enumerate() {
            let i = u32::try_from(i).map_err(|e| ApiError::Internal(e.to_string()))?;
            for (j, c) in row.iter().enumerate() {
                let j = u16::try_from(j).map_err(|e| ApiError::Internal(e.to_string()))?;
                match (i, c) {
                    (0, c) => ws.write_string_with_format(i, j, c.text(), &bold),
                    (_, Cell::N(n)) => ws.write_number(i, j, *n),
                    (_, Cell::T(s)) => ws.write_string(i, j, s),
                }
                .map_err(internal)?;
            }
        }
        ws.autofit();
    }
    book.save_to_buffer().map_err(internal)
}

/// Width of a chart in the DOCX, in EMU (16 cm; A4 with the default margins holds 16.5 cm).
const DOCX_IMAGE_WIDTH_EMU: u32 = 16 * 360_000;

/// The report as DOCX (docx-rs): title, a paragraph per section with its chart (PNG, the same
/// SVG as the HTML rasterised at 2×) and its table.
pub fn docx(r: &AnnualReport) -> ApiResult<Vec<u8>> {
    use docx_rs::{Docx, Paragraph, Pic, Run, Table, TableCell, TableRow};
    let para = |s: &str, size: usize, bold: bool| {
        let run = Run::new().add_text(s).size(size);
        Paragraph::new().add_run(if bold { run.bold() } else { run })
    };
    let mut doc = Docx::new()
        .add_paragraph(para(
            &format!("{}{}年土壤环境状况报告", r.division_name, r.year),
            36,
            true,
        ))
        .add_paragraph(para(&format!("生成日期：{}", r.generated_on), 21, false));
    let evaluated: usize = r.evaluated.iter().sum();
    doc = doc.add_paragraph(para(
        &format!(
            "本年度共有土壤样品 {} 个，其中农用地样品 {} 个按 GB 15618-2018 评价。",
            r.network.iter().map(|n| n.soil_samples).sum::<i64>(),
            evaluated
        ),
        21,
        false,
    ));
    if let Some(w) = crate::raster::fonts().warning() {
        doc = doc.add_paragraph(para(&format!("注：{w}"), 18, false));
    }
    let mut charts = charts(r);
    for (title, rows) in tables(r) {
        doc = doc.add_paragraph(para(&title, 28, true));
        while let Some(i) = charts.iter().position(|c| c.section == title) {
            let c = charts.remove(i);
            let png = crate::raster::svg_to_png(&c.svg, 2.0)
                .map_err(|e| ApiError::Internal(format!("chart '{}': {e}", c.title)))?;
            let height = u64::from(DOCX_IMAGE_WIDTH_EMU) * u64::from(png.height)
                / u64::from(png.width.max(1));
            let pic = Pic::new_with_dimensions(png.bytes, png.width, png.height).size(
                DOCX_IMAGE_WIDTH_EMU,
                u32::try_from(height).map_err(|e| ApiError::Internal(e.to_string()))?,
            );
            doc = doc
                .add_paragraph(Paragraph::new().add_run(Run::new().add_image(pic)))
                .add_paragraph(para(&format!("图：{}", c.title), 18, false));
        }
        let table = Table::new(
            rows.iter()
                .map(|row| {
                    TableRow::new(
                        row.iter()
                            .map(|c| {
                                TableCell::new().add_paragraph(
                                    Paragraph::new().add_run(Run::new().add_text(c.text())),
                                )
                            })
                            .collect(),
                    )
                })
                .collect(),
        );
        doc = doc.add_table(table);
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut buf)
        .map_err(|e| ApiError::Internal(format!("docx: {e}")))?;
    Ok(buf.into_inner())
}

/// Formats of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Html,
    Xlsx,
    Docx,
}

impl std::str::FromStr for ReportFormat {
    type Err = ApiError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "html" => Ok(ReportFormat::Html),
            "xlsx" => Ok(ReportFormat::Xlsx),
            "docx" => Ok(ReportFormat::Docx),
            other => Err(ApiError::BadRequest(format!(
                "不支持的格式 '{other}'（应为 html、xlsx 或 docx）/ unknown format '{other}' \
                 (expected html, xlsx or docx)"
            ))),
        }
    }
}

impl ReportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Html => "html",
            ReportFormat::Xlsx => "xlsx",
            ReportFormat::Docx => "docx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Html => "text/html; charset=utf-8",
            ReportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ReportFormat::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
        }
    }
}

/// The report in a format.
pub fn render(r: &AnnualReport, format: ReportFormat) -> ApiResult<Vec<u8>> {
    match format {
        ReportFormat::Html => html(r).map(String::into_bytes),
        ReportFormat::Xlsx => xlsx(r),
        ReportFormat::Docx => docx(r),
    }
}
