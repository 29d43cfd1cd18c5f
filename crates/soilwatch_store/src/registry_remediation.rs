//! 修复工程 — remediation projects and 转运联单 — contaminated-soil transfer manifests (work-plan
//! item 33): each load reported before it leaves, seen by the origin and destination county
//! bureaus, received quantities reconciled with those sent, a project's totals per destination.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use soilwatch_core::{Amount, DivisionCode};

use crate::registry::{check_code, clean, code_enum, invalid, required, Filing};
use crate::StoreResult;

code_enum! {
    /// 工程类型 — what a project does.
    ProjectMode, field = "mode", what = "工程类型" / "project mode";
    /// 治理修复
    Remediation = "remediation" / "治理修复" / "remediation" ["修复"],
    /// 风险管控
    RiskControl = "risk_control" / "风险管控" / "risk control",
}

/// 第三方效果评估 — the third-party effect evaluation of a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectEvaluation {
    /// The third party.
    pub evaluator: String,
    pub concluded_on: NaiveDate,
    pub conclusion: String,
    /// Whether the targets were reached.
    pub passed: bool,
}

/// 修复工程 — a remediation or risk-control project on a registered plot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemediationProject {
    pub code: String,
    pub name: String,
    pub plot_code: String,
    /// The plot's county (set by the store).
    pub division: DivisionCode,
    pub mode: ProjectMode,
    /// 责任单位
    pub responsible_unit: String,
    /// Technique (e.g. 固化/稳定化, 异位热脱附).
    pub technique: String,
    /// Filing of the plan (方案备案).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_filing: Option<Filing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_on: Option<NaiveDate>,
    /// Supervisors (环境监理; two for important plots).
    #[serde(default)]
    pub supervisors: Vec<String>,
    /// Text of the public notice board (信息公示牌).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_board: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect_evaluation: Option<ProjectEvaluation>,
}

impl RemediationProject {
    pub(crate) fn checked(&self) -> StoreResult<RemediationProject> {
        let mut p = self.clone();
        check_code("code", &mut p.code)?;
        check_code("plot_code", &mut p.plot_code)?;
        required("name", &mut p.name, 200)?;
        required("responsible_unit", &mut p.responsible_unit, 200)?;
        required("technique", &mut p.technique, 200)?;
        if let Some(f) = &mut p.plan_filing {
            f.check("plan_filing")?;
        }
        if let (Some(a), Some(b)) = (p.started_on, p.finished_on) {
            if b < a {
                return Err(invalid(
                    "finished_on",
                    format!("完工日期 {b} 早于开工日期 {a}"),
                    format!("finished on {b} is before started on {a}"),
                ));
            }
        }
        for (i, s) in p.supervisors.iter_mut().enumerate() {
            required(&format!("supervisors[{i}]"), s, 200)?;
        }
        clean(&mut p.notice_board);
        if let Some(e) = &mut p.effect_evaluation {
            required("effect_evaluation.evaluator", &mut e.evaluator, 200)?;
            required("effect_evaluation.conclusion", &mut e.conclusion, 2000)?;
        }
        Ok(p)
    }

    /// 双监理 (work-plan item 33: double supervision for important plots). A plot is important
    /// when its planned use is GB 36600-2018 class 1 land (residential, schools, hospitals,
    /// children's and elderly facilities … — a plot whose use is not yet decided is taken as class
    /// 1, as for its evaluation). Once the works on such a plot have started (`started_on`), the
    /// project must name at least two different supervisors: the construction supervisor (工程监理)
    /// and the environmental supervisor (环境监理). Before the start, and on class 2 land, any
    /// number is accepted.
    pub fn check_supervision(&self, plot_land_class: u8) -> StoreResult<()> {
        if plot_land_class != 1 {
            return Ok(());
        }
        let Some(started) = self.started_on else {
            return Ok(());
        };
        let distinct: std::collections::BTreeSet<&str> =
            self.supervisors.iter().map(|s| s.trim()).collect();
        if distinct.len() >= 2 {
            return Ok(());
        }
        let n = distinct.len();
        Err(invalid(
            "supervisors",
            format!(
                "地块规划为第一类用地（重点地块），工程已于 {started} 开工，须有工程监理和环境监理两家不同的监理单位（双监理），现有 {n} 家"
            ),
            format!(
                "the plot is planned as class 1 land (an important plot) and the works started on {started}: the project needs two different supervisors, construction and environmental (double supervision); it names {n}"
            ),
        ))
    }
}

