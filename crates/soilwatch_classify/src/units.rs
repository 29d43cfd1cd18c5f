//! 评价单元 — evaluation units: land parcels read from GeoJSON or GeoPackage geometries, or a
//! regular grid clipped to a county where the county has no parcel data; areas in mu (亩) and
//! hectares computed in the 3° Gauss–Krüger zone (CGCS2000) of each unit.
//!
//! Coordinates are CGCS2000 longitude/latitude. WGS 84 input is accepted as it is: the two
//! frames differ by a few centimetres, far below the accuracy of a land parcel. Any other CRS is
//! refused, naming the CRS found.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use geo::{BooleanOps, BoundingRect, Contains, InteriorPoint, Intersects, MultiPolygon, Polygon};
use geozero::ToGeo;
use serde::{Deserialize, Serialize};
use soilwatch_core::{DivisionCode, DivisionLevel, LandUse};

use crate::error::{ClassifyError, ClassifyResult};

/// Square metres in one mu (亩): exactly 10000/15 m² (666.666… m²).
pub const SQUARE_METRES_PER_MU: f64 = 10_000.0 / 15.0;

/// The most grid cells one county may be cut into.
pub const MAX_GRID_CELLS: usize = 200_000;

/// Where a unit comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitSource {
    /// 地块 / 图斑 — a land parcel from a file.
    Parcel,
    /// 网格 — a grid cell clipped to its county.
    Grid,
}

impl UnitSource {
    pub fn code(self) -> &'static str {
        match self {
            UnitSource::Parcel => "parcel",
            UnitSource::Grid => "grid",
        }
    }
}

impl fmt::Display for UnitSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for UnitSource {
    type Err = ClassifyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "parcel" => Ok(UnitSource::Parcel),
            "grid" => Ok(UnitSource::Grid),
            _ => Err(ClassifyError::Setting {
                field: "source",
                value: s.to_owned(),
                expected: "parcel | grid",
            }),
        }
    }
}

/// 评价单元 — one evaluation unit.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationUnit {
    /// Identifier: the parcel's identifier, or `G{county}-{cell}m-{row}-{col}` for grid cells.
    pub code: String,
    /// The county the unit lies in.
    pub division: DivisionCode,
    pub source: UnitSource,
    /// GB/T 21010 land use (parcels); grid cells have none.
    pub land_use: Option<LandUse>,
    /// CGCS2000 longitude/latitude.
    pub geometry: MultiPolygon<f64>,
    /// Area in mu (亩), computed in the unit's 3° Gauss–Krüger zone.
    pub area_mu: f64,
    /// Area in hectares.
    pub area_ha: f64,
}

impl EvaluationUnit {
    /// A unit with its areas computed.
    pub fn new(
        code: String,
        division: DivisionCode,
        source: UnitSource,
        land_use: Option<LandUse>,
        geometry: MultiPolygon<f64>,
    ) -> ClassifyResult<Self> {
        let (area_mu, area_ha) = areas(&geometry)?;
        Ok(Self {
            code,
            division,
            source,
            land_use,
            geometry,
            area_mu,
            area_ha,
        })
    }

    /// A point inside the unit (where interpolated values are estimated).
    pub fn anchor(&self) -> Option<(f64, f64)> {
        self.geometry.interior_point().map(|p| (p.x(), p.y()))
    }
}

/// Area of a longitude/latitude (multi)polygon in mu and hectares, computed in the 3°
/// Gauss–Krüger zone of its centroid.
///
/// # Examples
/// ```
/// use geo::polygon;
/// // 0.01° × 0.01° at 27.9° N: about 1,112 m × 983 m ≈ 109 ha ≈ 1,640 mu.
/// let cell: geo::MultiPolygon<f64> = polygon![(x: 102.25, y: 27.9), (x: 102.26, y: 27.9),
///     (x: 102.26, y: 27.91), (x: 102.25, y: 27.91), (x: 102.25, y: 27.9)].into();
/// let (mu, ha) = soilwatch_classify::units::areas(&cell).unwrap();
/// assert!((mu / ha - 15.0).abs() < 1e-9); // 1 ha = 15 mu
/// assert!((105.0..112.0).contains(&ha), "{ha}");
/// ```
pub fn areas(geom: &MultiPolygon<f64>) -> ClassifyResult<(f64, f64)> {
    let m2 = soilwatch_geostat::area_km2(geom)? * 1.0e6;
    Ok((m2 / SQUARE_METRES_PER_MU, m2 / 10_000.0))
}

