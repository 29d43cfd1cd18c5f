//! Classify a set of units: place samples in units, interpolate for units without samples,
//! apply the unit rules ([`crate::rules`]).

use std::collections::HashMap;

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use soilwatch_core::Unit;
use soilwatch_geostat::{
    Crs, IdwParams, Interpolator, InterpolatorOptions, KrigingParams, LagOptions, Method, Sample,
    Transform, VariogramSpec,
};

use crate::error::ClassifyResult;
use crate::rules::{
    ClassifySettings, CropSampleInput, Estimates, Interpolation, Rules, SoilSampleInput,
    UnitOutcome, DECISIVE,
};
use crate::units::EvaluationUnit;

/// The result of classifying units.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    /// One per unit, in the order given.
    pub outcomes: Vec<UnitOutcome>,
    /// Soil samples used (the newest per point), as (id, version).
    pub soil_used: Vec<(i64, i64)>,
    /// Crop samples used, as (id, version).
    pub crops_used: Vec<(i64, i64)>,
    /// What the interpolation used, per analyte (`Cd: ok spherical …`, `Hg: idw`).
    pub interpolation: Vec<String>,
    /// Samples that could not be evaluated, and why.
    pub warnings: Vec<String>,
}

type Indexed = GeomWithData<Rectangle<[f64; 2]>, usize>;

fn unit_index(units: &[EvaluationUnit]) -> RTree<Indexed> {
    RTree::bulk_load(
        units
            .iter()
            .enumerate()
            .filter_map(|(i, u)| {
                let r = geo::BoundingRect::bounding_rect(&u.geometry)?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i,
                ))
            })
            .collect(),
    )
}

fn unit_of(tree: &RTree<Indexed>, units: &[EvaluationUnit], x: f64, y: f64) -> Option<usize> {
    use geo::Contains;
    let p = geo::Point::new(x, y);
    tree.locate_in_envelope_intersecting(&AABB::from_point([x, y]))
        .map(|g| g.data)
        .filter(|i| units[*i].geometry.contains(&p))
        .min()
}

/// The value of an analyte in a sample (mg/kg; pH as is): the mean of its results, a
/// non-detect counting as half its detection limit.
pub fn sample_value(s: &SoilSampleInput, analyte: &str) -> Option<f64> {
    let mut sum = Decimal::ZERO;
    let mut n = 0u32;
    let cat = soilwatch_core::AnalyteCatalogue::builtin();
    for r in &s.results {
        let code = cat.resolve(&r.analyte).map(|a| a.code.as_str());
        if code != Some(analyte) {
            continue;
        }
        let v = if analyte == "pH" {
            r.value.map(|a| a.get())
        } else {
            let f = r.unit.factor_to(Unit::MgPerKg).ok()?;
            if r.is_non_detect() {
                r.detection_limit
                    .or(r.value)
                    .map(|d| d.get() * f / Decimal::TWO)
            } else {
                r.value.map(|a| a.get() * f)
            }
        };
        if let Some(v) = v {
            sum += v;
            n += 1;
        }
    }
    (n > 0).then(|| (sum / Decimal::from(n)).to_f64()).flatten()
}

fn interpolator(
    points: &[Sample],
    settings: &ClassifySettings,
    log: bool,
) -> (Option<Interpolator>, String) {
    if points.is_empty() {
        return (None, "no data".into());
    }
    let idw = InterpolatorOptions {
        crs: Crs::LonLat,
        method: Method::Idw(IdwParams {
            power: 2.0,
            neighbors: settings.neighbors,
            radius: Some(settings.search_radius_m),
        }),
        transform: Transform::None,
    };
    if settings.interpolation == Interpolation::Kriging && points.len() >= 10 {
        let ok = InterpolatorOptions {
            crs: Crs::LonLat,
            method: Method::OrdinaryKriging(KrigingParams {
                variogram: VariogramSpec::Auto(LagOptions::default()),
                neighbors: settings.neighbors,
                radius: Some(settings.search_radius_m),
            }),
            transform: if log { Transform::Log } else { Transform::None },
        };
        match Interpolator::new(points, &ok) {
            Ok(i) => {
                let v = i.variogram().map(|v| v.to_string()).unwrap_or_default();
                let t = if log { ", ln" } else { "" };
                return (Some(i), format!("ok ({v}{t}), {} points", points.len()));
            }
            Err(e) => {
                return match Interpolator::new(points, &idw) {
                    Ok(i) => (
                        Some(i),
                        format!("idw (kriging failed: {e}), {} points", points.len()),
                    ),
                    Err(e) => (None, format!("none: {e}")),
                };
            }
        }
    }
    match Interpolator::new(points, &idw) {
        Ok(i) => (Some(i), format!("idw (power 2), {} points", points.len())),
        Err(e) => (None, format!("none: {e}")),
    }
}

