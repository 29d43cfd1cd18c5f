//! 超标情况 — the exceedance-class filter of finding data (issue 5): samples and results by where
//! they stand against the screening and intervention values, judged by the standards engine
//! itself, so a filtered list always agrees with `GET /api/v1/samples/{id}/evaluation`.
//!
//! Which standard: a soil sample on farmland (a land use in a GB 15618 farmland group) is judged
//! by GB 15618-2018 with the default method (`gb15618`: its pH — the sample's `pH` result — and
//! land use pick the table column; a non-detect counts as half its detection limit; several
//! results of one item are averaged); a soil sample on other land by GB 36600-2018 for
//! first-class land (the class for land whose planned use is unknown). Samples of other media,
//! and soil samples without a land use, have no class and never match.
//!
//! The levels are the engine's: an item is at or below the screening value when C ≤ S, above
//! the screening value when S < C ≤ I (or above S with no intervention value), above the
//! intervention value when C > I, compared exactly as decimals. A sample's class (no analyte
//! named) is the engine's class of the sample (under GB 15618 decided by Cd, Hg, As, Pb, Cr).
//!
//! How it runs: the other filters narrow the candidates in SQL (keyset order, only soil
//! samples with a land use), the candidates' samples are loaded with all their results in one
//! query per batch and evaluated in Rust, and the matches fill the page. The levels are derived
//! data and are never stored, so a correction is reflected at once.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use soilwatch_core::{AnalysisResult, AnalyteCatalogue, LandUse, Medium, Unit};
use soilwatch_standards::{LandClass, Method, SoilClass, SoilEngine, SoilSampleContext};
use sqlx::Row;

use crate::{SqlStore, StoreError, StoreResult};

/// Where a soil item or sample stands against the screening and intervention values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceedanceClass {
    /// 不超过筛选值 — C ≤ screening value (GB 15618: 优先保护类 priority protection).
    BelowScreening,
    /// 超过筛选值、不超过管制值 — screening < C ≤ intervention value (安全利用类 safe utilization).
    AboveScreening,
    /// 超过管制值 — C > intervention value (严格管控类 strict control).
    AboveIntervention,
}

impl ExceedanceClass {
    pub const ALL: [ExceedanceClass; 3] = [
        ExceedanceClass::BelowScreening,
        ExceedanceClass::AboveScreening,
        ExceedanceClass::AboveIntervention,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ExceedanceClass::BelowScreening => "below_screening",
            ExceedanceClass::AboveScreening => "above_screening",
            ExceedanceClass::AboveIntervention => "above_intervention",
        }
    }

    pub fn name_cn(self) -> &'static str {
        match self {
            ExceedanceClass::BelowScreening => "不超过筛选值",
            ExceedanceClass::AboveScreening => "超过筛选值、不超过管制值",
            ExceedanceClass::AboveIntervention => "超过管制值",
        }
    }

    /// The class of a sample's soil class (GB 15618 or GB 36600).
    pub fn of_soil_class(c: SoilClass) -> ExceedanceClass {
        match c {
            SoilClass::PriorityProtection | SoilClass::BelowScreening => {
                ExceedanceClass::BelowScreening
            }
            SoilClass::SafeUtilization | SoilClass::AboveScreening => {
                ExceedanceClass::AboveScreening
            }
            SoilClass::StrictControl | SoilClass::AboveIntervention => {
                ExceedanceClass::AboveIntervention
            }
        }
    }

    /// Parse a comma-separated list (`above_screening,above_intervention`). Each part is a code,
    /// a GB 15618 class (`priority_protection`, `safe_utilization`, `strict_control`, 优先保护类 …)
    /// or a Chinese name (不超过筛选值, 超过筛选值, 超过管制值).
    pub fn parse_list(s: &str) -> StoreResult<Vec<ExceedanceClass>> {
        let mut out = Vec::new();
        for part in s
            .split([',', '，'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let c = part.parse::<ExceedanceClass>()?;
            if !out.contains(&c) {
                out.push(c);
            }
        }
        if out.is_empty() {
            return Err(part_error(s));
        }
        out.sort();
        Ok(out)
    }
}