/// A county's boundary, to place units and clip grids.
#[derive(Debug, Clone, Copy)]
pub struct County<'a> {
    pub code: DivisionCode,
    pub boundary: &'a MultiPolygon<f64>,
}

/// How to read a unit file's attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitFileOptions {
    /// Property holding the identifier (default: the feature id, then `code`, `id`, `DKBM`,
    /// `TBBH`, `BSM`).
    pub id_field: Option<String>,
    /// Property holding the GB/T 21010 land-use code (default: `land_use`, `DLBM`, `landuse`).
    pub land_use_field: Option<String>,
    /// The county of every unit (default: property `division` or `XZQDM`, else the county
    /// containing the unit).
    pub division: Option<DivisionCode>,
}

const ID_FIELDS: &[&str] = &["code", "id", "DKBM", "dkbm", "TBBH", "tbbh", "BSM", "bsm"];
const LAND_USE_FIELDS: &[&str] = &["land_use", "DLBM", "dlbm", "landuse", "地类编码"];
const DIVISION_FIELDS: &[&str] = &["division", "XZQDM", "xzqdm", "county"];

/// One feature as read from a file, before checking.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFeature {
    /// Feature number in the file, from 1.
    pub number: usize,
    /// The feature's own id (GeoJSON `id`, GeoPackage primary key), used when no id field is set.
    pub feature_id: Option<String>,
    /// Attribute name → text.
    pub properties: Vec<(String, String)>,
    pub geometry: Option<geo::Geometry<f64>>,
}

impl RawFeature {
    /// A non-empty attribute, trimmed.
    pub fn prop(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }
}

fn unit_err(msg: String) -> ClassifyError {
    ClassifyError::UnitFile(msg)
}

/// Whether a CRS name is CGCS2000 or WGS 84 longitude/latitude.
pub fn crs_is_supported(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    let code = n.rsplit([':', '/']).next().unwrap_or_default();
    matches!(code, "4490" | "4326" | "CRS84")
}

/// Read parcels from GeoJSON bytes (a FeatureCollection of Polygon/MultiPolygon features).
///
/// A `crs` member naming anything but EPSG:4490, EPSG:4326 or CRS84 is refused, naming it; so
/// are coordinates outside China's longitude/latitude extent (projected coordinates without a
/// `crs` member).
pub fn units_from_geojson(
    bytes: &[u8],
    opts: &UnitFileOptions,
    counties: &[County<'_>],
) -> ClassifyResult<Vec<EvaluationUnit>> {
    units_from_features(features_from_geojson(bytes)?, opts, counties)
}

/// The features of GeoJSON bytes (a FeatureCollection), unchecked but for the CRS: a `crs`
/// member naming anything but EPSG:4490, EPSG:4326 or CRS84 is refused, naming it. Used for
/// parcels ([`units_from_geojson`]) and plot boundaries alike.
pub fn features_from_geojson(bytes: &[u8]) -> ClassifyResult<Vec<RawFeature>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        unit_err(format!(
            "不是有效的 GeoJSON / not valid GeoJSON: {e} (expected a FeatureCollection)"
        ))
    })?;
    if let Some(crs) = value.get("crs") {
        let name = crs
            .pointer("/properties/name")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| crs.to_string());
        if !crs_is_supported(&name) {
            return Err(ClassifyError::UnsupportedCrs { found: name });
        }
    }
    let fc = geojson::FeatureCollection::try_from(value).map_err(|e| {
        unit_err(format!(
            "GeoJSON 须为 FeatureCollection / GeoJSON must be a FeatureCollection: {e}"
        ))
    })?;
    let mut raw = Vec::with_capacity(fc.features.len());
    for (i, f) in fc.features.into_iter().enumerate() {
        let number = i + 1;
        let feature_id = f.id.as_ref().map(|id| match id {
            geojson::feature::Id::String(s) => s.clone(),
            geojson::feature::Id::Number(n) => n.to_string(),
        });
        let properties = f
            .properties
            .iter()
            .flatten()
            .filter_map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Null => return None,
                    other => other.to_string(),
                };
                Some((k.clone(), text))
            })
            .collect();
        let geometry = match f.geometry {
            Some(g) => Some(geo::Geometry::<f64>::try_from(g).map_err(|e| {
                unit_err(format!(
                    "第 {number} 个要素的几何无效 / feature {number}: invalid geometry: {e}"
                ))
            })?),
            None => None,
        };
        raw.push(RawFeature {
            number,
            feature_id,
            properties,
            geometry,
        });
    }
    Ok(raw)
}

