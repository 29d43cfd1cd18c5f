//! 演示数据 — a generated, deterministic demonstration dataset for the default prefecture.
//!
//! A few thousand monitoring points spread over the 17 counties by type (inside each county's
//! boundary), ten years of samples, heavy-metal results with spatial structure (smooth regional
//! trends, log-normal noise) and hot spots near the mining areas of 会理, 会东, 甘洛 and 冕宁 named
//! in the work plan, crops paired with some soil points, and water samples at intake, well and
//! section points. Everything is marked as demo: codes start with `DEMO-`, history says
//! `demo`, and the pages show a banner while demo points exist.
//!
//! Deliberate gaps make the coverage report worth reading: 金阳县 has no background point, no
//! point watches a sewage-irrigated area, and a few points have not been sampled for years.

use std::collections::HashMap;

use chrono::NaiveDate;
use geo::{BoundingRect, Contains};
use soilwatch_core::{
    AnalysisResult, ChangeMeta, ControlLevel, DivisionCode, DivisionLevel, LandUse, LonLat, Medium,
    MonitoringPoint, PointType, Qualifier, Sample, SampleWithResults, Unit,
};

use soilwatch_ingest::{ParsedResult, ParsedSample, Record, StoredState};

use crate::network::{NetworkPoint, RiskAreaCategory, DEMO_PREFIX};
use crate::{seed, NewImport, Store, StoreError, StoreResult};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    /// Seed of the generator: the same seed gives the same data.
    pub seed: u64,
    /// Number of points (about 3,000 by default; the benchmark asks for more).
    pub points: usize,
    /// The last year sampled; ten years end with it.
    pub end_year: i32,
    /// Number of years sampled.
    pub years: i32,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            seed: 20_160_531, // 土十条 (State Council, 31 May 2016)
            points: 3_000,
            end_year: 2025,
            years: 10,
        }
    }
}

/// What a load wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoReport {
    pub points: usize,
    pub samples: usize,
    pub results: usize,
    pub moved: usize,
    pub retired: usize,
}

/// The generated dataset.
#[derive(Debug, Clone)]
pub struct DemoData {
    pub points: Vec<NetworkPoint>,
    pub samples: Vec<SampleWithResults>,
    /// Points moved later: (code, new lon, new lat, date).
    pub moves: Vec<(String, f64, f64, NaiveDate)>,
    /// Points retired: (code, date).
    pub retirements: Vec<(String, NaiveDate)>,
    /// The mining hot spots: (name, lon, lat).
    pub hot_spots: Vec<(String, f64, f64)>,
}

/// Who and why, in the history of every demo row.
pub fn demo_change() -> ChangeMeta {
    ChangeMeta::new(
        "demo",
        "demo: 生成的演示数据，非实测 / generated demonstration data, not measurements",
    )
}

/// A small deterministic generator (SplitMix64), so the demo needs no extra crates.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn f(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f()
    }
    fn below(&mut self, n: usize) -> usize {
        ((self.f() * n as f64) as usize).min(n.saturating_sub(1))
    }
    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u1 = self.f().max(1e-12);
        let u2 = self.f();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
    fn chance(&mut self, p: f64) -> bool {
        self.f() < p
    }
    /// Pick by weights.
    fn pick<T: Copy>(&mut self, items: &[(T, f64)]) -> T {
        let total: f64 = items.iter().map(|i| i.1).sum();
        let mut x = self.f() * total;
        for (v, w) in items {
            if x < *w {
                return *v;
            }
            x -= w;
        }
        items[items.len() - 1].0
    }
}

/// A mining hot spot: centre, radius (degrees) and enrichment of each metal.
struct HotSpot {
    county: &'static str,
    name: &'static str,
    /// Where in the county's bounding box the centre lies (fractions), moved inside if needed.
    at: (f64, f64),
    radius: f64,
    /// (analyte, factor at the centre)
    enrich: &'static [(&'static str, f64)],
}

