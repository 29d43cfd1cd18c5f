//! Features as GeoJSON (in a requested CRS axis order), WKT and CSV.

use geo::MapCoords;
use serde_json::{json, Map, Value};

use super::collection::{CollectionMeta, Feature};
use super::params::Crs;

/// The GeoJSON geometry, latitude first when the CRS orders its axes so.
pub fn geometry_json(g: &geo::Geometry<f64>, crs: Crs) -> Value {
    let g = if crs.lat_first() {
        g.map_coords(|c| geo::coord! {x: c.y, y: c.x})
    } else {
        g.clone()
    };
    serde_json::to_value(geojson::Geometry::new(geojson::Value::from(&g))).unwrap_or(Value::Null)
}

/// A GeoJSON feature; `links` are added when not empty.
pub fn feature_json(f: &Feature, crs: Crs, links: Vec<Value>) -> Value {
    let id = if f.numeric_id {
        f.id.parse::<i64>()
            .map_or_else(|_| json!(f.id), |n| json!(n))
    } else {
        json!(f.id)
    };
    let mut o = Map::new();
    o.insert("type".into(), json!("Feature"));
    o.insert("id".into(), id);
    o.insert(
        "geometry".into(),
        f.geometry
            .as_ref()
            .map_or(Value::Null, |g| geometry_json(g, crs)),
    );
    o.insert("properties".into(), Value::Object(f.properties.clone()));
    if !links.is_empty() {
        o.insert("links".into(), Value::Array(links));
    }
    Value::Object(o)
}

/// An RFC 7946 FeatureCollection (longitude/latitude, no `crs` member).
pub fn feature_collection(features: &[Feature]) -> Value {
    json!({
        "type": "FeatureCollection",
        "features": features.iter().map(|f| feature_json(f, Crs::Crs84, Vec::new())).collect::<Vec<_>>(),
    })
}

fn num(v: f64) -> String {
    // Shortest representation that reads back the same.
    format!("{v}")
}

fn ring(ls: &geo::LineString<f64>) -> String {
    let pts: Vec<String> = ls
        .coords()
        .map(|c| format!("{} {}", num(c.x), num(c.y)))
        .collect();
    format!("({})", pts.join(", "))
}

fn polygon(p: &geo::Polygon<f64>) -> String {
    let mut rings = vec![ring(p.exterior())];
    rings.extend(p.interiors().iter().map(ring));
    format!("({})", rings.join(", "))
}

/// Well-known text (longitude latitude order).
pub fn wkt(g: &geo::Geometry<f64>) -> String {
    use geo::Geometry as G;
    match g {
        G::Point(p) => format!("POINT ({} {})", num(p.x()), num(p.y())),
        G::Polygon(p) => format!("POLYGON {}", polygon(p)),
        G::MultiPolygon(m) if m.0.is_empty() => "MULTIPOLYGON EMPTY".into(),
        G::MultiPolygon(m) => {
            let ps: Vec<String> = m.0.iter().map(polygon).collect();
            format!("MULTIPOLYGON ({})", ps.join(", "))
        }
        G::LineString(l) => format!("LINESTRING {}", ring(l)),
        G::MultiPoint(m) => {
            let ps: Vec<String> =
                m.0.iter()
                    .map(|p| format!("({} {})", num(p.x()), num(p.y())))
                    .collect();
            format!("MULTIPOINT ({})", ps.join(", "))
        }
        G::MultiLineString(m) => {
            let ls: Vec<String> = m.0.iter().map(ring).collect();
            format!("MULTILINESTRING ({})", ls.join(", "))
        }
        other => wkt(&geo::Geometry::MultiPolygon(geo::MultiPolygon(
            geo::BoundingRect::bounding_rect(other)
                .map(|r| vec![r.to_polygon()])
                .unwrap_or_default(),
        ))),
    }
}

/// CSV, UTF-8 with a BOM (Excel opens Chinese correctly): `wkt` then every field.
pub fn csv_bytes(meta: &CollectionMeta, features: &[Feature]) -> Result<Vec<u8>, csv::Error> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let mut header = vec!["wkt"];
        header.extend(meta.fields.iter().map(|f| f.name));
        w.write_record(&header)?;
        for f in features {
            let mut row = vec![f.geometry.as_ref().map(wkt).unwrap_or_default()];
            row.extend(
                meta.fields
                    .iter()
                    .map(|fl| f.text(fl.name).unwrap_or_default()),
            );
            w.write_record(&row)?;
        }
        w.flush()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wkt_of_a_point_and_a_multipolygon() {
        assert_eq!(
            wkt(&geo::Geometry::Point(geo::Point::new(102.25, 27.5))),
            "POINT (102.25 27.5)"
        );
        let sq = geo::Polygon::new(
            vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)].into(),
            vec![],
        );
        assert_eq!(
            wkt(&geo::Geometry::MultiPolygon(geo::MultiPolygon(vec![sq]))),
            "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)))"
        );
    }

    #[test]
    fn epsg_4490_is_latitude_first() {
        let p = geo::Geometry::Point(geo::Point::new(102.25, 27.5));
        assert_eq!(
            geometry_json(&p, Crs::Cgcs2000)["coordinates"],
            json!([27.5, 102.25])
        );
        assert_eq!(
            geometry_json(&p, Crs::Crs84)["coordinates"],
            json!([102.25, 27.5])
        );
    }
}