/// Classify units from soil and crop samples (already limited to the run's years).
///
/// The newest soil sample of each point is used; every crop sample is used. Units that contain
/// no soil sample are classed from estimates at a point inside them.
pub fn classify_units(
    units: &[EvaluationUnit],
    soil: &[SoilSampleInput],
    crops: &[CropSampleInput],
    settings: &ClassifySettings,
) -> ClassifyResult<RunOutput> {
    let rules = Rules::new(settings)?;
    // The newest soil sample per point (samples without a point stand alone).
    let mut newest: HashMap<String, &SoilSampleInput> = HashMap::new();
    for s in soil {
        let key = s
            .point_code
            .clone()
            .unwrap_or_else(|| format!("#sample-{}", s.id));
        match newest.get(&key) {
            Some(o) if (o.sampled_on, o.id) >= (s.sampled_on, s.id) => {}
            _ => {
                newest.insert(key, s);
            }
        }
    }
    let mut used: Vec<&SoilSampleInput> = newest.into_values().collect();
    used.sort_by_key(|s| s.id);

    let tree = unit_index(units);
    let mut soil_in: Vec<Vec<&SoilSampleInput>> = vec![Vec::new(); units.len()];
    for s in &used {
        if let Some(i) = unit_of(&tree, units, s.lon, s.lat) {
            soil_in[i].push(s);
        }
    }
    let mut crops_in: Vec<Vec<&CropSampleInput>> = vec![Vec::new(); units.len()];
    for c in crops {
        if let Some(i) = unit_of(&tree, units, c.lon, c.lat) {
            crops_in[i].push(c);
        }
    }

    // Interpolation for units without samples.
    let need: Vec<usize> = (0..units.len())
        .filter(|&i| {
            soil_in[i].is_empty()
                && units[i]
                    .land_use
                    .is_none_or(|l| l.farmland_group().is_some())
        })
        .collect();
    let mut estimates: HashMap<usize, Estimates> = HashMap::new();
    let mut interpolation = Vec::new();
    if !need.is_empty() && !used.is_empty() {
        let anchors: Vec<(usize, (f64, f64))> = need
            .iter()
            .filter_map(|&i| units[i].anchor().map(|a| (i, a)))
            .collect();
        let targets: Vec<[f64; 2]> = anchors.iter().map(|(_, a)| [a.0, a.1]).collect();
        let method_name = match settings.interpolation {
            Interpolation::Idw => "idw",
            Interpolation::Kriging => "ok",
        };
        for (i, a) in &anchors {
            estimates.insert(
                *i,
                Estimates {
                    method: method_name.into(),
                    at: *a,
                    ..Default::default()
                },
            );
        }
        for analyte in DECISIVE.iter().copied().chain(std::iter::once("pH")) {
            let points: Vec<Sample> = used
                .iter()
                .filter_map(|s| {
                    let v = sample_value(s, analyte)?;
                    (v > 0.0 || analyte == "pH").then_some(Sample {
                        x: s.lon,
                        y: s.lat,
                        value: v,
                    })
                })
                .collect();
            let (interp, how) = interpolator(&points, settings, analyte != "pH");
            interpolation.push(format!("{analyte}: {how}"));
            let Some(interp) = interp else { continue };
            let values = interp.estimate_many(&targets)?;
            for ((i, _), v) in anchors.iter().zip(values) {
                let (Some(v), Some(e)) = (v, estimates.get_mut(i)) else {
                    continue;
                };
                if analyte == "pH" {
                    e.ph = Some(v.value);
                } else {
                    e.values
                        .push((analyte.to_owned(), v.value, v.variance, v.neighbors));
                }
            }
        }
    }

    let mut warnings = Vec::new();
    let mut outcomes = Vec::with_capacity(units.len());
    let mut crops_used = Vec::new();
    for (i, u) in units.iter().enumerate() {
        let mut samples = Vec::new();
        for s in &soil_in[i] {
            match rules.soil_sample(u.land_use, s) {
                Ok(ev) => samples.push(ev),
                Err(e) => warnings.push(format!("soil sample {}: {e}", s.code)),
            }
        }
        let mut cs = Vec::new();
        for c in &crops_in[i] {
            match rules.crop_sample(c) {
                Ok(ev) => {
                    crops_used.push((c.id, c.version));
                    cs.push(ev);
                }
                Err(e) => warnings.push(format!("crop sample {}: {e}", c.code)),
            }
        }
        let inferred = match estimates.get(&i) {
            Some(e) if !e.values.is_empty() => match rules.estimates(u.land_use, e) {
                Ok(x) => Some(x),
                Err(err) => {
                    warnings.push(format!("unit {}: estimates: {err}", u.code));
                    None
                }
            },
            _ => None,
        };
        outcomes.push(rules.unit(&u.code, u.land_use, samples, inferred, cs));
    }
    crops_used.sort_unstable();
    Ok(RunOutput {
        outcomes,
        soil_used: used.iter().map(|s| (s.id, s.version)).collect(),
        crops_used,
        interpolation,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    //! A hand-worked case. Paddy (0101) units of 0.01° side around 27.9° N; soil pH 6.0 (band
    //! 5.5 < pH ≤ 6.5), where GB 15618 gives Cd screening 0.4 and intervention 2.0 mg/kg for
    //! paddy, and GB 2762 limits rice Cd to 0.2 mg/kg.
    use super::*;
    use crate::rules::{Aggregation, Basis, UnitClass};
    use crate::units::UnitSource;
    use chrono::NaiveDate;
    use geo::polygon;
    use soilwatch_core::{AnalysisResult, LandUse, Qualifier};
    use soilwatch_standards::food::FoodResult;

    fn unit(code: &str, x: f64, land_use: &str) -> EvaluationUnit {
        let g: geo::MultiPolygon<f64> = polygon![(x: x, y: 27.9), (x: x + 0.01, y: 27.9),
            (x: x + 0.01, y: 27.91), (x: x, y: 27.91), (x: x, y: 27.9)]
        .into();
        EvaluationUnit::new(
            code.into(),
            "513401".parse().unwrap(),
            UnitSource::Parcel,
            Some(land_use.parse::<LandUse>().unwrap()),
            g,
        )
        .unwrap()
    }

    fn soil(id: i64, point: &str, x: f64, cd: &str) -> SoilSampleInput {
        let r = |a: &str, v: &str| AnalysisResult {
            sample_code: format!("S{id}"),
            analyte: a.into(),
            value: Some(v.parse().unwrap()),
            unit: Unit::MgPerKg,
            detection_limit: None,
            qualifier: Qualifier::Detected,
            method: None,
        };
        SoilSampleInput {
            id,
            code: format!("S{id}"),
            version: 1,
            point_code: Some(point.into()),
            lon: x,
            lat: 27.905,
            sampled_on: NaiveDate::from_ymd_opt(2024, 5, 1).unwrap(),
            land_use: Some("0101".parse().unwrap()),
            results: vec![
                r("Cd", cd),
                r("Hg", "0.1"),
                r("As", "10"),
                r("Pb", "30"),
                r("Cr", "80"),
                AnalysisResult {
                    unit: Unit::Dimensionless,
                    ..r("pH", "6.0")
                },
            ],
        }
    }

    fn rice(id: i64, x: f64, year: i32, cd: &str) -> CropSampleInput {
        CropSampleInput {
            id,
            code: format!("C{id}"),
            version: 1,
            point_code: None,
            lon: x,
            lat: 27.905,
            sampled_on: NaiveDate::from_ymd_opt(year, 9, 1).unwrap(),
            crop: "水稻".into(),
            results: vec![FoodResult {
                analyte: "Cd".into(),
                value: cd.parse().unwrap(),
                unit: Unit::MgPerKg,
            }],
        }
    }

    fn case() -> (
        Vec<EvaluationUnit>,
        Vec<SoilSampleInput>,
        Vec<CropSampleInput>,
    ) {
        let units = vec![
            unit("A", 102.20, "0101"),
            unit("B", 102.22, "0101"),
            unit("E", 102.24, "0101"),
            unit("C", 102.26, "0101"),
            unit("F", 102.28, "0601"),
            unit("G", 103.50, "0101"),
        ];
        let soil = vec![
            soil(1, "PA", 102.205, "0.4"), // exactly the screening value
            soil(2, "PB", 102.225, "2.5"), // above the intervention value 2.0
            soil(3, "PE", 102.245, "0.8"), // between
        ];
        let crops = vec![
            rice(11, 102.205, 2024, "0.3"),  // 1.5× the rice limit
            rice(12, 102.245, 2024, "0.5"),  // 2.5×
            rice(13, 102.225, 2023, "0.1"),  // within
            rice(14, 102.225, 2024, "0.15"), // within, a second year
        ];
        (units, soil, crops)
    }

    fn settings() -> ClassifySettings {
        ClassifySettings {
            neighbors: 1,
            ..ClassifySettings::default()
        }
    }

    #[test]
    fn hand_worked_units() {
        let (units, soil, crops) = case();
        let out = classify_units(&units, &soil, &crops, &settings()).unwrap();
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        let by = |c: &str| out.outcomes.iter().find(|o| o.unit_code == c).unwrap();

        // A: Cd = 0.4 = screening → priority protection; rice 1.5× its limit → safe utilization.
        let a = by("A");
        assert_eq!(a.soil_class, Some(UnitClass::PriorityProtection));
        assert_eq!(a.class, Some(UnitClass::SafeUtilization));
        assert_eq!(a.basis, Basis::Samples);
        let cd = a.samples[0]
            .items
            .iter()
            .find(|i| i.analyte == "Cd")
            .unwrap();
        assert_eq!(cd.screening, Some("0.4".parse().unwrap()));
        assert_eq!(cd.intervention, Some("2.0".parse().unwrap()));
        assert_eq!(cd.class, Some(UnitClass::PriorityProtection));
        assert_eq!(
            a.decisions
                .iter()
                .map(|d| d.rule.as_str())
                .collect::<Vec<_>>(),
            ["soil_samples", "crop_exceeds"]
        );

        // B: Cd 2.5 > intervention 2.0 → strict control; rice within limits in 2023 and 2024 →
        // proposed as safe utilization, class unchanged.
        let b = by("B");
        assert_eq!(b.class, Some(UnitClass::StrictControl));
        assert_eq!(b.proposal, Some(UnitClass::SafeUtilization));
        assert!(b.rule.contains("crop_years=2"), "{}", b.rule);

        // E: Cd 0.8 → safe utilization; rice 2.5× ≥ 2× → strict control.
        let e = by("E");
        assert_eq!(e.soil_class, Some(UnitClass::SafeUtilization));
        assert_eq!(e.class, Some(UnitClass::StrictControl));
        assert!(e.rule.contains("crop_multiple=2"), "{}", e.rule);

        // C: no sample; nearest (k = 1) is E's sample → Cd 0.8, pH 6.0 → safe utilization, inferred.
        let c = by("C");
        assert_eq!(c.basis, Basis::Inferred);
        assert_eq!(c.class, Some(UnitClass::SafeUtilization));
        let inf = c.inferred.as_ref().unwrap();
        assert_eq!(inf.ph, Some("6".parse().unwrap()));
        let cd = inf.items.iter().find(|i| i.analyte == "Cd").unwrap();
        assert_eq!(cd.value, "0.8".parse().unwrap());
        assert_eq!(cd.neighbors, Some(1));

        // F: industrial land; G: 120 km from any sample.
        assert_eq!(by("F").basis, Basis::NotFarmland);
        assert_eq!(by("F").class, None);
        assert_eq!(by("G").basis, Basis::NoData);
        assert_eq!(by("G").class, None);

        assert_eq!(out.soil_used.len(), 3);
        assert_eq!(out.crops_used.len(), 4);
    }

    #[test]
    fn a_lower_crop_multiple_and_exceedance_rate_are_settings() {
        let (units, soil, crops) = case();
        // 3× instead of 2×: E's rice at 2.5× no longer makes it strict control.
        let s = ClassifySettings {
            crop_multiple: "3".parse().unwrap(),
            ..settings()
        };
        let out = classify_units(&units, &soil, &crops, &s).unwrap();
        let e = out.outcomes.iter().find(|o| o.unit_code == "E").unwrap();
        assert_eq!(e.class, Some(UnitClass::SafeUtilization));
        // …unless the exceedance rate (1 of 1 crop samples) reaches the setting.
        let s = ClassifySettings {
            crop_multiple: "3".parse().unwrap(),
            crop_exceedance_rate: Some("0.5".parse().unwrap()),
            ..settings()
        };
        let out = classify_units(&units, &soil, &crops, &s).unwrap();
        let e = out.outcomes.iter().find(|o| o.unit_code == "E").unwrap();
        assert_eq!(e.class, Some(UnitClass::StrictControl));
    }

    #[test]
    fn worst_class_or_share_rule() {
        let units = vec![unit("U", 102.20, "0101")];
        let mut soil: Vec<SoilSampleInput> = (0..4)
            .map(|i| soil(i, &format!("P{i}"), 102.201 + 0.002 * i as f64, "0.2"))
            .collect();
        soil.push(soil_sample_above(9));
        let worst = classify_units(&units, &soil, &[], &settings()).unwrap();
        assert_eq!(worst.outcomes[0].class, Some(UnitClass::StrictControl));
        let share = |p: f64| ClassifySettings {
            aggregation: Aggregation::Share { percent: p },
            ..settings()
        };
        let out = classify_units(&units, &soil, &[], &share(30.0)).unwrap();
        assert_eq!(out.outcomes[0].class, Some(UnitClass::PriorityProtection));
        let out = classify_units(&units, &soil, &[], &share(20.0)).unwrap();
        assert_eq!(out.outcomes[0].class, Some(UnitClass::StrictControl));
        assert!(out.outcomes[0].rule.contains("share:20"));
    }

    fn soil_sample_above(id: i64) -> SoilSampleInput {
        soil(id, "PX", 102.209, "3.0")
    }

    #[test]
    fn newest_sample_of_a_point_is_used() {
        let units = vec![unit("U", 102.20, "0101")];
        let mut old = soil(1, "P", 102.205, "3.0");
        old.sampled_on = NaiveDate::from_ymd_opt(2021, 5, 1).unwrap();
        let new = soil(2, "P", 102.205, "0.2");
        let out = classify_units(&units, &[old, new], &[], &settings()).unwrap();
        assert_eq!(out.soil_used, vec![(2, 1)]);
        assert_eq!(out.outcomes[0].class, Some(UnitClass::PriorityProtection));
    }

    #[test]
    fn settings_are_checked_naming_the_field() {
        let bad = ClassifySettings {
            default_land_use: "0601".into(),
            ..ClassifySettings::default()
        };
        let e = bad.check().unwrap_err().to_string();
        assert!(e.contains("default_land_use"), "{e}");
        let bad = ClassifySettings {
            method: "nope".into(),
            ..ClassifySettings::default()
        };
        assert!(bad.check().unwrap_err().to_string().contains("method"));
        assert!("share:0".parse::<Aggregation>().is_err());
        assert_eq!(
            "share:25%".parse::<Aggregation>().unwrap(),
            Aggregation::Share { percent: 25.0 }
        );
    }
}