const HOT_SPOTS: &[HotSpot] = &[
    HotSpot {
        county: "513402",
        name: "会理 铅锌铜矿区",
        at: (0.45, 0.35),
        radius: 0.12,
        enrich: &[
            ("Cd", 6.0),
            ("Pb", 4.0),
            ("Zn", 3.5),
            ("Cu", 3.0),
            ("As", 1.5),
        ],
    },
    HotSpot {
        county: "513426",
        name: "会东 铅锌矿区",
        at: (0.55, 0.45),
        radius: 0.10,
        enrich: &[("Cd", 8.0), ("Pb", 5.0), ("Zn", 4.0), ("Hg", 1.8)],
    },
    HotSpot {
        county: "513435",
        name: "甘洛 铅锌矿区",
        at: (0.5, 0.5),
        radius: 0.09,
        enrich: &[("Cd", 7.0), ("Pb", 6.0), ("Zn", 4.5), ("As", 2.0)],
    },
    HotSpot {
        county: "513433",
        name: "冕宁 稀土矿区",
        at: (0.5, 0.4),
        radius: 0.10,
        enrich: &[("Pb", 3.0), ("Cd", 2.5), ("Cr", 1.6), ("Ni", 1.5)],
    },
];

/// Soil metals: (analyte, regional median mg/kg, log-sd, detection limit).
const SOIL_METALS: &[(&str, f64, f64, f64)] = &[
    ("Cd", 0.16, 0.45, 0.01),
    ("Hg", 0.07, 0.5, 0.002),
    ("As", 9.5, 0.4, 0.01),
    ("Pb", 32.0, 0.35, 0.1),
    ("Cr", 85.0, 0.3, 4.0),
    ("Cu", 35.0, 0.35, 1.0),
    ("Ni", 34.0, 0.3, 3.0),
    ("Zn", 95.0, 0.3, 1.0),
];

/// Crop items: (analyte, transfer factor from soil).
const CROP_METALS: &[(&str, f64)] = &[
    ("Cd", 0.25),
    ("Pb", 0.004),
    ("As", 0.02),
    ("Hg", 0.08),
    ("Cr", 0.005),
];

/// Water items: (analyte, median mg/L, detection limit mg/L).
const WATER_METALS: &[(&str, f64, f64)] = &[
    ("Cd", 0.0004, 0.0001),
    ("Pb", 0.002, 0.001),
    ("As", 0.003, 0.0003),
    ("Hg", 0.00004, 0.00004),
];

struct County {
    code: DivisionCode,
    shape: geo::MultiPolygon<f64>,
    bbox: geo::Rect<f64>,
    area: f64,
}

impl County {
    fn random_inside(&self, rng: &mut Rng) -> (f64, f64) {
        for _ in 0..10_000 {
            let x = rng.range(self.bbox.min().x, self.bbox.max().x);
            let y = rng.range(self.bbox.min().y, self.bbox.max().y);
            if self.shape.contains(&geo::Point::new(x, y)) {
                return (x, y);
            }
        }
        self.bbox.center().x_y()
    }

    /// A point near (x, y) inside the county (normal spread `sd` degrees).
    fn near(&self, rng: &mut Rng, x: f64, y: f64, sd: f64) -> (f64, f64) {
        for _ in 0..200 {
            let (px, py) = (x + rng.normal() * sd, y + rng.normal() * sd);
            if self.shape.contains(&geo::Point::new(px, py)) {
                return (px, py);
            }
        }
        self.random_inside(rng)
    }
}

/// Regional trend of a metal at a place: smooth waves, factor around 1.
fn trend(analyte_index: usize, x: f64, y: f64) -> f64 {
    let k = analyte_index as f64;
    let a = (x * (2.1 + 0.3 * k) + k).sin() * 0.25;
    let b = (y * (2.7 - 0.2 * k) + 1.7 * k).cos() * 0.2;
    let c = ((x + y) * 1.3 + 0.5 * k).sin() * 0.15;
    (a + b + c).exp()
}

