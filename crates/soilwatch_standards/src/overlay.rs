//! Local rulesets (地方标准): a prefecture tightens a national soil ruleset (GB 15618 or
//! GB 36600) item by item, or adds items the nation has no value for (the work plan names Mn, V,
//! Ti). A local value laxer than the national value it would replace is refused.
//!
//! The check is made where the value is used: the local rows alone are compiled exactly like a
//! ruleset (so a Cd value for `orchard`, a column GB 15618 only has for Cu, is compared with the
//! national "other" column that orchards would otherwise use), and every cell is compared with the
//! national cell of the same land use, pH band (or land class) and value type.
//!
//! # CSV format of a local ruleset
//! `analyte,land_use,ph_band,land_class,value_type,value,unit,source`; `land_use`, `ph_band`,
//! `land_class`, `unit` and `source` may be empty or absent.
//! * `analyte`: symbol, Chinese or English name (`Cd`, `镉`, `manganese`).
//! * `land_use` (GB 15618): `paddy`, `other` (also `upland`), `orchard`, `all` (empty = all).
//! * `ph_band` (GB 15618): `<=5.5`, `5.5-6.5`, `6.5-7.5`, `>7.5` (empty = every band).
//! * `land_class` (GB 36600): `1` or `2` (empty = both).
//! * `value_type`: `screening` or `intervention`.
//! * `unit`: a mass fraction (default mg/kg); converted exactly to mg/kg.

use rust_decimal::Decimal;
use serde::Serialize;
use soilwatch_core::{AnalyteCatalogue, FarmlandGroup, Unit};

use crate::error::{StandardsError, StandardsResult};
use crate::ruleset::{
    data_err, parse_decimal, read_rows, PhBand, Ruleset, RulesetKind, ThresholdValue, ValueType,
};
use crate::soil::SoilEngine;

/// One local value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocalValue {
    /// Analyte name or code (resolved through the catalogue).
    pub analyte: String,
    /// GB 15618 column: `paddy`, `other`, `orchard`, `all` (`None` = all).
    pub land_use: Option<String>,
    /// GB 15618 pH band (`None` = every band).
    pub ph_band: Option<PhBand>,
    /// GB 36600 land class (`None` = both).
    pub land_class: Option<u8>,
    pub value_type: ValueType,
    pub value: Decimal,
    pub unit: Unit,
    /// The local document that sets the value.
    pub source: String,
}

fn parse_band(s: &str) -> Option<Option<PhBand>> {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    match t.as_str() {
        "" | "all" => Some(None),
        "<=5.5" | "≤5.5" | "ph<=5.5" | "pH≤5.5" | "ph_le_5.5" => Some(Some(PhBand::UpTo5_5)),
        "5.5-6.5" | "5.5<pH≤6.5" | "ph_5.5_6.5" => Some(Some(PhBand::From5_5To6_5)),
        "6.5-7.5" | "6.5<pH≤7.5" | "ph_6.5_7.5" => Some(Some(PhBand::From6_5To7_5)),
        ">7.5" | "pH>7.5" | "ph>7.5" | "ph_gt_7.5" => Some(Some(PhBand::Above7_5)),
        _ => None,
    }
}

/// Read local values from CSV text (format in the module documentation).
pub fn local_values_from_csv(text: &str) -> StandardsResult<Vec<LocalValue>> {
    let file = "local ruleset";
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (headers, rows) = read_rows(file, text)?;
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let need = |name: &str| {
        col(name).ok_or_else(|| data_err(file, 1, format!("缺少列 / missing column '{name}'")))
    };
    let (ia, it, iv) = (need("analyte")?, need("value_type")?, need("value")?);
    let (il, ib, ic, iu, is) = (
        col("land_use"),
        col("ph_band"),
        col("land_class"),
        col("unit"),
        col("source"),
    );
    let cell = |row: &Vec<String>, i: Option<usize>| -> String {
        i.and_then(|i| row.get(i))
            .map_or(String::new(), |s| s.trim().to_owned())
    };
    let mut out = Vec::with_capacity(rows.len());
    for (line, row) in &rows {
        let line = *line;
        let value_type = match cell(row, Some(it)).to_lowercase().as_str() {
            "screening" | "筛选值" => ValueType::Screening,
            "intervention" | "管制值" => ValueType::Intervention,
            other => {
                return Err(data_err(
                    file,
                    line,
                    format!(
                        "value_type '{other}': expected screening | intervention / 筛选值 | 管制值"
                    ),
                ))
            }
        };
        let raw_value = cell(row, Some(iv));
        let value = parse_decimal(&raw_value)
            .filter(|v| !v.is_sign_negative())
            .ok_or_else(|| {
                data_err(
                    file,
                    line,
                    format!("value '{raw_value}' is not a number ≥ 0 / 不是非负数值"),
                )
            })?;
        let unit_text = cell(row, iu);
        let unit = if unit_text.is_empty() {
            Unit::MgPerKg
        } else {
            unit_text.parse::<Unit>()?
        };
        let land_use = match cell(row, il).to_lowercase().as_str() {
            "" | "all" => None,
            "paddy" | "水田" => Some("paddy".to_owned()),
            "other" | "upland" | "旱地" | "其他" => Some("other".to_owned()),
            "orchard" | "果园" => Some("orchard".to_owned()),
            other => {
                return Err(data_err(
                    file,
                    line,
                    format!("land_use '{other}': expected paddy | other | orchard | all"),
                ))
            }
        };
        let band_text = cell(row, ib);
        let ph_band = parse_band(&band_text).ok_or_else(|| {
            data_err(
                file,
                line,
                format!("ph_band '{band_text}': expected <=5.5 | 5.5-6.5 | 6.5-7.5 | >7.5"),
            )
        })?;
        let land_class = match cell(row, ic).as_str() {
            "" => None,
            "1" => Some(1),
            "2" => Some(2),
            other => {
                return Err(data_err(
                    file,
                    line,
                    format!("land_class '{other}': expected 1 | 2"),
                ))
            }
        };
        out.push(LocalValue {
            analyte: cell(row, Some(ia)),
            land_use,
            ph_band,
            land_class,
            value_type,
            value,
            unit,
            source: cell(row, is),
        });
    }
    Ok(out)
}

