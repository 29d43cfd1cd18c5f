//! Seed data shipped with the program: the divisions of the default deployment with their
//! boundaries (`data/divisions/`), the analyte catalogue, and the departments of the work plan.

use std::collections::HashMap;

use soilwatch_core::{
    AnalyteCatalogue, ChangeMeta, Department, Division, DivisionCode, DivisionLevel,
};

use crate::{Store, StoreError, StoreResult};

const DIVISIONS_CSV: &str = include_str!("../../../data/divisions/divisions.csv");
const COUNTIES_GEOJSON: &str = include_str!("../../../data/divisions/liangshan_counties.geojson");
const BOUNDARY_SOURCE: &str =
    "echarts-china-cities-pypkg 0.0.9 (MIT), 凉山彝族自治州 county outlines, \
     simplified (a few hundred metres); see data/divisions/README.md";

/// The departments named in the work plan (prefecture level), seeded once; editable afterwards.
pub const WORK_PLAN_DEPARTMENTS: &[(&str, &str)] = &[
    ("eco-env", "州生态环境局"),
    ("nat-res", "州自然资源局"),
    ("agri", "州农业农村局"),
    ("econ-info", "州经济和信息化局"),
    ("housing", "州住房和城乡建设局"),
    ("forestry", "州林业和草原局"),
    ("water", "州水利局"),
    ("sci-tech", "州科学技术局"),
    ("education", "州教育和体育局"),
    ("health", "州卫生健康委员会"),
    ("dev-reform", "州发展和改革委员会"),
    ("finance", "州财政局"),
    ("public-security", "州公安局"),
    ("emergency", "州应急管理局"),
    ("market", "州市场监督管理局"),
    ("supply-coop", "州供销合作社"),
    ("justice", "州司法局"),
];

/// What seeding did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub divisions: usize,
    pub analytes: usize,
    pub departments_added: usize,
}

fn invalid(e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("seed data: {e}"))
}

/// A county outline with its seat.
type Shape = (geo::MultiPolygon<f64>, Option<(f64, f64)>);

/// The divisions of the default deployment with boundaries and areas.
pub fn default_divisions() -> StoreResult<Vec<Division>> {
    let geojson: geojson::GeoJson = COUNTIES_GEOJSON.parse().map_err(invalid)?;
    let geojson::GeoJson::FeatureCollection(fc) = geojson else {
        return Err(invalid("county boundaries are not a FeatureCollection"));
    };
    let mut shapes: HashMap<String, Shape> = HashMap::new();
    for f in fc.features {
        let code = f
            .property("code")
            .and_then(|v| v.as_str())
            .ok_or_else(|| invalid("feature without a code"))?
            .to_owned();
        let center = f
            .property("center")
            .and_then(|v| v.as_array())
            .and_then(|a| Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?)));
        let geom = f
            .geometry
            .ok_or_else(|| invalid(format!("{code} has no geometry")))?;
        let geom: geo::Geometry<f64> = geom.try_into().map_err(invalid)?;
        let mp = match geom {
            geo::Geometry::Polygon(p) => geo::MultiPolygon(vec![p]),
            geo::Geometry::MultiPolygon(mp) => mp,
            _ => return Err(invalid(format!("{code} is not a polygon"))),
        };
        shapes.insert(code, (mp, center));
    }
    let mut reader = csv::Reader::from_reader(DIVISIONS_CSV.as_bytes());
    let mut out = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(invalid)?;
        let code: DivisionCode = rec.get(0).unwrap_or_default().parse().map_err(invalid)?;
        let name = rec.get(1).unwrap_or_default().to_owned();
        let parent: Option<DivisionCode> = rec.get(4).and_then(|p| p.parse().ok());
        out.push(Division {
            code,
            name,
            level: code.level(),
            parent,
            center: None,
            boundary: None,
            area_km2: None,
            boundary_source: None,
        });
    }
    for d in &mut out {
        if let Some((mp, center)) = shapes.get(&d.code.to_string()) {
            d.area_km2 = Some(soilwatch_geostat::area_km2(mp).map_err(invalid)?);
            d.boundary = Some(mp.clone());
            d.center = *center;
            d.boundary_source = Some(BOUNDARY_SOURCE.to_owned());
        }
    }
    // The prefecture: the union of its counties' outlines, its area the sum of theirs.
    let counties: Vec<(DivisionCode, geo::MultiPolygon<f64>, f64)> = out
        .iter()
        .filter(|d| d.level == DivisionLevel::County)
        .filter_map(|d| Some((d.parent?, d.boundary.clone()?, d.area_km2?)))
        .collect();
    for d in out
        .iter_mut()
        .filter(|d| d.level == DivisionLevel::Prefecture)
    {
        let mine: Vec<&(DivisionCode, geo::MultiPolygon<f64>, f64)> =
            counties.iter().filter(|c| c.0 == d.code).collect();
        if mine.is_empty() {
            continue;
        }
        let polys: Vec<geo::Polygon<f64>> =
            mine.iter().flat_map(|c| c.1 .0.iter().cloned()).collect();
        d.boundary = Some(geo::unary_union(&polys));
        d.area_km2 = Some(mine.iter().map(|c| c.2).sum());
        d.boundary_source = Some(format!("union of its counties; {BOUNDARY_SOURCE}"));
        d.center = Some((102.267335, 27.881611)); // 西昌市, seat of the prefecture
    }
    Ok(out)
}

