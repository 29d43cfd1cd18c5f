//! Division boundaries for the location checks: a point must lie inside the prefecture, and
//! inside its county when the row names one. Spatial work is plain `geo` point-in-polygon.

use geo::{
    BoundingRect, Contains, Coord, Distance, Euclidean, LineString, MultiPolygon, Point, Polygon,
    Rect,
};
use std::sync::OnceLock;

use soilwatch_core::DivisionCode;

use crate::error::{IngestError, IngestResult};

/// One division's boundary.
#[derive(Debug, Clone)]
pub struct DivisionBoundary {
    pub code: DivisionCode,
    /// 名称, e.g. 西昌市
    pub name: String,
    /// Longitude/latitude, CGCS2000.
    pub shape: MultiPolygon<f64>,
    bbox: Option<Rect<f64>>,
    /// Cells of the bounding box that no edge touches, with the answer of the first point
    /// tested in each.
    grid: Option<Grid>,
}

/// Cells per side of a division's [`Grid`].
const GRID_CELLS: usize = 64;

/// A `GRID_CELLS` × `GRID_CELLS` grid over a division's bounding box. A cell that no edge of the
/// shape touches (no edge's bounding box reaches it) lies wholly inside or wholly outside the
/// shape, so the point-in-polygon answer of one point in it is the answer for every point in it.
/// Rows of one place repeat nearby points: most tests become a look-up.
#[derive(Debug, Clone)]
struct Grid {
    min: Coord<f64>,
    /// Cell width and height in degrees.
    step: Coord<f64>,
    /// An edge touches the cell: every point in it is tested against the shape.
    touched: Vec<bool>,
    /// For an untouched cell: whether the shape contains it, once a point in it was tested.
    inside: Vec<OnceLock<bool>>,
}

impl Grid {
    fn new(shape: &MultiPolygon<f64>, bbox: Rect<f64>) -> Option<Grid> {
        let (w, h) = (bbox.width(), bbox.height());
        if !(w > 0.0 && h > 0.0) {
            return None;
        }
        let n = GRID_CELLS as f64;
        let mut grid = Grid {
            min: bbox.min(),
            step: Coord { x: w / n, y: h / n },
            touched: vec![false; GRID_CELLS * GRID_CELLS],
            inside: vec![OnceLock::new(); GRID_CELLS * GRID_CELLS],
        };
        let rings = shape
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()));
        for line in rings.flat_map(|r| r.lines()) {
            let (x0, x1) = (
                grid.col(line.start.x.min(line.end.x)),
                grid.col(line.start.x.max(line.end.x)),
            );
            let (y0, y1) = (
                grid.row(line.start.y.min(line.end.y)),
                grid.row(line.start.y.max(line.end.y)),
            );
            for y in y0..=y1 {
                for x in x0..=x1 {
                    grid.touched[y * GRID_CELLS + x] = true;
                }
            }
        }
        Some(grid)
    }

    /// Column of a longitude: monotonic, so the cells between two points' columns and rows
    /// cover the box between them.
    fn col(&self, x: f64) -> usize {
        cell_index((x - self.min.x) / self.step.x)
    }

    fn row(&self, y: f64) -> usize {
        cell_index((y - self.min.y) / self.step.y)
    }

    /// Whether the shape contains a point of the bounding box.
    fn contains(&self, shape: &MultiPolygon<f64>, p: &Point<f64>) -> bool {
        let i = self.row(p.y()) * GRID_CELLS + self.col(p.x());
        if self.touched[i] {
            shape.contains(p)
        } else {
            *self.inside[i].get_or_init(|| shape.contains(p))
        }
    }
}

/// Index of a cell from a position in cell units, clamped to the grid.
fn cell_index(v: f64) -> usize {
    if v >= 0.0 {
        (v.floor() as usize).min(GRID_CELLS - 1)
    } else {
        0
    }
}

/// The county boundaries of one prefecture.
///
/// Shipped boundaries are simplified, so a point just outside (within
/// [`tolerance_deg`](Self::tolerance_deg), ≈ 500 m by default) draws a warning, not an error.
#[derive(Debug, Clone)]
pub struct Boundaries {
    prefecture: DivisionCode,
    divisions: Vec<DivisionBoundary>,
    /// Distance in degrees within which a point outside a boundary is only a warning.
    pub tolerance_deg: f64,
}

/// Where a point lies relative to a boundary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Placement {
    Inside,
    /// Outside, but within the tolerance (distance in degrees).
    Near(f64),
    /// Outside by more than the tolerance (distance in degrees).
    Outside(f64),
}

impl Boundaries {
    /// Build from county boundaries of `prefecture`.
    pub fn new(
        prefecture: DivisionCode,
        divisions: Vec<(DivisionCode, String, MultiPolygon<f64>)>,
    ) -> Self {
        let divisions = divisions
            .into_iter()
            .map(|(code, name, shape)| {
                let bbox = shape.bounding_rect();
                DivisionBoundary {
                    grid: bbox.and_then(|b| Grid::new(&shape, b)),
                    bbox,
                    code,
                    name,
                    shape,
                }
            })
            .collect();
        Boundaries {
            prefecture,
            divisions,
            tolerance_deg: 0.005,
        }
    }