/// Build a local ruleset from CSV text (see the module documentation) over a national soil ruleset.
///
/// # Examples
/// ```
/// use soilwatch_standards::{overlay::overlay_from_csv, RulesetRegistry};
/// let national = RulesetRegistry::builtin().get("gb15618-2018").unwrap();
/// let csv = "analyte,land_use,ph_band,value_type,value,unit,source\n\
///            Cd,paddy,<=5.5,screening,0.25,mg/kg,凉山州地方标准\n\
///            Mn,all,,screening,1500,mg/kg,凉山州地方标准\n";
/// let local = overlay_from_csv(national, "liangshan-farmland-2024", "凉山州农用地", "2024", csv).unwrap();
/// assert_eq!(local.base.as_deref(), Some("gb15618-2018"));
///
/// let laxer = "analyte,land_use,ph_band,value_type,value\nCd,paddy,<=5.5,screening,0.35\n";
/// let err = overlay_from_csv(national, "x", "x", "1", laxer).unwrap_err().to_string();
/// assert!(err.contains("0.35") && err.contains("0.3"));
/// ```
pub fn overlay_from_csv(
    base: &Ruleset,
    id: &str,
    name: &str,
    version: &str,
    csv_text: &str,
) -> StandardsResult<Ruleset> {
    build_overlay(base, id, name, version, &local_values_from_csv(csv_text)?)
}