fn hot_factor(spots: &[(f64, f64, &HotSpot)], analyte: &str, x: f64, y: f64) -> f64 {
    let mut f = 1.0;
    for (cx, cy, h) in spots {
        if let Some((_, e)) = h.enrich.iter().find(|(a, _)| *a == analyte) {
            let d2 = (x - cx).powi(2) + (y - cy).powi(2);
            f *= 1.0 + (e - 1.0) * (-d2 / (2.0 * h.radius * h.radius)).exp();
        }
    }
    f
}

fn amount(v: f64, decimals: usize) -> StoreResult<soilwatch_core::Amount> {
    format!("{v:.decimals$}")
        .parse()
        .map_err(|e| StoreError::Invalid(format!("demo value {v}: {e}")))
}

fn ymd(y: i32, m: u32, d: u32) -> StoreResult<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
        .ok_or_else(|| StoreError::Invalid(format!("demo date {y}-{m}-{d}")))
}

/// Generate the dataset (pure: no database).
pub fn generate(opts: &DemoOptions) -> StoreResult<DemoData> {
    let mut samples = Vec::new();
    let mut data = generate_each(opts, |s| {
        samples.push(s);
        Ok(())
    })?;
    data.samples = samples;
    Ok(data)
}

/// [`generate`], handing each sample to `each` as it is made instead of keeping it (the returned
/// data has no samples): the benchmark writes a dataset of any size with flat memory (issue 12).
/// The same options give the same samples in the same order as [`generate`].
pub fn generate_each(
    opts: &DemoOptions,
    mut each: impl FnMut(SampleWithResults) -> StoreResult<()>,
) -> StoreResult<DemoData> {
    let mut rng = Rng(opts.seed);
    let counties: Vec<County> = seed::default_divisions()?
        .into_iter()
        .filter(|d| d.level == DivisionLevel::County)
        .filter_map(|d| {
            let shape = d.boundary?;
            let bbox = shape.bounding_rect()?;
            Some(County {
                code: d.code,
                area: d.area_km2.unwrap_or(1000.0),
                shape,
                bbox,
            })
        })
        .collect();
    if counties.is_empty() {
        return Err(StoreError::Invalid(
            "demo: no county boundaries in the seed data".into(),
        ));
    }
    let by_code: HashMap<String, &County> =
        counties.iter().map(|c| (c.code.to_string(), c)).collect();
    let mut spots: Vec<(f64, f64, &HotSpot)> = Vec::new();
    for h in HOT_SPOTS {
        if let Some(c) = by_code.get(h.county) {
            let x = c.bbox.min().x + h.at.0 * c.bbox.width();
            let y = c.bbox.min().y + h.at.1 * c.bbox.height();
            let (x, y) = c.near(&mut rng, x, y, 0.02);
            spots.push((x, y, h));
        }
    }

    // Points per county: proportional to the square root of the area, at least 60 for 3,000.
    let weights: Vec<f64> = counties.iter().map(|c| c.area.sqrt()).collect();
    let wsum: f64 = weights.iter().sum();
    let types: &[(PointType, f64)] = &[
        (PointType::Basic, 0.55),
        (PointType::Background, 0.08),
        (PointType::Risk, 0.20),
        (PointType::DetailedSurvey, 0.06),
        (PointType::EnterpriseSelfMonitoring, 0.04),
        (PointType::IrrigationIntake, 0.035),
        (PointType::GroundwaterWell, 0.025),
        (PointType::SurfaceWaterSection, 0.01),
    ];
    let levels: &[(ControlLevel, f64)] = &[
        (ControlLevel::National, 0.08),
        (ControlLevel::Provincial, 0.17),
        (ControlLevel::Prefecture, 0.35),
        (ControlLevel::County, 0.40),
    ];
    let risk_cats: &[(RiskAreaCategory, f64)] = &[
        (RiskAreaCategory::HeavyPollutionEnterprise, 0.16),
        (RiskAreaCategory::IndustrialPark, 0.1),
        (RiskAreaCategory::LegacyIndustrialSite, 0.06),
        (RiskAreaCategory::SolidWasteDisposal, 0.06),
        (RiskAreaCategory::VegetableGrainBase, 0.14),
        (RiskAreaCategory::LivestockBase, 0.08),
        (RiskAreaCategory::DrinkingWaterSource, 0.08),
        (RiskAreaCategory::MiningArea, 0.14),
        (RiskAreaCategory::TailingsPond, 0.06),
        (RiskAreaCategory::TrafficCorridor, 0.07),
        (RiskAreaCategory::FillingStation, 0.05),
    ];
    let farm: &[(&str, f64)] = &[("0101", 0.42), ("0103", 0.43), ("0201", 0.15)];
    let first = opts.end_year - opts.years + 1;

    let mut points = Vec::with_capacity(opts.points);
    for (ci, c) in counties.iter().enumerate() {
        let n = ((opts.points as f64) * weights[ci] / wsum)
            .round()
            .max(12.0) as usize;
        let county_code = c.code.to_string();
        let mining_county = spots.iter().find(|s| s.2.county == county_code).copied();
        for i in 0..n {
            // The first three points of each county are one of each core type, so the network
            // covers every county (except the deliberate gap).
            let mut point_type = match i {
                0 => PointType::Background,
                1 => PointType::Basic,
                2 => PointType::Risk,
                _ => rng.pick(types),
            };
            if county_code == "513430" && point_type == PointType::Background {
                point_type = PointType::Basic; // 金阳县: deliberately without background points
            }
            let control_level = match point_type {
                PointType::Background => rng.pick(&levels[..2]),
                PointType::EnterpriseSelfMonitoring => ControlLevel::County,
                _ => rng.pick(levels),
            };
            let mut risk_category = None;
            let (x, y) = if point_type == PointType::Risk {
                let cat = match mining_county {
                    Some(_) if rng.chance(0.45) => RiskAreaCategory::MiningArea,
                    _ => rng.pick(risk_cats),
                };
                risk_category = Some(cat);
                match (cat, mining_county) {
                    (RiskAreaCategory::MiningArea | RiskAreaCategory::TailingsPond, Some(s)) => {
                        c.near(&mut rng, s.0, s.1, s.2.radius * 0.8)
                    }
                    _ => c.random_inside(&mut rng),
                }
            } else if point_type == PointType::EnterpriseSelfMonitoring {
                match mining_county {
                    Some(s) if rng.chance(0.5) => c.near(&mut rng, s.0, s.1, s.2.radius),
                    _ => c.random_inside(&mut rng),
                }
            } else {
                c.random_inside(&mut rng)
            };
            let land_use = match point_type {
                PointType::Background => Some("0301"),
                PointType::Basic | PointType::DetailedSurvey => Some(rng.pick(farm)),
                PointType::Risk => match risk_category {
                    Some(RiskAreaCategory::VegetableGrainBase) => Some(rng.pick(farm)),
                    Some(RiskAreaCategory::MiningArea | RiskAreaCategory::TailingsPond) => {
                        Some(if rng.chance(0.5) { "0103" } else { "0602" })
                    }
                    _ => Some(rng.pick(farm)),
                },
                PointType::EnterpriseSelfMonitoring => Some("0601"),
                _ => None,
            }
            .and_then(LandUse::from_code);
            let established = match point_type {
                PointType::DetailedSurvey => ymd(2018, 3 + rng.below(6) as u32, 1)?,
                _ if rng.chance(0.85) => ymd(first - 1, 1 + rng.below(12) as u32, 1)?,
                _ => ymd(first + rng.below(5) as i32, 1 + rng.below(12) as u32, 1)?,
            };
            let code = format!("{DEMO_PREFIX}{county_code}-{:04}", i + 1);
            let name_kind = match point_type {
                PointType::Background => "背景点",
                PointType::Basic => "基础点",
                PointType::Risk => "风险点",
                PointType::DetailedSurvey => "详查点",
                PointType::EnterpriseSelfMonitoring => "企业自行监测点",
                PointType::IrrigationIntake => "灌溉水取水点",
                PointType::GroundwaterWell => "地下水监测井",
                PointType::SurfaceWaterSection => "地表水断面",
            };
            let location = LonLat::new((x * 1e6).round() / 1e6, (y * 1e6).round() / 1e6)
                .map_err(|e| StoreError::Invalid(format!("demo location: {e}")))?;
            let watched_enterprise = (point_type == PointType::EnterpriseSelfMonitoring
                || risk_category == Some(RiskAreaCategory::HeavyPollutionEnterprise))
            .then(|| format!("DEMO-ENT-{county_code}-{:03}", rng.below(40) + 1));
            let watched_plot = (risk_category == Some(RiskAreaCategory::LegacyIndustrialSite))
                .then(|| format!("DEMO-PLOT-{county_code}-{:03}", rng.below(20) + 1));
            points.push(NetworkPoint {
                point: MonitoringPoint {
                    code,
                    name: format!("演示{name_kind}{:04}", i + 1),
                    point_type,
                    control_level,
                    division: c.code,
                    location,
                    land_use,
                    risk_category: risk_category.map(|c| c.code().to_owned()),
                    established_on: Some(established),
                    retired_on: None,
                },
                watched_enterprise,
                watched_plot,
                moved_on: None,
            });
        }
    }

    // Samples.
    let mut seq = 0usize;
    let mut next_code = |year: i32, prefix: &str| {
        seq += 1;
        format!("{DEMO_PREFIX}{prefix}{year}-{seq:07}")
    };
    let mut moves = Vec::new();
    let mut retirements = Vec::new();
    for (pi, p) in points.iter().enumerate() {
        let pt = &p.point;
        let (x, y) = (pt.location.lon(), pt.location.lat());
        let phase = rng.below(3) as i32;
        let idle_after = if rng.chance(0.03) {
            Some(first + 2 + rng.below(3) as i32)
        } else {
            None
        };
        let est_year = pt
            .established_on
            .map(|d| d.format("%Y").to_string().parse::<i32>().unwrap_or(first))
            .unwrap_or(first);
        // The point's own level: a persistent local anomaly.
        let local: Vec<f64> = SOIL_METALS
            .iter()
            .map(|m| (rng.normal() * m.2).exp())
            .collect();
        let ph_base =
            (6.2 + 0.9 * ((x * 3.1).sin() + (y * 2.3).cos()) + rng.normal() * 0.5).clamp(4.5, 8.5);
        let crop_paired = matches!(pt.point_type, PointType::Basic | PointType::Risk)
            && pt.land_use.and_then(|l| l.farmland_group()).is_some()
            && rng.chance(0.3);
        for year in first..=opts.end_year {
            if year < est_year || idle_after.is_some_and(|y| year > y) {
                continue;
            }
            let due = match pt.point_type {
                PointType::Background => (year - first) % 5 == phase % 5,
                PointType::Basic => (year + phase) % 3 == 0,
                PointType::Risk | PointType::EnterpriseSelfMonitoring => true,
                PointType::DetailedSurvey => year == est_year,
                _ => true,
            };
            if !due {
                continue;
            }
            let sampled_on = ymd(year, 4 + rng.below(6) as u32, 1 + rng.below(28) as u32)?;
            if pt.point_type.code().ends_with("intake")
                || matches!(
                    pt.point_type,
                    PointType::GroundwaterWell | PointType::SurfaceWaterSection
                )
            {
                let medium = match pt.point_type {
                    PointType::IrrigationIntake => Medium::IrrigationWater,
                    PointType::GroundwaterWell => Medium::Groundwater,
                    _ => Medium::SurfaceWater,
                };
                let code = next_code(year, "W");
                let mut results = Vec::new();
                for (a, med, dl) in WATER_METALS {
                    let v = med
                        * trend(1, x, y)
                        * hot_factor(&spots, a, x, y).sqrt()
                        * (rng.normal() * 0.5).exp();
                    results.push(result(&code, a, v, *dl, Unit::MgPerL, 6, "HJ 700-2014")?);
                }
                each(SampleWithResults {
                    sample: Sample {
                        code,
                        point_code: Some(pt.code.clone()),
                        medium,
                        division: pt.division,
                        sampled_on,
                        land_use: None,
                        crop: None,
                        depth_cm: None,
                        lab: Some("凉山州环境监测中心站（演示）".into()),
                    },
                    results,
                })?;
                continue;
            }
            let code = next_code(year, "S");
            let drift = 1.0 + 0.01 * f64::from(year - first); // slow accumulation
            let mut results = Vec::new();
            let mut soil_values = HashMap::new();
            for (k, (a, med, sd, dl)) in SOIL_METALS.iter().enumerate() {
                let v = med
                    * trend(k, x, y)
                    * hot_factor(&spots, a, x, y)
                    * local[k]
                    * drift
                    * (rng.normal() * sd * 0.35).exp();
                soil_values.insert(*a, v);
                let method = match *a {
                    "Hg" | "As" => "GB/T 22105-2008",
                    _ => "HJ 780-2015",
                };
                results.push(result(&code, a, v, *dl, Unit::MgPerKg, 3, method)?);
            }
            let ph = (ph_base + rng.normal() * 0.15).clamp(4.0, 9.0);
            results.push(AnalysisResult {
                sample_code: code.clone(),
                analyte: "pH".into(),
                value: Some(amount(ph, 2)?),
                unit: Unit::Dimensionless,
                detection_limit: None,
                qualifier: Qualifier::Detected,
                method: Some("HJ 962-2018".into()),
            });
            each(SampleWithResults {
                sample: Sample {
                    code: code.clone(),
                    point_code: Some(pt.code.clone()),
                    medium: Medium::Soil,
                    division: pt.division,
                    sampled_on,
                    land_use: pt.land_use,
                    crop: None,
                    depth_cm: Some((0, 20)),
                    lab: Some("凉山州环境监测中心站（演示）".into()),
                },
                results,
            })?;
            if crop_paired {
                let crop = match pt.land_use.and_then(|l| l.farmland_group()) {
                    Some(soilwatch_core::FarmlandGroup::Paddy) => "水稻",
                    Some(soilwatch_core::FarmlandGroup::Orchard) => "石榴",
                    _ => {
                        if rng.chance(0.6) {
                            "玉米"
                        } else {
                            "马铃薯"
                        }
                    }
                };
                let ccode = next_code(year, "C");
                let acid = if ph < 6.5 { 1.6 } else { 1.0 };
                let mut results = Vec::new();
                for (a, tf) in CROP_METALS {
                    let soil = soil_values.get(a).copied().unwrap_or(0.0);
                    let v = soil * tf * acid * (rng.normal() * 0.4).exp();
                    results.push(result(&ccode, a, v, 0.001, Unit::MgPerKg, 4, "GB 5009")?);
                }
                each(SampleWithResults {
                    sample: Sample {
                        code: ccode,
                        point_code: Some(pt.code.clone()),
                        medium: Medium::AgriculturalProduct,
                        division: pt.division,
                        sampled_on,
                        land_use: pt.land_use,
                        crop: Some(crop.into()),
                        depth_cm: None,
                        lab: Some("凉山州农产品质量安全检测中心（演示）".into()),
                    },
                    results,
                })?;
            }
        }
        // A few points moved or retired, so histories show it.
        if pi % 150 == 7 {
            let c = by_code
                .get(&pt.division.to_string())
                .ok_or_else(|| StoreError::Invalid("demo: county".into()))?;
            let (nx, ny) = c.near(&mut rng, x, y, 0.003);
            let date = ymd(first + 4, 3, 15)?;
            moves.push((
                pt.code.clone(),
                (nx * 1e6).round() / 1e6,
                (ny * 1e6).round() / 1e6,
                date,
            ));
        } else if pi % 211 == 11 && idle_after.is_some() {
            retirements.push((pt.code.clone(), ymd(opts.end_year, 1, 10)?));
        }
    }
    Ok(DemoData {
        points,
        samples: Vec::new(),
        moves,
        retirements,
        hot_spots: spots
            .iter()
            .map(|(x, y, h)| (h.name.to_owned(), *x, *y))
            .collect(),
    })
}