code_enum! {
    /// Unit of a transferred quantity.
    QuantityUnit, field = "unit", what = "数量单位" / "quantity unit";
    /// 吨
    Tonne = "t" / "吨" / "tonnes" ["tonne", "tonnes"],
    /// 立方米
    CubicMetre = "m3" / "立方米" / "cubic metres" ["m³", "方"],
}

code_enum! {
    /// 运输方式 — transport mode.
    TransportMode, field = "transport_mode", what = "运输方式" / "transport mode";
    /// 公路
    Road = "road" / "公路" / "road",
    /// 铁路
    Rail = "rail" / "铁路" / "rail",
    /// 水路
    Water = "water" / "水路" / "water",
    /// 管道或其他
    Other = "other" / "其他" / "other",
}

/// What the destination received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    /// In the manifest's unit.
    pub quantity: Amount,
    pub arrived_at: DateTime<FixedOffset>,
    /// Who received it (set by the store from the change's actor).
    #[serde(default)]
    pub received_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// 转运联单 — a contaminated-soil transfer manifest: one load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferManifest {
    /// Manifest number.
    pub code: String,
    pub project_code: String,
    /// The project's county (set by the store).
    pub origin_division: DivisionCode,
    pub quantity: Amount,
    pub unit: QuantityUnit,
    pub transport_mode: TransportMode,
    pub route: String,
    pub carrier: String,
    /// Vehicle (plate number, vessel).
    pub vehicle: String,
    pub departure_at: DateTime<FixedOffset>,
    /// Planned arrival.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival_at: Option<DateTime<FixedOffset>>,
    pub destination_facility: String,
    /// County of the destination (GB/T 2260).
    pub destination_division: DivisionCode,
    /// Final disposal (最终处置方式).
    pub disposal: String,
    /// When it was filed (set by the store).
    #[serde(default = "epoch")]
    pub filed_at: DateTime<Utc>,
    /// Set when the destination records the load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<Receipt>,
}

fn epoch() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

impl TransferManifest {
    pub(crate) fn checked(&self) -> StoreResult<TransferManifest> {
        let mut m = self.clone();
        check_code("code", &mut m.code)?;
        check_code("project_code", &mut m.project_code)?;
        if m.quantity.get().is_zero() {
            return Err(invalid(
                "quantity",
                "数量须大于零",
                "the quantity must be above zero",
            ));
        }
        required("route", &mut m.route, 500)?;
        required("carrier", &mut m.carrier, 200)?;
        required("vehicle", &mut m.vehicle, 100)?;
        required("destination_facility", &mut m.destination_facility, 200)?;
        required("disposal", &mut m.disposal, 200)?;
        if let Some(a) = m.arrival_at {
            if a < m.departure_at {
                return Err(invalid(
                    "arrival_at",
                    format!("到达时间 {a} 早于出发时间 {}", m.departure_at),
                    format!("arrival {a} is before departure {}", m.departure_at),
                ));
            }
        }
        Ok(m)
    }

    /// Received minus sent, when received.
    pub fn difference(&self) -> Option<Decimal> {
        self.received
            .as_ref()
            .map(|r| r.quantity.get() - self.quantity.get())
    }

    /// Whether what was received differs from what was sent.
    pub fn flagged(&self) -> bool {
        self.difference().is_some_and(|d| !d.is_zero())
    }
}

/// Which manifests to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestQuery {
    pub project: Option<String>,
    /// Manifests whose origin or destination lies in this division.
    pub division: Option<DivisionCode>,
    /// Keyset paging (issue 12), by departure then code.
    #[serde(default)]
    pub page: crate::registry::KeysetPage,
}