/// Build a local ruleset over a national soil ruleset, refusing any value laxer than the
/// national value it would replace. The result lists the national values and then the local
/// ones (confidence `local`); evaluation takes, cell by cell, the stricter.
pub fn build_overlay(
    base: &Ruleset,
    id: &str,
    name: &str,
    version: &str,
    rows: &[LocalValue],
) -> StandardsResult<Ruleset> {
    if !matches!(
        base.kind,
        RulesetKind::Farmland | RulesetKind::ConstructionLand
    ) {
        return Err(StandardsError::WrongRuleset {
            id: base.id.clone(),
            purpose: "a local overlay (only soil rulesets, GB 15618 and GB 36600, can be overlaid)",
        });
    }
    let cat = AnalyteCatalogue::builtin();
    let mut local_values = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let line = u64::try_from(i).unwrap_or(u64::MAX).saturating_add(2);
        let analyte = cat.require(&r.analyte)?;
        let value = crate::exact::convert(r.value, r.unit, Unit::MgPerKg)
            .ok()
            .filter(|v| *v >= crate::exact::MIN_THRESHOLD_MG_KG)
            .ok_or_else(|| {
                data_err(
                    "local ruleset",
                    line,
                    format!(
                        "value {} {}: 阈值不得小于 10⁻¹² mg/kg / a threshold must be at least 10⁻¹² mg/kg",
                        r.value, r.unit
                    ),
                )
            })?;
        let table = match (base.kind, r.value_type) {
            (RulesetKind::Farmland, ValueType::Intervention) => "表3",
            (RulesetKind::Farmland, _) => "表1",
            _ => "表1",
        };
        if base.kind == RulesetKind::ConstructionLand
            && (r.land_use.is_some() || r.ph_band.is_some())
        {
            return Err(data_err(
                "local ruleset",
                line,
                "GB 36600 values take a land_class, not a land_use or pH band",
            ));
        }
        if base.kind == RulesetKind::Farmland && r.land_class.is_some() {
            return Err(data_err(
                "local ruleset",
                line,
                "GB 15618 values take a land_use and pH band, not a land_class",
            ));
        }
        local_values.push(ThresholdValue {
            table: table.to_owned(),
            item_cn: analyte.name_cn.clone(),
            item_en: analyte.name_en.clone(),
            analyte: Some(analyte.code.clone()),
            value_type: r.value_type,
            land_use: match base.kind {
                RulesetKind::Farmland => {
                    Some(r.land_use.clone().unwrap_or_else(|| "all".to_owned()))
                }
                _ => None,
            },
            ph_band: r.ph_band,
            land_class: r.land_class,
            water_class: None,
            water_body: None,
            crop: None,
            crop_en: None,
            variant: None,
            lower: None,
            lower_exclusive: false,
            upper: Some(value.normalize()),
            value_as_written: r.value.to_string(),
            unit: "mg/kg".to_owned(),
            basis: None,
            confidence: "local".to_owned(),
            source: if r.source.is_empty() {
                format!("local ruleset {id}")
            } else {
                r.source.clone()
            },
        });
    }
    // GB 36600 rows without a class apply to both classes.
    let local_values: Vec<ThresholdValue> = local_values
        .into_iter()
        .flat_map(|v| {
            if base.kind == RulesetKind::ConstructionLand && v.land_class.is_none() {
                let mut a = v.clone();
                let mut b = v;
                a.land_class = Some(1);
                b.land_class = Some(2);
                vec![a, b]
            } else {
                vec![v]
            }
        })
        .collect();

    // Compare every local value with the national value the same land use and pH band (or land
    // class) would otherwise use: for GB 15618 the national paddy column falls back to "other"
    // where the item has no paddy column, and the orchard column likewise.
    let national = SoilEngine::new(base)?;
    for v in &local_values {
        let (Some(code), Some(l)) = (v.analyte.as_deref(), v.upper) else {
            continue;
        };
        let Some(ni) = national.slot(code) else {
            continue; // an item the nation has no value for: added
        };
        let nslot = &national.slots[usize::from(ni)];
        let ctxs: Vec<usize> = match base.kind {
            RulesetKind::ConstructionLand => {
                vec![usize::from(v.land_class.unwrap_or(1).clamp(1, 2) - 1)]
            }
            _ => {
                let groups: &[usize] = match v.land_use.as_deref() {
                    Some("paddy") => &[0],
                    Some("other") => &[1],
                    Some("orchard") => &[2],
                    _ => &[0, 1, 2],
                };
                let bands: Vec<usize> = v.ph_band.map_or(vec![0, 1, 2, 3], |b| vec![b.index()]);
                groups
                    .iter()
                    .flat_map(|g| bands.iter().map(move |b| g * 5 + b))
                    .collect()
            }
        };
        for ctx in ctxs {
            let nc = nslot.cells[ctx];
            let (label, n) = match v.value_type {
                ValueType::Intervention => ("intervention 管制值", nc.intervention),
                _ => ("screening 筛选值", nc.screening),
            };
            if let Some(n) = n {
                if l > n {
                    let name_cn = cat.by_code(code).map_or("", |a| a.name_cn.as_str());
                    return Err(StandardsError::LaxerThanNational {
                        item: format!("{code} {name_cn}"),
                        scope: format!("{label}, {}", ctx_label(base.kind, ctx)),
                        local: l.normalize(),
                        national: n.normalize(),
                        unit: "mg/kg".to_owned(),
                    });
                }
            }
        }
    }
    let mut values = base.values.clone();
    values.extend(local_values);
    let mut notes = vec![format!(
        "地方标准，叠加于 {} / local ruleset overlaying {}: each value is the stricter of the national and the local value.",
        base.standard, base.id
    )];
    notes.extend(base.notes.iter().cloned());
    Ok(Ruleset {
        id: id.to_owned(),
        standard: format!("{} + {id}", base.standard),
        name_cn: name.to_owned(),
        name: name.to_owned(),
        version: version.to_owned(),
        kind: base.kind,
        media: base.media.clone(),
        base: Some(base.id.clone()),
        notes,
        values,
    })
}