    /// Read a GeoJSON FeatureCollection whose features carry `properties.code` (six digits) and
    /// `properties.name`, with Polygon or MultiPolygon geometries, such as
    /// `data/divisions/liangshan_counties.geojson`.
    pub fn from_geojson(text: &str, prefecture: DivisionCode) -> IngestResult<Self> {
        let bad = |m: String| IngestError::Boundaries(m);
        let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let features = doc
            .get("features")
            .and_then(|f| f.as_array())
            .ok_or_else(|| bad("no 'features' array".into()))?;
        let mut out = Vec::with_capacity(features.len());
        for f in features {
            let props = f.get("properties");
            let code_text = props
                .and_then(|p| p.get("code"))
                .and_then(|c| {
                    c.as_str()
                        .map(str::to_owned)
                        .or_else(|| c.as_u64().map(|n| n.to_string()))
                })
                .or_else(|| f.get("id").and_then(|c| c.as_str()).map(str::to_owned))
                .ok_or_else(|| bad("a feature without properties.code".into()))?;
            let code: DivisionCode = code_text
                .parse()
                .map_err(|e: soilwatch_core::CoreError| bad(e.to_string()))?;
            let name = props
                .and_then(|p| p.get("name"))
                .and_then(|n| n.as_str())
                .unwrap_or_default()
                .to_owned();
            let geom = f
                .get("geometry")
                .ok_or_else(|| bad(format!("{code}: no geometry")))?;
            let coords = geom
                .get("coordinates")
                .ok_or_else(|| bad(format!("{code}: no coordinates")))?;
            let shape = match geom.get("type").and_then(|t| t.as_str()) {
                Some("Polygon") => MultiPolygon(vec![
                    polygon(coords).ok_or_else(|| bad(format!("{code}: bad polygon")))?
                ]),
                Some("MultiPolygon") => MultiPolygon(
                    coords
                        .as_array()
                        .ok_or_else(|| bad(format!("{code}: bad multipolygon")))?
                        .iter()
                        .map(polygon)
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| bad(format!("{code}: bad multipolygon")))?,
                ),
                other => {
                    return Err(bad(format!(
                        "{code}: geometry type {other:?} is not a polygon"
                    )))
                }
            };
            out.push((code, name, shape));
        }
        Ok(Boundaries::new(prefecture, out))
    }

    pub fn prefecture(&self) -> DivisionCode {
        self.prefecture
    }

    pub fn divisions(&self) -> &[DivisionBoundary] {
        &self.divisions
    }

    /// The division with this code.
    pub fn get(&self, code: DivisionCode) -> Option<&DivisionBoundary> {
        self.divisions.iter().find(|d| d.code == code)
    }

    /// The division with this name (`西昌市`, also without the suffix: `西昌`).
    pub fn by_name(&self, name: &str) -> Option<DivisionCode> {
        let t = name.trim();
        if t.is_empty() {
            return None;
        }
        self.divisions
            .iter()
            .find(|d| d.name == t)
            .or_else(|| {
                self.divisions.iter().find(|d| {
                    ["彝族自治县", "藏族自治县", "自治县", "县", "市", "区"]
                        .iter()
                        .any(|suffix| d.name.strip_suffix(suffix).is_some_and(|base| base == t))
                })
            })
            .map(|d| d.code)
    }

    /// The division that contains the point.
    pub fn locate(&self, lon: f64, lat: f64) -> Option<DivisionCode> {
        let p = Point::new(lon, lat);
        self.divisions
            .iter()
            .find(|d| contains(d, &p))
            .map(|d| d.code)
    }

    /// Where the point lies relative to one division (`None` when the code has no boundary here).
    pub fn place_in(&self, code: DivisionCode, lon: f64, lat: f64) -> Option<Placement> {
        let d = self.get(code)?;
        Some(self.placement(std::slice::from_ref(d), lon, lat).0)
    }

    /// Where the point lies relative to the whole prefecture (the union of its divisions).
    pub fn place_in_prefecture(&self, lon: f64, lat: f64) -> Placement {
        self.placement(&self.divisions, lon, lat).0
    }

    /// [`place_in_prefecture`](Self::place_in_prefecture), and when the point is inside, the
    /// division that contains it (the one [`locate`](Self::locate) gives): one point-in-polygon
    /// test serves both.
    pub fn place_and_locate(&self, lon: f64, lat: f64) -> (Placement, Option<DivisionCode>) {
        self.placement(&self.divisions, lon, lat)
    }

    fn placement(
        &self,
        divisions: &[DivisionBoundary],
        lon: f64,
        lat: f64,
    ) -> (Placement, Option<DivisionCode>) {
        let p = Point::new(lon, lat);
        if let Some(d) = divisions.iter().find(|d| contains(d, &p)) {
            return (Placement::Inside, Some(d.code));
        }
        let dist = divisions
            .iter()
            .flat_map(|d| d.shape.0.iter())
            .map(|poly| Euclidean.distance(&p, poly))
            .fold(f64::INFINITY, f64::min);
        let placement = if dist <= self.tolerance_deg {
            Placement::Near(dist)
        } else {
            Placement::Outside(dist)
        };
        (placement, None)
    }
}

