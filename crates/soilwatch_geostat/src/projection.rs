//! CGCS2000 3-degree Gauss–Krüger projection and areas.
//!
//! A 3° zone has central meridian `3·n` degrees east (n = 25…45 across China). Coordinates are
//! projected with the transverse Mercator on the CGCS2000 ellipsoid (GRS80 parameters, the
//! difference is below a tenth of a millimetre), scale 1 on the central meridian, false easting
//! 500 km and no zone prefix.

use geo::{Area, BoundingRect, Centroid, MultiPolygon};
use proj4rs::proj::Proj;

pub use crate::error::{GeostatError, GeostatResult};

/// A 3° Gauss–Krüger zone.
#[derive(Debug, Clone)]
pub struct GaussKruger {
    /// Central meridian, degrees east.
    pub central_meridian: f64,
    geographic: Proj,
    projected: Proj,
}

/// The 3° zone whose central meridian is nearest to `lon`.
///
/// # Examples
/// ```
/// let gk = soilwatch_geostat::gauss_kruger_3deg(102.26).unwrap();
/// assert_eq!(gk.central_meridian, 102.0);
/// ```
pub fn gauss_kruger_3deg(lon: f64) -> GeostatResult<GaussKruger> {
    let cm = (lon / 3.0).round() * 3.0;
    GaussKruger::new(cm)
}

impl GaussKruger {
    /// The zone with this central meridian (degrees east).
    ///
    /// # Examples
    /// ```
    /// let gk = soilwatch_geostat::GaussKruger::new(102.0).unwrap();
    /// let (x, _) = gk.project_point(102.0, 28.0).unwrap();
    /// assert!((x - 500_000.0).abs() < 1e-6);
    /// ```
    pub fn new(central_meridian: f64) -> GeostatResult<Self> {
        let err = |e: proj4rs::errors::Error| GeostatError::Projection(e.to_string());
        let geographic =
            Proj::from_proj_string("+proj=longlat +ellps=GRS80 +no_defs").map_err(err)?;
        let projected = Proj::from_proj_string(&format!(
            "+proj=tmerc +lat_0=0 +lon_0={central_meridian} +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs"
        ))
        .map_err(err)?;
        Ok(Self {
            central_meridian,
            geographic,
            projected,
        })
    }

    /// Project a longitude/latitude geometry (degrees) to metres in this zone.
    pub fn project(&self, geom: &MultiPolygon<f64>) -> GeostatResult<MultiPolygon<f64>> {
        use geo::MapCoords;
        let mut radians =
            geom.map_coords(|c| geo::coord! { x: c.x.to_radians(), y: c.y.to_radians() });
        proj4rs::transform::transform(&self.geographic, &self.projected, &mut radians)
            .map_err(|e| GeostatError::Projection(e.to_string()))?;
        Ok(radians)
    }

    /// Project one longitude/latitude position (degrees) to (easting, northing) metres.
    pub fn project_point(&self, lon: f64, lat: f64) -> GeostatResult<(f64, f64)> {
        let mut p = geo::Point::new(lon.to_radians(), lat.to_radians());
        proj4rs::transform::transform(&self.geographic, &self.projected, &mut p)
            .map_err(|e| GeostatError::Projection(e.to_string()))?;
        Ok((p.x(), p.y()))
    }

    /// The inverse of [`GaussKruger::project_point`]: (easting, northing) metres in this zone to
    /// longitude/latitude degrees.
    ///
    /// # Examples
    /// ```
    /// let gk = soilwatch_geostat::GaussKruger::new(102.0).unwrap();
    /// let (x, y) = gk.project_point(102.26, 27.89).unwrap();
    /// let (lon, lat) = gk.unproject_point(x, y).unwrap();
    /// assert!((lon - 102.26).abs() < 1e-9 && (lat - 27.89).abs() < 1e-9);
    /// ```
    pub fn unproject_point(&self, x: f64, y: f64) -> GeostatResult<(f64, f64)> {
        let mut p = geo::Point::new(x, y);
        proj4rs::transform::transform(&self.projected, &self.geographic, &mut p)
            .map_err(|e| GeostatError::Projection(e.to_string()))?;
        Ok((p.x().to_degrees(), p.y().to_degrees()))
    }
}

/// Area of a longitude/latitude (multi)polygon in km², computed in the 3° Gauss–Krüger zone of
/// its centroid.
pub fn area_km2(geom: &MultiPolygon<f64>) -> GeostatResult<f64> {
    let centre = geom
        .centroid()
        .or_else(|| geom.bounding_rect().map(|r| r.center().into()))
        .ok_or(GeostatError::Empty("no centroid"))?;
    let gk = gauss_kruger_3deg(centre.x())?;
    Ok(gk.project(geom)?.unsigned_area() / 1.0e6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use geo::{polygon, GeodesicArea};

    #[test]
    fn central_meridian_is_the_point_itself() {
        let gk = GaussKruger::new(102.0).unwrap();
        let (x, y) = gk.project_point(102.0, 0.0).unwrap();
        assert_relative_eq!(x, 500_000.0, epsilon = 1e-6);
        assert_relative_eq!(y, 0.0, epsilon = 1e-6);
    }

    #[test]
    fn meridian_arc_to_28_degrees() {
        // On the central meridian the northing is the meridian arc length. For GRS80 from the
        // equator to 28° N, integrating M(φ) = a(1−e²)/(1−e² sin²φ)^{3/2} numerically
        // (200,000 midpoint steps, in Python) gives 3,098,441.747 m.
        let gk = GaussKruger::new(102.0).unwrap();
        let (x, y) = gk.project_point(102.0, 28.0).unwrap();
        assert_relative_eq!(x, 500_000.0, epsilon = 1e-6);
        assert_relative_eq!(y, 3_098_441.747, epsilon = 0.01);
    }

    #[test]
    fn zone_selection() {
        assert_eq!(gauss_kruger_3deg(100.6).unwrap().central_meridian, 102.0);
        assert_eq!(gauss_kruger_3deg(100.4).unwrap().central_meridian, 99.0);
        assert_eq!(gauss_kruger_3deg(100.51).unwrap().central_meridian, 102.0);
        assert_eq!(gauss_kruger_3deg(101.4).unwrap().central_meridian, 102.0);
        assert_eq!(gauss_kruger_3deg(103.6).unwrap().central_meridian, 105.0);
    }

    #[test]
    fn one_degree_cell_agrees_with_geodesic_area() {
        // 1° × 1° cell at 27–28° N, 102–103° E: projected area within 0.1 % of the ellipsoidal area.
        let cell: MultiPolygon<f64> = polygon![
            (x: 102.0, y: 27.0), (x: 103.0, y: 27.0), (x: 103.0, y: 28.0), (x: 102.0, y: 28.0), (x: 102.0, y: 27.0)
        ]
        .into();
        let projected = area_km2(&cell).unwrap();
        let geodesic = cell.geodesic_area_unsigned() / 1e6;
        assert_relative_eq!(projected, geodesic, max_relative = 1e-3);
        // ≈ 111.2 km (latitude) × 98.6 km (longitude at 27.5°) ≈ 10,950 km².
        assert!((10_800.0..11_100.0).contains(&projected), "{projected}");
    }
}