fn part_error(s: &str) -> StoreError {
    StoreError::Invalid(format!(
        "字段 exceedance: 无法识别的超标情况 '{s}' / field exceedance: unknown exceedance class \
         '{s}' (expected below_screening, above_screening or above_intervention — or \
         priority_protection, safe_utilization, strict_control, 不超过筛选值, 超过筛选值, 超过管制值 — \
         comma-separated for several)"
    ))
}

impl fmt::Display for ExceedanceClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for ExceedanceClass {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_lowercase().replace([' ', '-'], "_");
        Ok(match t.as_str() {
            "below_screening" | "priority_protection" | "不超过筛选值" | "优先保护类" => {
                ExceedanceClass::BelowScreening
            }
            "above_screening"
            | "safe_utilization"
            | "超过筛选值"
            | "超过筛选值、不超过管制值"
            | "安全利用类" => ExceedanceClass::AboveScreening,
            "above_intervention" | "strict_control" | "超过管制值" | "严格管控类" => {
                ExceedanceClass::AboveIntervention
            }
            _ => return Err(part_error(s)),
        })
    }
}

/// The classes of one evaluated soil sample.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SampleLevels {
    /// The sample's class; `None` when no item that decides it was measured.
    pub class: Option<ExceedanceClass>,
    /// Each item with a screening value, by catalogue code.
    pub items: HashMap<String, ExceedanceClass>,
}

/// Evaluate a sample with the standards engine (see the module documentation for which
/// standard); `None` when the sample cannot be classed (not soil, no land use, or a result the
/// engine refuses, such as a unit that is not a mass fraction).
pub fn sample_levels(
    medium: Medium,
    land_use: Option<LandUse>,
    results: &[AnalysisResult],
) -> Option<SampleLevels> {
    if medium != Medium::Soil {
        return None;
    }
    let land_use = land_use?;
    let (engine, ctx) = if land_use.farmland_group().is_some() {
        (
            SoilEngine::builtin(soilwatch_standards::ruleset::GB15618).ok()?,
            SoilSampleContext {
                land_use: Some(land_use),
                ph: None,
                method: Method::Gb15618,
                land_class: LandClass::Class1,
            },
        )
    } else {
        (
            SoilEngine::builtin(soilwatch_standards::ruleset::GB36600).ok()?,
            SoilSampleContext {
                land_use: Some(land_use),
                ph: None,
                method: Method::Gb15618,
                land_class: LandClass::Class1,
            },
        )
    };
    let ev = engine.evaluate(&ctx, results).ok()?;
    let items = ev
        .items
        .iter()
        .filter(|i| i.screening.is_some())
        .map(|i| {
            let c = if i.exceeds_intervention {
                ExceedanceClass::AboveIntervention
            } else if i.exceeds_screening {
                ExceedanceClass::AboveScreening
            } else {
                ExceedanceClass::BelowScreening
            };
            (i.analyte.clone(), c)
        })
        .collect();
    Some(SampleLevels {
        class: ev.class.map(ExceedanceClass::of_soil_class),
        items,
    })
}

/// The catalogue code of a stored analyte name (stored names are codes already; aliases resolve).
pub(crate) fn analyte_code(name: &str) -> String {
    AnalyteCatalogue::builtin()
        .require(name)
        .map(|a| a.code.clone())
        .unwrap_or_else(|_| name.to_owned())
}

/// Largest number of candidate rows one find call examines when filtering by class; a page
/// that is not full by then ends early with a `next_cursor` to continue from.
pub const SCAN_LIMIT: usize = 50_000;

/// Size of a batch of candidates for a page of `limit` matches.
pub(crate) fn batch_size(limit: i64) -> u32 {
    u32::try_from((limit * 4).clamp(500, 5_000)).unwrap_or(5_000)
}