/// The geometry of a GeoPackage geometry blob (the GeoPackage binary header, then WKB), with
/// the blob's SRS id.
pub fn gpkg_geometry(blob: &[u8]) -> ClassifyResult<(i32, Option<geo::Geometry<f64>>)> {
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return Err(unit_err(
            "GeoPackage 几何不以 'GP' 开头 / a GeoPackage geometry must start with 'GP'".into(),
        ));
    }
    let flags = blob[3];
    if flags & 0b0010_0000 != 0 {
        return Err(unit_err(
            "不支持 GeoPackage 扩展几何类型 / extended GeoPackage geometry types are not supported"
                .into(),
        ));
    }
    let little = flags & 1 == 1;
    let srs = [blob[4], blob[5], blob[6], blob[7]];
    let srs_id = if little {
        i32::from_le_bytes(srs)
    } else {
        i32::from_be_bytes(srs)
    };
    let envelope = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        e => {
            return Err(unit_err(format!(
                "GeoPackage 几何的包络类型 {e} 无效 / invalid envelope indicator {e}"
            )))
        }
    };
    if flags & 0b0001_0000 != 0 {
        return Ok((srs_id, None)); // empty geometry
    }
    let wkb = blob
        .get(8 + envelope..)
        .ok_or_else(|| unit_err("GeoPackage 几何过短 / GeoPackage geometry too short".into()))?;
    let g = geozero::wkb::Wkb(wkb.to_vec())
        .to_geo()
        .map_err(|e| unit_err(format!("WKB: {e}")))?;
    Ok((srs_id, Some(g)))
}