fn result(
    sample_code: &str,
    analyte: &str,
    v: f64,
    dl: f64,
    unit: Unit,
    decimals: usize,
    method: &str,
) -> StoreResult<AnalysisResult> {
    let nd = v < dl;
    Ok(AnalysisResult {
        sample_code: sample_code.to_owned(),
        analyte: analyte.to_owned(),
        value: if nd { None } else { Some(amount(v, decimals)?) },
        unit,
        detection_limit: Some(amount(dl, decimals.max(6))?),
        qualifier: if nd {
            Qualifier::NotDetected
        } else {
            Qualifier::Detected
        },
        method: Some(method.to_owned()),
    })
}

/// Generate and load the demo into an empty database (migrated and seeded). Refuses a database
/// that already has points or samples.
pub async fn load(store: &dyn Store, opts: &DemoOptions) -> StoreResult<DemoReport> {
    let (points, samples) = store.count_points_and_samples().await?;
    if points > 0 || samples > 0 {
        return Err(StoreError::Conflict {
            constraint: "demo_needs_empty_database".into(),
            detail: format!(
                "演示数据只能载入空数据库，此库已有 {points} 个点位、{samples} 个样品 / demo data \
                 loads into an empty database only; this one has {points} points and {samples} samples"
            ),
        });
    }
    let data = generate(opts)?;
    let change = demo_change();
    store.create_points(&data.points, &change).await?;
    let mut report = DemoReport {
        points: data.points.len(),
        samples: 0,
        results: 0,
        moved: 0,
        retired: 0,
    };
    let (samples, results) = write_samples(store, opts, &data.samples).await?;
    report.samples = samples;
    report.results = results;
    for (code, x, y, on) in &data.moves {
        let mut p = store.get_point_record(code).await?.point;
        p.point.location =
            LonLat::new(*x, *y).map_err(|e| StoreError::Invalid(format!("demo move: {e}")))?;
        p.moved_on = Some(*on);
        let why = ChangeMeta::new(
            "demo",
            "demo: 点位迁移（原址施工）/ point moved (construction at the old site)",
        );
        store.update_network_point(&p, &why).await?;
        report.moved += 1;
    }
    for (code, on) in &data.retirements {
        let why = ChangeMeta::new("demo", "demo: 点位撤销 / point retired");
        store.retire_point(code, *on, &why).await?;
        report.retired += 1;
    }
    Ok(report)
}