impl SqlStore {
    /// Load and evaluate the samples `ids` not yet in `cache` (one query per 500 samples).
    pub(crate) async fn evaluate_samples(
        &self,
        ids: impl IntoIterator<Item = i64>,
        cache: &mut HashMap<i64, Option<SampleLevels>>,
    ) -> StoreResult<()> {
        let todo: Vec<i64> = ids
            .into_iter()
            .collect::<HashSet<_>>()
            .into_iter()
            .filter(|id| !cache.contains_key(id))
            .collect();
        for chunk in todo.chunks(500) {
            // The ids are integers read from the database: listed inline, no placeholders.
            let list = chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let rows = sqlx::query(&format!(
                "SELECT s.id AS sample_id, s.code AS code, s.medium AS medium, \
                 s.land_use AS land_use, r.analyte AS analyte, r.value_text AS value_text, \
                 r.unit AS unit, r.detection_limit AS detection_limit, r.qualifier AS qualifier \
                 FROM samples s JOIN results r ON r.sample_id = s.id \
                 WHERE s.id IN ({list}) ORDER BY s.id, r.id"
            ))
            .fetch_all(self.pool())
            .await?;
            let mut by_sample: HashMap<i64, (Medium, Option<LandUse>, Vec<AnalysisResult>)> =
                HashMap::new();
            for r in &rows {
                let id: i64 = r.try_get("sample_id")?;
                let entry = match by_sample.entry(id) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(v) => {
                        let medium = parse::<Medium>("medium", &r.try_get::<String, _>("medium")?)?;
                        let land_use = r
                            .try_get::<Option<String>, _>("land_use")?
                            .map(|l| parse::<LandUse>("land use", &l))
                            .transpose()?;
                        v.insert((medium, land_use, Vec::new()))
                    }
                };
                entry.2.push(AnalysisResult {
                    sample_code: r.try_get("code")?,
                    analyte: r.try_get("analyte")?,
                    value: r
                        .try_get::<Option<String>, _>("value_text")?
                        .map(|v| parse("value", &v))
                        .transpose()?,
                    unit: parse::<Unit>("unit", &r.try_get::<String, _>("unit")?)?,
                    detection_limit: r
                        .try_get::<Option<String>, _>("detection_limit")?
                        .map(|v| parse("detection limit", &v))
                        .transpose()?,
                    qualifier: parse("qualifier", &r.try_get::<String, _>("qualifier")?)?,
                    method: None,
                });
            }
            for id in chunk {
                let levels = by_sample
                    .get(id)
                    .and_then(|(m, l, results)| sample_levels(*m, *l, results));
                cache.insert(*id, levels);
            }
        }
        Ok(())
    }
}