/// Seed divisions and analytes (refreshed every time) and the work-plan departments (added
/// once; never overwritten, since users edit them).
pub async fn seed(store: &dyn Store) -> StoreResult<SeedReport> {
    let divisions = default_divisions()?;
    store.upsert_divisions(&divisions).await?;
    let analytes = AnalyteCatalogue::builtin().all();
    store.upsert_analytes(analytes).await?;
    let prefecture = divisions
        .iter()
        .find(|d| d.level == DivisionLevel::Prefecture)
        .map(|d| d.code)
        .ok_or_else(|| invalid("no prefecture in divisions.csv"))?;
    let existing = store.list_departments().await?;
    let mut added = 0;
    let change = ChangeMeta::new("system", "seed: departments named in the work plan");
    for (code, name) in WORK_PLAN_DEPARTMENTS {
        let code = format!("{code}-{prefecture}");
        if existing.iter().any(|d| d.code == code) {
            continue;
        }
        let d = Department {
            code,
            name: (*name).to_owned(),
            level: DivisionLevel::Prefecture,
            division: prefecture,
        };
        store.create_department(&d, &change).await?;
        added += 1;
    }
    // The sharing catalogue (issue 9): entries missing are added, edited ones kept.
    crate::sharing::seed_catalogue(store, &prefecture.to_string()).await?;
    Ok(SeedReport {
        divisions: divisions.len(),
        analytes: analytes.len(),
        departments_added: added,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seventeen_counties_and_the_prefecture() {
        let d = default_divisions().unwrap();
        assert_eq!(d.len(), 18);
        assert_eq!(
            d.iter()
                .filter(|d| d.level == DivisionLevel::County)
                .count(),
            17
        );
        let huili = d.iter().find(|d| d.code.to_string() == "513402").unwrap();
        assert_eq!(huili.name, "会理市");
        assert!(d.iter().all(|d| d.code.to_string() != "513425"));
        assert!(d
            .iter()
            .all(|d| d.boundary.is_some() && d.area_km2.is_some()));
    }

    #[test]
    fn areas_are_plausible() {
        // Official areas (land survey): Liangshan ≈ 60,400 km², Xichang ≈ 2,655 km², Muli ≈ 13,252 km².
        // The simplified outlines land within a few per cent.
        let d = default_divisions().unwrap();
        let area = |c: &str| {
            d.iter()
                .find(|d| d.code.to_string() == c)
                .unwrap()
                .area_km2
                .unwrap()
        };
        let pref = area("513400");
        assert!((57_000.0..64_000.0).contains(&pref), "prefecture {pref}");
        let xichang = area("513401");
        assert!((2_400.0..2_900.0).contains(&xichang), "xichang {xichang}");
        let muli = area("513422");
        assert!((12_500.0..14_000.0).contains(&muli), "muli {muli}");
    }
}