/// Samples per chunk handed to the bulk writer.
const WRITE_CHUNK: usize = 2_000;

/// The demo's samples and results through the import's bulk writer ([`crate::import_write`]:
/// `COPY` on PostgreSQL, many-row prepared `INSERT`s on SQLite) as one import batch whose
/// provenance names the demo (uploader `demo`, the file name says generated data), instead of
/// one `INSERT … RETURNING` and one history row per row. All or nothing: the batch commits after
/// the last chunk. Returns the samples and results written.
async fn write_samples(
    store: &dyn Store,
    opts: &DemoOptions,
    samples: &[SampleWithResults],
) -> StoreResult<(usize, usize)> {
    let change = demo_change();
    let meta = NewImport {
        kind: "results_long".into(),
        file_name: format!(
            "{DEMO_PREFIX}{}-{}-{}-{}: {}",
            opts.seed, opts.points, opts.end_year, opts.years, change.reason
        ),
        checksum: format!(
            "demo-{}-{}-{}-{}",
            opts.seed, opts.points, opts.end_year, opts.years
        ),
        uploader: change.actor.clone(),
        department: None,
        rows_read: 0,
        report: serde_json::Value::Null,
    };
    let mut writer = store.begin_import(&meta, true).await?;
    let (mut rows, mut written) = (0_u64, 0_usize);
    for chunk in samples.chunks(WRITE_CHUNK) {
        let mut records = Vec::with_capacity(chunk.len());
        for item in chunk {
            if let Some((top, bottom)) = item.sample.depth_cm {
                if top >= bottom {
                    return Err(StoreError::Invalid(format!(
                        "demo: sample {}: depth top {top} must be above bottom {bottom}",
                        item.sample.code
                    )));
                }
            }
            let mut results = Vec::with_capacity(item.results.len());
            for r in &item.results {
                r.validate().map_err(|e| {
                    StoreError::Invalid(format!("demo: sample {}: {e}", r.sample_code))
                })?;
                rows += 1;
                results.push(ParsedResult {
                    row: rows,
                    column: r.analyte.clone(),
                    result: r.clone(),
                    original_value: r.value.map(|v| v.to_string()).unwrap_or_default(),
                    original_unit: r.unit.symbol().to_owned(),
                    stored: StoredState::New,
                });
            }
            written += results.len();
            records.push(Record::Results {
                sample: ParsedSample {
                    row: rows,
                    sample: item.sample.clone(),
                    location: None,
                    first_in_file: true,
                    stored: StoredState::New,
                },
                results,
            });
        }
        writer.write(records).await?;
    }
    let report = serde_json::json!({
        "demo": true,
        "samples": samples.len(),
        "results": written,
    });
    writer
        .commit(i64::try_from(rows).unwrap_or(i64::MAX), &report)
        .await?;
    Ok((samples.len(), written))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_inside_counties() {
        let opts = DemoOptions {
            points: 400,
            ..DemoOptions::default()
        };
        let a = generate(&opts).unwrap();
        let b = generate(&opts).unwrap();
        assert_eq!(a.points, b.points);
        assert_eq!(a.samples.len(), b.samples.len());
        assert_eq!(a.samples[100], b.samples[100]);
        let divisions = seed::default_divisions().unwrap();
        for p in &a.points {
            let d = divisions
                .iter()
                .find(|d| d.code == p.point.division)
                .unwrap();
            let loc = p.point.location;
            assert!(
                d.boundary
                    .as_ref()
                    .unwrap()
                    .contains(&geo::Point::new(loc.lon(), loc.lat())),
                "{} outside {}",
                p.point.code,
                d.name
            );
            assert!(p.point.code.starts_with(DEMO_PREFIX));
        }
        let counties: std::collections::HashSet<_> =
            a.points.iter().map(|p| p.point.division).collect();
        assert_eq!(counties.len(), 17);
        assert!(a
            .samples
            .iter()
            .any(|s| s.sample.medium == Medium::AgriculturalProduct));
    }

    #[test]
    fn mining_hot_spots_are_enriched() {
        let data = generate(&DemoOptions::default()).unwrap();
        let mean_cd = |county: &str, cat: Option<&str>| {
            let codes: std::collections::HashSet<&str> = data
                .points
                .iter()
                .filter(|p| p.point.division.to_string() == county)
                .filter(|p| cat.is_none() || p.point.risk_category.as_deref() == cat)
                .map(|p| p.point.code.as_str())
                .collect();
            let v: Vec<f64> = data
                .samples
                .iter()
                .filter(|s| s.sample.medium == Medium::Soil)
                .filter(|s| codes.contains(s.sample.point_code.as_deref().unwrap_or("")))
                .flat_map(|s| s.results.iter())
                .filter(|r| r.analyte == "Cd")
                .filter_map(|r| r.value)
                .map(|v| v.to_string().parse::<f64>().unwrap())
                .collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        let mining = mean_cd("513426", Some("mining_area"));
        let xichang = mean_cd("513401", None);
        assert!(mining > 2.0 * xichang, "{mining} vs {xichang}");
    }
}