fn ctx_label(kind: RulesetKind, ctx: usize) -> String {
    if kind == RulesetKind::ConstructionLand {
        return format!("第{}类用地 / class {} land", ctx + 1, ctx + 1);
    }
    let group = [
        FarmlandGroup::Paddy,
        FarmlandGroup::Upland,
        FarmlandGroup::Orchard,
        FarmlandGroup::Rotation,
    ][(ctx / 5).min(3)];
    let band = PhBand::ALL
        .get(ctx % 5)
        .map_or("pH missing (lowest band)", |b| b.label());
    format!("{group}, {band}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ruleset::{RulesetRegistry, GB15618, GB36600};
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn national() -> &'static Ruleset {
        RulesetRegistry::builtin().get(GB15618).unwrap()
    }

    #[test]
    fn stricter_value_is_used() {
        let csv = "analyte,land_use,ph_band,value_type,value\n镉,paddy,5.5-6.5,screening,0.35\n";
        let rs = overlay_from_csv(national(), "local", "local", "1", csv).unwrap();
        let e = SoilEngine::new(&rs).unwrap();
        let (s, i) = e
            .farmland_thresholds("Cd", FarmlandGroup::Paddy, Some(PhBand::From5_5To6_5))
            .unwrap();
        assert_eq!(s, Some(d("0.35")));
        assert_eq!(i, Some(d("2.0")));
        // other cells unchanged
        let (s, _) = e
            .farmland_thresholds("Cd", FarmlandGroup::Upland, Some(PhBand::From5_5To6_5))
            .unwrap();
        assert_eq!(s, Some(d("0.3")));
    }

    #[test]
    fn laxer_local_value_refused() {
        let csv = "analyte,land_use,ph_band,value_type,value\nPb,other,6.5-7.5,screening,130\n";
        let err = overlay_from_csv(national(), "local", "local", "1", csv).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, StandardsError::LaxerThanNational { .. }));
        for part in [
            "Pb",
            "铅",
            "6.5<pH≤7.5",
            "130",
            "120",
            "地方标准值宽于国家标准",
            "laxer",
        ] {
            assert!(msg.contains(part), "{part} missing from {msg}");
        }
    }

    #[test]
    fn laxer_orchard_value_for_an_item_without_orchard_column_refused() {
        // Orchards use the "other" column for Cd (0.3 at pH ≤ 5.5).
        let csv = "analyte,land_use,ph_band,value_type,value\nCd,orchard,<=5.5,screening,0.5\n";
        let err = overlay_from_csv(national(), "l", "l", "1", csv)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("orchard") && err.contains("0.5") && err.contains("0.3"),
            "{err}"
        );
    }

    #[test]
    fn laxer_value_in_ug_per_kg_refused() {
        let csv =
            "analyte,land_use,ph_band,value_type,value,unit\nHg,all,,intervention,7000,μg/kg\n";
        let err = overlay_from_csv(national(), "l", "l", "1", csv)
            .unwrap_err()
            .to_string();
        assert!(err.contains('7') && err.contains("intervention"), "{err}");
    }

    #[test]
    fn new_items_are_added() {
        let csv = "analyte,land_use,ph_band,value_type,value,unit,source\nMn,,,screening,1500,mg/kg,local\nvanadium,,,screening,150,mg/kg,local\n钛,,,screening,5000,g/kg,local\n";
        let rs = overlay_from_csv(national(), "l", "l", "1", csv).unwrap();
        let e = SoilEngine::new(&rs).unwrap();
        for (code, v) in [("Mn", "1500"), ("V", "150"), ("Ti", "5000000")] {
            let (s, i) = e
                .farmland_thresholds(code, FarmlandGroup::Rotation, None)
                .unwrap();
            assert_eq!(s, Some(d(v)), "{code}");
            assert_eq!(i, None);
        }
        assert_eq!(
            rs.values.iter().filter(|v| v.confidence == "local").count(),
            3
        );
    }

    #[test]
    fn gb36600_overlay_by_class() {
        let base = RulesetRegistry::builtin().get(GB36600).unwrap();
        let ok = "analyte,land_class,value_type,value\nAs,1,screening,15\n";
        let rs = overlay_from_csv(base, "l", "l", "1", ok).unwrap();
        let e = SoilEngine::new(&rs).unwrap();
        assert_eq!(
            e.construction_thresholds("As", crate::soil::LandClass::Class1)
                .unwrap()
                .0,
            Some(d("15"))
        );
        let lax = "analyte,land_class,value_type,value\nAs,,screening,25\n";
        let err = overlay_from_csv(base, "l", "l", "1", lax)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("class 1") && err.contains("25") && err.contains("20"),
            "{err}"
        );
    }

    #[test]
    fn water_rulesets_cannot_be_overlaid() {
        let base = RulesetRegistry::builtin().get("gb3838-2002").unwrap();
        assert!(build_overlay(base, "l", "l", "1", &[]).is_err());
    }

    #[test]
    fn bad_rows_are_reported_with_line() {
        let csv = "analyte,value_type,value\nCd,screening,abc\n";
        let err = local_values_from_csv(csv).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("abc"), "{err}");
        let csv = "analyte,value_type,value\nunobtainium,screening,1\n";
        assert!(overlay_from_csv(national(), "l", "l", "1", csv).is_err());
    }
}
