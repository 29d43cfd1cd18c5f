//! 分类清单 — the classification list: per county and class, units and area (mu); the changes
//! since the previous run; exports as CSV (UTF-8 with BOM) and GeoJSON.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::rules::{Basis, UnitClass};

/// One unit of a run as listed: computed class, review, final class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListUnit {
    pub unit_code: String,
    /// County code.
    pub division: String,
    pub county: String,
    /// `parcel` or `grid`.
    pub source: String,
    /// GB/T 21010 code.
    pub land_use: Option<String>,
    pub area_mu: f64,
    pub area_ha: f64,
    /// The computed class.
    pub class: Option<UnitClass>,
    pub basis: Basis,
    /// A class proposed for review.
    pub proposal: Option<UnitClass>,
    /// The deciding rule.
    pub rule: String,
    /// The reviewer's class (confirmed or overridden), kept apart from the computed one.
    pub reviewed_class: Option<UnitClass>,
    /// `confirm` or `override`.
    pub review_action: Option<String>,
    pub review_reason: Option<String>,
    pub reviewed_by: Option<String>,
}

impl ListUnit {
    /// The class that counts: the reviewer's when reviewed, else the computed one.
    pub fn final_class(&self) -> Option<UnitClass> {
        self.reviewed_class.or(self.class)
    }
}

/// Units and area of one class.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ClassArea {
    pub units: usize,
    pub area_mu: f64,
    pub area_ha: f64,
}

impl ClassArea {
    fn add(&mut self, u: &ListUnit) {
        self.units += 1;
        self.area_mu += u.area_mu;
        self.area_ha += u.area_ha;
    }
}

/// One county's line of the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountyList {
    pub division: String,
    pub county: String,
    pub priority_protection: ClassArea,
    pub safe_utilization: ClassArea,
    pub strict_control: ClassArea,
    /// No data, or not farmland.
    pub unclassified: ClassArea,
    pub total: ClassArea,
}

impl CountyList {
    fn new(division: &str, county: &str) -> Self {
        Self {
            division: division.to_owned(),
            county: county.to_owned(),
            priority_protection: ClassArea::default(),
            safe_utilization: ClassArea::default(),
            strict_control: ClassArea::default(),
            unclassified: ClassArea::default(),
            total: ClassArea::default(),
        }
    }

    fn add(&mut self, u: &ListUnit) {
        match u.final_class() {
            Some(UnitClass::PriorityProtection) => self.priority_protection.add(u),
            Some(UnitClass::SafeUtilization) => self.safe_utilization.add(u),
            Some(UnitClass::StrictControl) => self.strict_control.add(u),
            None => self.unclassified.add(u),
        }
        self.total.add(u);
    }

    /// The area of a class.
    pub fn of(&self, c: UnitClass) -> &ClassArea {
        match c {
            UnitClass::PriorityProtection => &self.priority_protection,
            UnitClass::SafeUtilization => &self.safe_utilization,
            UnitClass::StrictControl => &self.strict_control,
        }
    }
}

/// The classification list: one line per county and the total, by final class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationList {
    pub counties: Vec<CountyList>,
    pub total: CountyList,
}

/// Sum units by county and final class.
///
/// # Examples
/// ```
/// use soilwatch_classify::list::{summarise, ListUnit};
/// use soilwatch_classify::rules::{Basis, UnitClass};
/// let u = |code: &str, class| ListUnit { unit_code: code.into(), division: "513401".into(),
///     county: "西昌市".into(), source: "parcel".into(), land_use: Some("0101".into()),
///     area_mu: 15.0, area_ha: 1.0, class, basis: Basis::Samples, proposal: None, rule: String::new(),
///     reviewed_class: None, review_action: None, review_reason: None, reviewed_by: None };
/// let list = summarise(&[u("A", Some(UnitClass::StrictControl)), u("B", Some(UnitClass::StrictControl))]);
/// assert_eq!(list.counties[0].strict_control.units, 2);
/// assert_eq!(list.total.strict_control.area_mu, 30.0);
/// ```
pub fn summarise(units: &[ListUnit]) -> ClassificationList {
    let mut by: BTreeMap<String, CountyList> = BTreeMap::new();
    let mut total = CountyList::new("total", "合计");
    for u in units {
        by.entry(u.division.clone())
            .or_insert_with(|| CountyList::new(&u.division, &u.county))
            .add(u);
        total.add(u);
    }
    ClassificationList {
        counties: by.into_values().collect(),
        total,
    }
}

/// How a unit changed between two runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitChange {
    pub unit_code: String,
    pub division: String,
    /// `changed`, `added` or `removed`.
    pub kind: String,
    pub before: Option<UnitClass>,
    pub after: Option<UnitClass>,
    /// Why: the deciding rule now (and the review reason when reviewed).
    pub reason: String,
    /// The deciding rule in the previous run.
    pub before_rule: Option<String>,
}