/// The division's shape contains the point (its bounding box first, then its grid).
fn contains(d: &DivisionBoundary, p: &Point<f64>) -> bool {
    d.bbox.is_some_and(|b| b.contains(p))
        && match &d.grid {
            Some(g) => g.contains(&d.shape, p),
            None => d.shape.contains(p),
        }
}

fn ring(v: &serde_json::Value) -> Option<LineString<f64>> {
    v.as_array()?
        .iter()
        .map(|c| {
            let c = c.as_array()?;
            Some(Coord {
                x: c.first()?.as_f64()?,
                y: c.get(1)?.as_f64()?,
            })
        })
        .collect::<Option<Vec<_>>>()
        .map(LineString::new)
}

fn polygon(v: &serde_json::Value) -> Option<Polygon<f64>> {
    let rings = v.as_array()?;
    let exterior = ring(rings.first()?)?;
    let interiors = rings[1..].iter().map(ring).collect::<Option<Vec<_>>>()?;
    Some(Polygon::new(exterior, interiors))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The shipped county boundaries of Liangshan (513400).
    pub(crate) fn liangshan() -> Boundaries {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/divisions/liangshan_counties.geojson"
        );
        let text =
            std::fs::read_to_string(path).expect("data/divisions/liangshan_counties.geojson");
        Boundaries::from_geojson(&text, "513400".parse().unwrap()).unwrap()
    }

    #[test]
    fn loads_the_shipped_counties() {
        let b = liangshan();
        assert_eq!(b.divisions().len(), 17);
        assert_eq!(
            b.by_name("西昌市").map(|c| c.to_string()).as_deref(),
            Some("513401")
        );
        assert_eq!(
            b.by_name("西昌").map(|c| c.to_string()).as_deref(),
            Some("513401")
        );
    }

    #[test]
    fn xichang_is_in_xichang() {
        let b = liangshan();
        let xichang = b.by_name("西昌市").unwrap();
        let center = b
            .get(xichang)
            .map(|d| geo::InteriorPoint::interior_point(&d.shape).unwrap())
            .unwrap();
        assert_eq!(b.locate(center.x(), center.y()), Some(xichang));
        assert_eq!(
            b.place_in_prefecture(center.x(), center.y()),
            Placement::Inside
        );
        // Chengdu is far outside
        assert!(matches!(
            b.place_in_prefecture(104.06, 30.67),
            Placement::Outside(_)
        ));
        assert_eq!(
            b.place_and_locate(center.x(), center.y()),
            (Placement::Inside, Some(xichang))
        );
        // swapped coordinates are nowhere
        assert_eq!(b.locate(center.y(), center.x()), None);
        assert!(matches!(
            b.place_and_locate(center.y(), center.x()),
            (Placement::Outside(_), None)
        ));
    }

    #[test]
    fn the_grid_answers_as_the_shape_does() {
        use geo::LinesIter;
        let b = liangshan();
        for name in ["西昌市", "盐源县"] {
            let d = b.get(b.by_name(name).unwrap()).unwrap();
            let bbox = d.bbox.unwrap();
            let mut points = Vec::new();
            // a lattice twice as fine as the grid: several points fall in each cell
            let n = 2 * GRID_CELLS;
            for i in 0..=n {
                for j in 0..=n {
                    points.push(Point::new(
                        bbox.min().x + bbox.width() * i as f64 / n as f64,
                        bbox.min().y + bbox.height() * j as f64 / n as f64,
                    ));
                }
            }
            // the boundary itself: vertices and midpoints of edges are not contained
            for line in d.shape.lines_iter() {
                points.push(line.start.into());
                points.push(((line.start + line.end) / 2.0).into());
            }
            let expected: Vec<bool> = points
                .iter()
                .map(|p| bbox.contains(p) && d.shape.contains(p))
                .collect();
            assert!(expected.iter().filter(|&&e| e).count() > 1000, "{name}");
            // twice: the second pass reads what the first remembered
            for _ in 0..2 {
                let got: Vec<bool> = points.iter().map(|p| contains(d, p)).collect();
                assert_eq!(got, expected, "{name}");
            }
        }
    }

    #[test]
    fn bad_geojson_is_an_error() {
        let p = "513400".parse().unwrap();
        assert!(Boundaries::from_geojson("{}", p).is_err());
        assert!(
            Boundaries::from_geojson(r#"{"features":[{"properties":{"code":"x"}}]}"#, p).is_err()
        );
    }
}