/// Check features and make units: an identifier (unique), a GB/T 21010 land-use code, a
/// polygon in longitude/latitude, a county.
pub fn units_from_features(
    raw: Vec<RawFeature>,
    opts: &UnitFileOptions,
    counties: &[County<'_>],
) -> ClassifyResult<Vec<EvaluationUnit>> {
    if raw.is_empty() {
        return Err(unit_err("文件中没有要素 / the file has no features".into()));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(raw.len());
    for f in raw {
        let n = f.number;
        let code = match &opts.id_field {
            Some(field) => f.prop(field).map(str::to_owned),
            None => f
                .feature_id
                .clone()
                .or_else(|| ID_FIELDS.iter().find_map(|k| f.prop(k)).map(str::to_owned)),
        }
        .ok_or_else(|| {
            unit_err(format!(
                "第 {n} 个要素没有标识 / feature {n}: no identifier (expected property {})",
                opts.id_field
                    .clone()
                    .unwrap_or_else(|| format!("id or one of {}", ID_FIELDS.join(", ")))
            ))
        })?;
        if code.len() > 64 || code.contains('/') {
            return Err(unit_err(format!(
                "第 {n} 个要素的标识 '{code}' 过长或含 / / feature {n}: identifier '{code}' must be \
                 at most 64 characters without '/'"
            )));
        }
        if !seen.insert(code.clone()) {
            return Err(unit_err(format!(
                "标识 '{code}' 重复（第 {n} 个要素）/ identifier '{code}' repeated (feature {n})"
            )));
        }
        let lu_text = match &opts.land_use_field {
            Some(field) => f.prop(field),
            None => LAND_USE_FIELDS.iter().find_map(|k| f.prop(k)),
        }
        .ok_or_else(|| {
            unit_err(format!(
                "要素 '{code}' 没有地类编码 / feature '{code}': no land-use code (expected property {} \
                 with a GB/T 21010 code such as 0101)",
                opts.land_use_field
                    .clone()
                    .unwrap_or_else(|| LAND_USE_FIELDS.join(" or "))
            ))
        })?;
        let land_use: LandUse = lu_text.parse().map_err(|e| {
            unit_err(format!(
                "要素 '{code}' 的地类编码 '{lu_text}' 无效 / feature '{code}': land use '{lu_text}': {e}"
            ))
        })?;
        let geometry = lonlat_polygon(&f, &code)?;
        let division = match opts.division {
            Some(d) => d,
            None => match DIVISION_FIELDS.iter().find_map(|k| f.prop(k)) {
                Some(text) => text
                    .get(..6)
                    .unwrap_or(text)
                    .parse::<DivisionCode>()
                    .map_err(|e| {
                        unit_err(format!(
                            "要素 '{code}' 的行政区代码 '{text}' 无效 / feature '{code}': division '{text}': {e}"
                        ))
                    })?,
                None => {
                    let p = geometry.interior_point().ok_or_else(|| {
                        unit_err(format!("要素 '{code}' 的几何为空 / feature '{code}': empty"))
                    })?;
                    counties
                        .iter()
                        .find(|c| c.boundary.contains(&p))
                        .map(|c| c.code)
                        .ok_or_else(|| {
                            unit_err(format!(
                                "要素 '{code}' 不在任何县（市）内 / feature '{code}' lies in no known \
                                 county (give property division or --county)"
                            ))
                        })?
                }
            },
        };
        if division.level() != DivisionLevel::County {
            return Err(unit_err(format!(
                "要素 '{code}' 的行政区 {division} 不是县级 / feature '{code}': division {division} \
                 is not a county code"
            )));
        }
        out.push(EvaluationUnit::new(
            code,
            division,
            UnitSource::Parcel,
            Some(land_use),
            geometry,
        )?);
    }
    Ok(out)
}

/// The feature's geometry as a longitude/latitude (multi)polygon in China, or an error naming
/// the feature (`what`: its identifier): not a polygon, empty, or coordinates outside China's
/// longitude/latitude extent (projected coordinates given without a `crs`).
pub fn lonlat_polygon(f: &RawFeature, what: &str) -> ClassifyResult<MultiPolygon<f64>> {
    let geometry = match f.geometry.clone() {
        Some(geo::Geometry::Polygon(p)) => MultiPolygon(vec![p]),
        Some(geo::Geometry::MultiPolygon(mp)) => mp,
        Some(_) | None => {
            return Err(unit_err(format!(
                "要素 '{what}' 不是面 / feature '{what}': expected a Polygon or MultiPolygon"
            )))
        }
    };
    let Some(rect) = geometry.bounding_rect() else {
        return Err(unit_err(format!(
            "要素 '{what}' 的几何为空 / feature '{what}': empty geometry"
        )));
    };
    let in_china = |x: f64, y: f64| (73.0..=136.0).contains(&x) && (3.0..=54.0).contains(&y);
    if !in_china(rect.min().x, rect.min().y) || !in_china(rect.max().x, rect.max().y) {
        return Err(unit_err(format!(
            "要素 '{what}' 的坐标 ({:.3}, {:.3}) 不是中国范围内的经纬度（投影坐标？）/ feature '{what}': \
             coordinates ({:.3}, {:.3}) are not longitude/latitude in China (projected \
             coordinates? reproject to EPSG:4490)",
            rect.min().x,
            rect.min().y,
            rect.min().x,
            rect.min().y
        )));
    }
    Ok(geometry)
}

/// A regular grid of `cell_m`-metre cells over a county, clipped to its boundary
/// (a cell crossing the boundary keeps its part inside). Cells are laid out in longitude/latitude
/// with sides of `cell_m` metres at the county's central latitude.
///
/// # Examples
/// ```
/// use geo::polygon;
/// let county: geo::MultiPolygon<f64> = polygon![(x: 102.0, y: 27.0), (x: 102.05, y: 27.0),
///     (x: 102.0, y: 27.05), (x: 102.0, y: 27.0)].into();
/// let code = "513401".parse().unwrap();
/// let cells = soilwatch_classify::units::grid_units(code, &county, 1000.0).unwrap();
/// let total: f64 = cells.iter().map(|c| c.area_ha).sum();
/// let (_, county_ha) = soilwatch_classify::units::areas(&county).unwrap();
/// // Equal but for the bends of the clipped edges once projected (well below 0.1 %).
/// assert!((total - county_ha).abs() / county_ha < 1e-3);
/// ```
pub fn grid_units(
    county: DivisionCode,
    boundary: &MultiPolygon<f64>,
    cell_m: f64,
) -> ClassifyResult<Vec<EvaluationUnit>> {
    if !(cell_m.is_finite() && cell_m >= 10.0) {
        return Err(ClassifyError::Setting {
            field: "grid_cell_m",
            value: cell_m.to_string(),
            expected: "a cell size of at least 10 metres",
        });
    }
    let Some(rect) = boundary.bounding_rect() else {
        return Ok(Vec::new());
    };
    let lat0 = rect.center().y;
    let dy = soilwatch_geostat::metres_to_degrees_latitude(cell_m, lat0);
    let gk = soilwatch_geostat::gauss_kruger_3deg(rect.center().x)?;
    let (xa, _) = gk.project_point(rect.center().x, lat0)?;
    let (xb, _) = gk.project_point(rect.center().x + 0.01, lat0)?;
    let dx = 0.01 * cell_m / (xb - xa).abs().max(1e-9);
    let ncols = ((rect.width() / dx).ceil() as usize).max(1);
    let nrows = ((rect.height() / dy).ceil() as usize).max(1);
    if ncols.saturating_mul(nrows) > MAX_GRID_CELLS {
        return Err(ClassifyError::Setting {
            field: "grid_cell_m",
            value: cell_m.to_string(),
            expected: "a cell size giving at most 200,000 cells per county",
        });
    }
    let mut out = Vec::new();
    for row in 0..nrows {
        let y1 = rect.max().y - row as f64 * dy;
        let y0 = y1 - dy;
        for col in 0..ncols {
            let x0 = rect.min().x + col as f64 * dx;
            let x1 = x0 + dx;
            let cell = geo::Rect::new(geo::coord! { x: x0, y: y0 }, geo::coord! { x: x1, y: y1 })
                .to_polygon();
            if !boundary.intersects(&cell) {
                continue;
            }
            let geometry = if boundary.contains(&cell) {
                MultiPolygon(vec![cell])
            } else {
                let clipped = boundary.intersection(&MultiPolygon(vec![cell]));
                let clipped: Vec<Polygon<f64>> = clipped
                    .0
                    .into_iter()
                    .filter(|p| geo::Area::unsigned_area(p) > 0.0)
                    .collect();
                if clipped.is_empty() {
                    continue;
                }
                MultiPolygon(clipped)
            };
            out.push(EvaluationUnit::new(
                format!("G{county}-{cell_m:.0}m-{row:04}-{col:04}"),
                county,
                UnitSource::Grid,
                None,
                geometry,
            )?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use geo::polygon;

    fn county() -> MultiPolygon<f64> {
        polygon![(x: 102.0, y: 27.0), (x: 102.1, y: 27.0), (x: 102.1, y: 27.1), (x: 102.0, y: 27.1), (x: 102.0, y: 27.0)].into()
    }

    #[test]
    fn mu_is_exactly_ten_thousand_fifteenths_of_a_square_metre() {
        assert_relative_eq!(SQUARE_METRES_PER_MU, 666.666_666_666_666_7, epsilon = 1e-9);
        assert_relative_eq!(15.0 * SQUARE_METRES_PER_MU, 10_000.0, epsilon = 1e-9);
    }

    #[test]
    fn geojson_parcels_with_identifier_land_use_and_county() {
        let b = county();
        let counties = [County {
            code: "513401".parse().unwrap(),
            boundary: &b,
        }];
        let text = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}},
          "features":[{"type":"Feature","properties":{"DKBM":"P-1","DLBM":"0101"},
            "geometry":{"type":"Polygon","coordinates":[[[102.01,27.01],[102.02,27.01],[102.02,27.02],[102.01,27.02],[102.01,27.01]]]}}]}"#;
        let units =
            units_from_geojson(text.as_bytes(), &UnitFileOptions::default(), &counties).unwrap();
        assert_eq!(units.len(), 1);
        let u = &units[0];
        assert_eq!(u.code, "P-1");
        assert_eq!(u.division.to_string(), "513401");
        assert_eq!(u.land_use.map(|l| l.code()), Some("0101"));
        assert_relative_eq!(u.area_mu, u.area_ha * 15.0, max_relative = 1e-12);
        assert!((95.0..115.0).contains(&u.area_ha), "{}", u.area_ha);
    }

    #[test]
    fn other_crs_is_refused_by_name() {
        let text = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4547"}},"features":[]}"#;
        let e = units_from_geojson(text.as_bytes(), &UnitFileOptions::default(), &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("EPSG::4547"), "{e}");
        assert!(crs_is_supported("EPSG:4326"));
        assert!(crs_is_supported("urn:ogc:def:crs:OGC:1.3:CRS84"));
        assert!(!crs_is_supported("EPSG:4547"));
    }

    #[test]
    fn projected_coordinates_and_missing_fields_are_named() {
        let text = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"A","land_use":"0101"},
            "geometry":{"type":"Polygon","coordinates":[[[500000,3000000],[500100,3000000],[500100,3000100],[500000,3000000]]]}}]}"#;
        let e = units_from_geojson(text.as_bytes(), &UnitFileOptions::default(), &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("projected"), "{e}");
        let text = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"A"},
            "geometry":{"type":"Polygon","coordinates":[[[102.01,27.01],[102.02,27.01],[102.02,27.02],[102.01,27.01]]]}}]}"#;
        let e = units_from_geojson(text.as_bytes(), &UnitFileOptions::default(), &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("land-use"), "{e}");
    }

    #[test]
    fn grid_cells_cover_the_county_exactly() {
        let tri: MultiPolygon<f64> = polygon![(x: 102.0, y: 27.0), (x: 102.1, y: 27.0), (x: 102.0, y: 27.1), (x: 102.0, y: 27.0)].into();
        let cells = grid_units("513401".parse().unwrap(), &tri, 2000.0).unwrap();
        let (_, ha) = areas(&tri).unwrap();
        let sum: f64 = cells.iter().map(|c| c.area_ha).sum();
        // Cells split the triangle's long edge at extra vertices, which bend slightly once
        // projected: equal to well within 0.1 %.
        assert_relative_eq!(sum, ha, max_relative = 1e-3);
        let full = cells.iter().map(|c| c.area_ha).fold(0.0, f64::max);
        assert_relative_eq!(full, 400.0, max_relative = 0.01); // 2 km × 2 km = 400 ha
        assert!(cells
            .iter()
            .all(|c| c.source == UnitSource::Grid && c.code.starts_with("G513401-2000m-")));
    }

    #[test]
    fn gpkg_header_then_wkb() {
        use geozero::{CoordDimensions, ToWkb};
        let p: geo::Geometry<f64> = polygon![(x: 102.0, y: 27.0), (x: 102.1, y: 27.0), (x: 102.0, y: 27.1), (x: 102.0, y: 27.0)].into();
        let wkb = p.to_wkb(CoordDimensions::xy()).unwrap();
        // magic, version 0, flags: little endian, envelope [minx maxx miny maxy] (32 bytes)
        let mut blob = vec![b'G', b'P', 0, 0b0000_0011];
        blob.extend_from_slice(&4490i32.to_le_bytes());
        for v in [102.0f64, 102.1, 27.0, 27.1] {
            blob.extend_from_slice(&v.to_le_bytes());
        }
        blob.extend_from_slice(&wkb);
        let (srs, g) = gpkg_geometry(&blob).unwrap();
        assert_eq!(srs, 4490);
        assert_eq!(g, Some(p));
        assert!(gpkg_geometry(b"XX").is_err());
    }
}