/// A project's loads to one destination facility in one unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DestinationTotal {
    pub destination_facility: String,
    pub destination_division: DivisionCode,
    pub unit: QuantityUnit,
    pub manifests: usize,
    pub sent: Decimal,
    /// Sum received over the received loads.
    pub received: Decimal,
    /// Sent by the received loads (what `received` is compared with).
    pub sent_of_received: Decimal,
    /// `received − sent_of_received`.
    pub difference: Decimal,
    /// Loads not received yet.
    pub in_transit: usize,
    /// Manifests whose received quantity differs from the sent one.
    pub flagged: Vec<String>,
}

/// A project's totals per destination.
pub fn totals_per_destination(manifests: &[TransferManifest]) -> Vec<DestinationTotal> {
    let mut map: BTreeMap<(String, DivisionCode, QuantityUnit), DestinationTotal> = BTreeMap::new();
    for m in manifests {
        let t = map
            .entry((
                m.destination_facility.clone(),
                m.destination_division,
                m.unit,
            ))
            .or_insert_with(|| DestinationTotal {
                destination_facility: m.destination_facility.clone(),
                destination_division: m.destination_division,
                unit: m.unit,
                manifests: 0,
                sent: Decimal::ZERO,
                received: Decimal::ZERO,
                sent_of_received: Decimal::ZERO,
                difference: Decimal::ZERO,
                in_transit: 0,
                flagged: Vec::new(),
            });
        t.manifests += 1;
        t.sent += m.quantity.get();
        match &m.received {
            Some(r) => {
                t.received += r.quantity.get();
                t.sent_of_received += m.quantity.get();
            }
            None => t.in_transit += 1,
        }
        if m.flagged() {
            t.flagged.push(m.code.clone());
        }
    }
    map.into_values()
        .map(|mut t| {
            t.difference = t.received - t.sent_of_received;
            t
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(
        code: &str,
        dest: &str,
        unit: QuantityUnit,
        q: &str,
        got: Option<&str>,
    ) -> TransferManifest {
        let at: DateTime<FixedOffset> = "2030-01-01T08:00:00+08:00".parse().unwrap();
        TransferManifest {
            code: code.into(),
            project_code: "PRJ".into(),
            origin_division: "513402".parse().unwrap(),
            quantity: q.parse().unwrap(),
            unit,
            transport_mode: TransportMode::Road,
            route: "G5".into(),
            carrier: "某运输公司".into(),
            vehicle: "川W12345".into(),
            departure_at: at,
            arrival_at: None,
            destination_facility: dest.into(),
            destination_division: "513401".parse().unwrap(),
            disposal: "水泥窑协同处置".into(),
            filed_at: epoch(),
            received: got.map(|g| Receipt {
                quantity: g.parse().unwrap(),
                arrived_at: at,
                received_by: "x".into(),
                note: None,
            }),
        }
    }

    #[test]
    fn totals_reconcile_per_destination_and_unit() {
        let t = totals_per_destination(&[
            m("M1", "水泥厂", QuantityUnit::Tonne, "30.5", Some("30.5")),
            m("M2", "水泥厂", QuantityUnit::Tonne, "29", Some("27.5")),
            m("M3", "水泥厂", QuantityUnit::Tonne, "31", None),
            m("M4", "填埋场", QuantityUnit::CubicMetre, "12", Some("12")),
        ]);
        assert_eq!(t.len(), 2);
        let cement = t
            .iter()
            .find(|t| t.destination_facility == "水泥厂")
            .unwrap();
        assert_eq!(cement.manifests, 3);
        assert_eq!(cement.sent, "90.5".parse::<Decimal>().unwrap());
        assert_eq!(cement.received, "58.0".parse::<Decimal>().unwrap());
        assert_eq!(cement.difference, "-1.5".parse::<Decimal>().unwrap());
        assert_eq!(cement.in_transit, 1);
        assert_eq!(cement.flagged, vec!["M2".to_owned()]);
        let landfill = t
            .iter()
            .find(|t| t.destination_facility == "填埋场")
            .unwrap();
        assert!(landfill.flagged.is_empty() && landfill.difference.is_zero());
    }
}