fn parse<T: FromStr>(what: &str, s: &str) -> StoreResult<T>
where
    T::Err: fmt::Display,
{
    s.parse::<T>()
        .map_err(|e| StoreError::Backend(format!("stored {what} cannot be read: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use soilwatch_core::Qualifier;

    fn r(analyte: &str, v: &str, unit: Unit) -> AnalysisResult {
        AnalysisResult {
            sample_code: "S".into(),
            analyte: analyte.into(),
            value: Some(v.parse().unwrap()),
            unit,
            detection_limit: None,
            qualifier: Qualifier::Detected,
            method: None,
        }
    }

    fn nd(analyte: &str, dl: &str) -> AnalysisResult {
        AnalysisResult {
            value: None,
            detection_limit: Some(dl.parse().unwrap()),
            qualifier: Qualifier::NotDetected,
            ..r(analyte, "0", Unit::MgPerKg)
        }
    }

    fn paddy() -> Option<LandUse> {
        Some("水田".parse().unwrap())
    }

    fn cd_class(results: &[AnalysisResult]) -> Option<ExceedanceClass> {
        sample_levels(Medium::Soil, paddy(), results)
            .unwrap()
            .items
            .get("Cd")
            .copied()
    }

    // GB 15618-2018, paddy, 5.5 < pH ≤ 6.5: Cd screening 0.4 (表1), intervention 2.0 (表3).
    #[test]
    fn value_equal_to_screening_is_below() {
        let ph = r("pH", "6.0", Unit::Dimensionless);
        use ExceedanceClass::*;
        assert_eq!(
            cd_class(&[ph.clone(), r("Cd", "0.4", Unit::MgPerKg)]),
            Some(BelowScreening)
        );
        assert_eq!(
            cd_class(&[ph.clone(), r("Cd", "400", Unit::UgPerKg)]),
            Some(BelowScreening)
        );
        assert_eq!(
            cd_class(&[ph.clone(), r("Cd", "0.41", Unit::MgPerKg)]),
            Some(AboveScreening)
        );
        assert_eq!(
            cd_class(&[ph.clone(), r("Cd", "2.0", Unit::MgPerKg)]),
            Some(AboveScreening)
        );
        assert_eq!(
            cd_class(&[ph, r("Cd", "2.01", Unit::MgPerKg)]),
            Some(AboveIntervention)
        );
    }

    #[test]
    fn non_detect_counts_as_half_its_limit() {
        let ph = r("pH", "6.0", Unit::Dimensionless);
        // DL 0.8 → 0.4 = screening; DL 0.9 → 0.45 > 0.4.
        assert_eq!(
            cd_class(&[ph.clone(), nd("Cd", "0.8")]),
            Some(ExceedanceClass::BelowScreening)
        );
        assert_eq!(
            cd_class(&[ph, nd("Cd", "0.9")]),
            Some(ExceedanceClass::AboveScreening)
        );
    }

    #[test]
    fn sample_class_follows_the_decisive_items() {
        let ph = r("pH", "6.0", Unit::Dimensionless);
        // Cu above its screening value (paddy 5.5–6.5: 50) does not decide the GB 15618 class.
        let l = sample_levels(
            Medium::Soil,
            paddy(),
            &[
                ph,
                r("Cd", "0.2", Unit::MgPerKg),
                r("Cu", "60", Unit::MgPerKg),
            ],
        )
        .unwrap();
        assert_eq!(l.class, Some(ExceedanceClass::BelowScreening));
        assert_eq!(l.items["Cu"], ExceedanceClass::AboveScreening);
        assert!(!l.items.contains_key("pH"));
    }

    #[test]
    fn construction_land_uses_gb36600_first_class() {
        // GB 36600-2018 表1: Cd screening 20, intervention 47 (first-class land).
        let industrial = LandUse::from_code("0601");
        assert!(industrial.is_some_and(|l| l.farmland_group().is_none()));
        let at = |v: &str| {
            sample_levels(Medium::Soil, industrial, &[r("Cd", v, Unit::MgPerKg)])
                .unwrap()
                .class
        };
        assert_eq!(at("20"), Some(ExceedanceClass::BelowScreening));
        assert_eq!(at("47"), Some(ExceedanceClass::AboveScreening));
        assert_eq!(at("47.1"), Some(ExceedanceClass::AboveIntervention));
    }

    #[test]
    fn other_media_and_unknown_land_use_have_no_class() {
        let cd = [r("Cd", "5", Unit::MgPerKg)];
        assert!(sample_levels(Medium::AgriculturalProduct, paddy(), &cd).is_none());
        assert!(sample_levels(Medium::Soil, None, &cd).is_none());
    }

    #[test]
    fn parse_lists() {
        use ExceedanceClass::*;
        assert_eq!(
            ExceedanceClass::parse_list("strict_control, above_screening").unwrap(),
            vec![AboveScreening, AboveIntervention]
        );
        assert_eq!(
            ExceedanceClass::parse_list("优先保护类").unwrap(),
            vec![BelowScreening]
        );
        let e = ExceedanceClass::parse_list("high").unwrap_err().to_string();
        assert!(
            e.contains("exceedance") && e.contains("above_intervention"),
            "{e}"
        );
        assert!(ExceedanceClass::parse_list(" , ").is_err());
    }
}