/// Units whose final class differs between the previous and the current run, and units only
/// in one of them.
pub fn changes(previous: &[ListUnit], current: &[ListUnit]) -> Vec<UnitChange> {
    let prev: HashMap<&str, &ListUnit> =
        previous.iter().map(|u| (u.unit_code.as_str(), u)).collect();
    let mut out = Vec::new();
    let why = |u: &ListUnit| match (&u.review_action, &u.review_reason) {
        (Some(a), Some(r)) => format!("{} [审核/review {a}: {r}]", u.rule),
        _ => u.rule.clone(),
    };
    for u in current {
        match prev.get(u.unit_code.as_str()) {
            Some(p) if p.final_class() == u.final_class() => {}
            Some(p) => out.push(UnitChange {
                unit_code: u.unit_code.clone(),
                division: u.division.clone(),
                kind: "changed".into(),
                before: p.final_class(),
                after: u.final_class(),
                reason: why(u),
                before_rule: Some(why(p)),
            }),
            None => out.push(UnitChange {
                unit_code: u.unit_code.clone(),
                division: u.division.clone(),
                kind: "added".into(),
                before: None,
                after: u.final_class(),
                reason: why(u),
                before_rule: None,
            }),
        }
    }
    let cur: std::collections::HashSet<&str> =
        current.iter().map(|u| u.unit_code.as_str()).collect();
    for p in previous {
        if !cur.contains(p.unit_code.as_str()) {
            out.push(UnitChange {
                unit_code: p.unit_code.clone(),
                division: p.division.clone(),
                kind: "removed".into(),
                before: p.final_class(),
                after: None,
                reason: "本次未包含该单元 / the unit is not in this run".into(),
                before_rule: Some(why(p)),
            });
        }
    }
    out
}

fn class_cn(c: Option<UnitClass>) -> &'static str {
    c.map(|c| c.name_cn()).unwrap_or("")
}

fn class_code(c: Option<UnitClass>) -> &'static str {
    c.map(|c| c.code()).unwrap_or("")
}

/// The units as CSV, UTF-8 with a BOM (Excel opens Chinese correctly), bilingual header.
pub fn units_csv(units: &[ListUnit]) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let header = [
            "县（市）代码 division",
            "县（市） county",
            "单元编码 unit",
            "来源 source",
            "地类 land_use",
            "面积（亩） area_mu",
            "面积（公顷） area_ha",
            "计算类别 computed_class",
            "计算类别代码 computed_class_code",
            "依据 basis",
            "建议 proposal",
            "审核类别 reviewed_class",
            "审核原因 review_reason",
            "最终类别 final_class",
            "最终类别代码 final_class_code",
            "判定规则 rule",
        ];
        // Writing to a Vec cannot fail.
        let _ = w.write_record(header);
        for u in units {
            let _ = w.write_record([
                u.division.as_str(),
                u.county.as_str(),
                u.unit_code.as_str(),
                u.source.as_str(),
                u.land_use.as_deref().unwrap_or(""),
                &format!("{:.2}", u.area_mu),
                &format!("{:.4}", u.area_ha),
                class_cn(u.class),
                class_code(u.class),
                u.basis.code(),
                class_code(u.proposal),
                class_cn(u.reviewed_class),
                u.review_reason.as_deref().unwrap_or(""),
                class_cn(u.final_class()),
                class_code(u.final_class()),
                u.rule.as_str(),
            ]);
        }
        let _ = w.flush();
    }
    out
}

/// The list (county × class) as CSV, UTF-8 with a BOM.
pub fn list_csv(list: &ClassificationList) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let _ = w.write_record([
            "县（市）代码 division",
            "县（市） county",
            "类别 class",
            "类别代码 class_code",
            "单元数 units",
            "面积（亩） area_mu",
            "面积（公顷） area_ha",
        ]);
        for c in list.counties.iter().chain(std::iter::once(&list.total)) {
            let rows = UnitClass::ALL
                .iter()
                .map(|k| (k.name_cn(), k.code(), c.of(*k)))
                .chain([
                    ("未分类", "unclassified", &c.unclassified),
                    ("合计", "total", &c.total),
                ]);
            for (cn, code, a) in rows {
                let _ = w.write_record([
                    c.division.as_str(),
                    c.county.as_str(),
                    cn,
                    code,
                    &a.units.to_string(),
                    &format!("{:.2}", a.area_mu),
                    &format!("{:.4}", a.area_ha),
                ]);
            }
        }
        let _ = w.flush();
    }
    out
}

/// The units as a GeoJSON FeatureCollection (CGCS2000 longitude/latitude), with the class, its
/// colour and the rule as properties.
pub fn units_geojson(
    units: &[ListUnit],
    geometry: &HashMap<String, geo::MultiPolygon<f64>>,
) -> serde_json::Value {
    let features: Vec<serde_json::Value> = units
        .iter()
        .map(|u| {
            let geom = geometry
                .get(&u.unit_code)
                .map(|g| serde_json::to_value(geojson::Geometry::from(g)).unwrap_or_default())
                .unwrap_or(serde_json::Value::Null);
            serde_json::json!({
                "type": "Feature",
                "id": u.unit_code,
                "geometry": geom,
                "properties": {
                    "unit": u.unit_code,
                    "division": u.division,
                    "county": u.county,
                    "source": u.source,
                    "land_use": u.land_use,
                    "area_mu": (u.area_mu * 100.0).round() / 100.0,
                    "area_ha": (u.area_ha * 10_000.0).round() / 10_000.0,
                    "class": class_code(u.class),
                    "basis": u.basis.code(),
                    "reviewed_class": class_code(u.reviewed_class),
                    "final_class": class_code(u.final_class()),
                    "final_class_cn": class_cn(u.final_class()),
                    "fill": u.final_class().map(|c| c.colour()).unwrap_or("#bdbdbd"),
                    "rule": u.rule,
                }
            })
        })
        .collect();
    serde_json::json!({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
        "features": features,
    })
}
