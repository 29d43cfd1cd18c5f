//! Regular grids: layout, ESRI ASCII grid text, GeoTIFF bytes and `.prj` WKT.
//!
//! Pure: writers produce text or bytes into any `std::io::Write` (or a `Vec<u8>`); the caller
//! decides where they go.

use std::io::{self, Write};

use crate::error::{GeostatError, GeostatResult};

/// At most this many cells in one grid (≈ 800 MB of f64 estimates and variances).
pub const MAX_CELLS: usize = 50_000_000;

/// No-data value written for cells without an estimate.
pub const NODATA: f64 = -9999.0;

/// EPSG code of CGCS2000 longitude/latitude.
pub const EPSG_CGCS2000: u32 = 4490;

/// A regular grid of square cells in the input CRS: lower-left corner, cell size, columns, rows.
/// Row 0 is the northernmost (top) row, as in raster files.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridSpec {
    /// x of the left edge.
    pub x_min: f64,
    /// y of the bottom edge.
    pub y_min: f64,
    pub cell_size: f64,
    pub ncols: usize,
    pub nrows: usize,
}

impl GridSpec {
    /// The grid whose cell centres start at the lower-left of the points' bounding box and cover
    /// it: ncols = ⌊(x_max − x_min)/cell⌋ + 1 (likewise rows), corner half a cell outside.
    ///
    /// # Examples
    /// ```
    /// use soilwatch_geostat::GridSpec;
    /// let g = GridSpec::covering(&[[0.0, 0.0], [100.0, 40.0]], 10.0).unwrap();
    /// assert_eq!((g.ncols, g.nrows, g.x_min, g.y_min), (11, 5, -5.0, -5.0));
    /// assert_eq!(g.cell_center(0, 0), (0.0, 40.0)); // top-left cell
    /// ```
    pub fn covering(points: &[[f64; 2]], cell_size: f64) -> GeostatResult<Self> {
        if !(cell_size.is_finite() && cell_size > 0.0) {
            return Err(GeostatError::InvalidParameter {
                name: "cell size",
                reason: format!("{cell_size} must be a finite number > 0"),
            });
        }
        let mut it = points
            .iter()
            .filter(|p| p[0].is_finite() && p[1].is_finite());
        let first = it.next().ok_or(GeostatError::NoPoints)?;
        let (mut x0, mut y0, mut x1, mut y1) = (first[0], first[1], first[0], first[1]);
        for p in it {
            x0 = x0.min(p[0]);
            y0 = y0.min(p[1]);
            x1 = x1.max(p[0]);
            y1 = y1.max(p[1]);
        }
        let count = |span: f64| -> GeostatResult<usize> {
            let n = (span / cell_size + 1e-9).floor() + 1.0;
            if n > MAX_CELLS as f64 {
                return Err(GeostatError::GridTooLarge {
                    ncols: usize::MAX,
                    nrows: usize::MAX,
                    max: MAX_CELLS,
                });
            }
            Ok(n as usize)
        };
        let spec = Self {
            x_min: x0 - cell_size / 2.0,
            y_min: y0 - cell_size / 2.0,
            cell_size,
            ncols: count(x1 - x0)?,
            nrows: count(y1 - y0)?,
        };
        spec.check()?;
        Ok(spec)
    }

    /// Check the size and the numbers.
    pub fn check(&self) -> GeostatResult<()> {
        if !(self.cell_size.is_finite() && self.cell_size > 0.0) {
            return Err(GeostatError::InvalidParameter {
                name: "cell size",
                reason: format!("{} must be a finite number > 0", self.cell_size),
            });
        }
        if !(self.x_min.is_finite() && self.y_min.is_finite()) {
            return Err(GeostatError::InvalidParameter {
                name: "grid corner",
                reason: "must be finite".to_owned(),
            });
        }
        if self.ncols == 0 || self.nrows == 0 || self.ncols.saturating_mul(self.nrows) > MAX_CELLS {
            return Err(GeostatError::GridTooLarge {
                ncols: self.ncols,
                nrows: self.nrows,
                max: MAX_CELLS,
            });
        }
        Ok(())
    }

    /// Centre of the cell in column `col` (from the west) and row `row` (from the north).
    pub fn cell_center(&self, col: usize, row: usize) -> (f64, f64) {
        (
            self.x_min + (col as f64 + 0.5) * self.cell_size,
            self.y_min + ((self.nrows - 1 - row) as f64 + 0.5) * self.cell_size,
        )
    }
}

/// Degrees of latitude spanning `metres` along the meridian at latitude `lat` (CGCS2000
/// ellipsoid): for laying out a longitude/latitude grid whose rows are `metres` tall.
///
/// # Examples
/// ```
/// let d = soilwatch_geostat::metres_to_degrees_latitude(1000.0, 28.0);
/// // About 110.8 km per degree of latitude at 28° N.
/// assert!((d - 1000.0 / 110_819.0).abs() < 1e-7);
/// ```
pub fn metres_to_degrees_latitude(metres: f64, lat: f64) -> f64 {
    const A: f64 = 6_378_137.0;
    const F: f64 = 1.0 / 298.257_222_101;
    let e2 = F * (2.0 - F);
    let s = lat.to_radians().sin();
    let m = A * (1.0 - e2) / (1.0 - e2 * s * s).powf(1.5);
    metres / (m * std::f64::consts::PI / 180.0)
}

/// Estimates (and kriging variances) on a [`GridSpec`], row-major from the top-left; NaN where
/// no estimate could be made.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub spec: GridSpec,
    pub estimate: Vec<f64>,
    /// Kriging variance per cell; None for IDW.
    pub variance: Option<Vec<f64>>,
}

/// Which layer of a grid to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    Estimate,
    Variance,
}

impl Grid {
    fn band(&self, band: Band) -> Option<&[f64]> {
        match band {
            Band::Estimate => Some(&self.estimate),
            Band::Variance => self.variance.as_deref(),
        }
    }

    /// Write one band as an ESRI ASCII grid (`.asc`): header with `xllcorner`/`yllcorner`,
    /// `cellsize`, `NODATA_value -9999`, then one line per row from the north. Writes nothing and
    /// returns `Ok(false)` when the band is absent (the variance of IDW).
    ///
    /// # Examples
    /// ```
    /// use soilwatch_geostat::{Band, Grid, GridSpec};
    /// let spec = GridSpec { x_min: 0.0, y_min: 0.0, cell_size: 10.0, ncols: 2, nrows: 1 };
    /// let grid = Grid { spec, estimate: vec![1.5, f64::NAN], variance: None };
    /// let mut out = Vec::new();
    /// assert!(grid.write_esri_ascii(Band::Estimate, &mut out).unwrap());
    /// let text = String::from_utf8(out).unwrap();
    /// assert!(text.starts_with("ncols 2\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 10\n"));
    /// assert!(text.ends_with("1.5 -9999\n"));
    /// ```
    pub fn write_esri_ascii(&self, band: Band, out: &mut dyn Write) -> io::Result<bool> {
        let Some(values) = self.band(band) else {
            return Ok(false);
        };
        let s = &self.spec;
        write!(
            out,
            "ncols {}\nnrows {}\nxllcorner {}\nyllcorner {}\ncellsize {}\nNODATA_value {}\n",
            s.ncols, s.nrows, s.x_min, s.y_min, s.cell_size, NODATA
        )?;
        let mut line = String::with_capacity(s.ncols * 12);
        for row in values.chunks(s.ncols) {
            line.clear();
            for (i, v) in row.iter().enumerate() {
                if i > 0 {
                    line.push(' ');
                }
                if v.is_finite() {
                    // f32 precision, shortest round-trip text: compact and exact for f32 readers.
                    line.push_str(&(*v as f32).to_string());
                } else {
                    line.push_str("-9999");
                }
            }
            line.push('\n');
            out.write_all(line.as_bytes())?;
        }
        Ok(true)
    }

    /// A little-endian GeoTIFF (baseline TIFF 6.0 + GeoTIFF 1.0 keys): Float32 pixels, one band
    /// per layer (estimate, then variance when present), pixel-interleaved, one strip per row,
    /// `GDAL_NODATA` = -9999, PixelIsArea. `epsg` names the CRS (geographic when
    /// `geographic`, e.g. 4490; projected otherwise, e.g. 4543 for CGCS2000 GK CM 102E);
    /// None writes the raster type only (GDAL then reports no CRS).
    ///
    /// # Examples
    /// ```
    /// use soilwatch_geostat::{Grid, GridSpec};
    /// let spec = GridSpec { x_min: 500_000.0, y_min: 3_000_000.0, cell_size: 30.0, ncols: 3, nrows: 2 };
    /// let grid = Grid { spec, estimate: vec![1.0; 6], variance: Some(vec![0.5; 6]) };
    /// let tif = grid.geotiff_bytes(Some(4543), false);
    /// assert_eq!(&tif[..4], b"II*\0");
    /// ```
    pub fn geotiff_bytes(&self, epsg: Option<u32>, geographic: bool) -> Vec<u8> {
        let s = &self.spec;
        let bands: Vec<&[f64]> = [Band::Estimate, Band::Variance]
            .into_iter()
            .filter_map(|b| self.band(b))
            .collect();
        let spp = bands.len();
        let row_bytes = s.ncols * spp * 4;
        // Layout: header (8) | pixel rows | IFD | out-of-line tag data.
        let mut buf: Vec<u8> = Vec::with_capacity(8 + row_bytes * s.nrows + 1024);
        buf.extend_from_slice(b"II*\0");
        buf.extend_from_slice(&0u32.to_le_bytes()); // IFD offset, patched below
        let data_start = buf.len();
        for row in 0..s.nrows {
            for col in 0..s.ncols {
                for band in &bands {
                    let v = band[row * s.ncols + col];
                    let v = if v.is_finite() {
                        v as f32
                    } else {
                        NODATA as f32
                    };
                    buf.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        if buf.len() % 2 == 1 {
            buf.push(0);
        }
        let offsets: Vec<u32> = (0..s.nrows)
            .map(|r| (data_start + r * row_bytes) as u32)
            .collect();
        let counts: Vec<u32> = vec![row_bytes as u32; s.nrows];

        let mut geokeys: Vec<u16> = vec![1, 1, 0, 0];
        let mut push_key = |id: u16, value: u16| {
            geokeys.extend_from_slice(&[id, 0, 1, value]);
        };
        // GTModelTypeGeoKey: 1 projected, 2 geographic.
        push_key(1024, if geographic { 2 } else { 1 });
        // GTRasterTypeGeoKey: 1 PixelIsArea.
        push_key(1025, 1);
        if let Some(code) = epsg.and_then(|c| u16::try_from(c).ok()) {
            // GeographicTypeGeoKey or ProjectedCSTypeGeoKey.
            push_key(if geographic { 2048 } else { 3072 }, code);
        }
        geokeys[3] = ((geokeys.len() - 4) / 4) as u16;

        enum Val {
            Short(Vec<u16>),
            Long(Vec<u32>),
            Double(Vec<f64>),
            Ascii(Vec<u8>),
        }
        let mut tags: Vec<(u16, Val)> = vec![
            (256, Val::Long(vec![s.ncols as u32])),
            (257, Val::Long(vec![s.nrows as u32])),
            (258, Val::Short(vec![32; spp])),
            (259, Val::Short(vec![1])),
            (262, Val::Short(vec![1])),
            (273, Val::Long(offsets)),
            (277, Val::Short(vec![spp as u16])),
            (278, Val::Long(vec![1])),
            (279, Val::Long(counts)),
            (284, Val::Short(vec![1])),
            (339, Val::Short(vec![3; spp])),
            (33550, Val::Double(vec![s.cell_size, s.cell_size, 0.0])),
            (
                33922,
                Val::Double(vec![
                    0.0,
                    0.0,
                    0.0,
                    s.x_min,
                    s.y_min + s.nrows as f64 * s.cell_size,
                    0.0,
                ]),
            ),
            (34735, Val::Short(geokeys)),
            (42113, Val::Ascii(b"-9999\0".to_vec())),
        ];
        if spp > 1 {
            // ExtraSamples: the variance is an unspecified extra sample.
            tags.push((338, Val::Short(vec![0; spp - 1])));
        }
        tags.sort_by_key(|t| t.0);

        let ifd_offset = buf.len();
        buf[4..8].copy_from_slice(&(ifd_offset as u32).to_le_bytes());
        let ifd_len = 2 + tags.len() * 12 + 4;
        let mut extra: Vec<u8> = Vec::new();
        let extra_start = ifd_offset + ifd_len;
        let mut ifd: Vec<u8> = Vec::with_capacity(ifd_len);
        ifd.extend_from_slice(&(tags.len() as u16).to_le_bytes());
        for (tag, val) in &tags {
            let (kind, count, bytes): (u16, usize, Vec<u8>) = match val {
                Val::Short(v) => (3, v.len(), v.iter().flat_map(|x| x.to_le_bytes()).collect()),
                Val::Long(v) => (4, v.len(), v.iter().flat_map(|x| x.to_le_bytes()).collect()),
                Val::Double(v) => (
                    12,
                    v.len(),
                    v.iter().flat_map(|x| x.to_le_bytes()).collect(),
                ),
                Val::Ascii(v) => (2, v.len(), v.clone()),
            };
            ifd.extend_from_slice(&tag.to_le_bytes());
            ifd.extend_from_slice(&kind.to_le_bytes());
            ifd.extend_from_slice(&(count as u32).to_le_bytes());
            if bytes.len() <= 4 {
                let mut inline = [0u8; 4];
                inline[..bytes.len()].copy_from_slice(&bytes);
                ifd.extend_from_slice(&inline);
            } else {
                if extra.len() % 2 == 1 {
                    extra.push(0);
                }
                let at = extra_start + extra.len();
                ifd.extend_from_slice(&(at as u32).to_le_bytes());
                extra.extend_from_slice(&bytes);
            }
        }
        ifd.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
        buf.extend_from_slice(&ifd);
        buf.extend_from_slice(&extra);
        buf
    }
}

/// ESRI WKT for a `.prj` sidecar of the CRSs soilwatch writes: CGCS2000 longitude/latitude
/// (EPSG:4490) and CGCS2000 3° Gauss–Krüger zones without zone prefix (EPSG:4534–4554, central
/// meridians 75°E…135°E). None for any other code.
///
/// # Examples
/// ```
/// let wkt = soilwatch_geostat::prj_wkt(4543).unwrap();
/// assert!(wkt.contains("PARAMETER[\"Central_Meridian\",102.0]"));
/// assert!(soilwatch_geostat::prj_wkt(4326).is_none());
/// ```
pub fn prj_wkt(epsg: u32) -> Option<String> {
    const GEOGCS: &str =
        "GEOGCS[\"GCS_China_Geodetic_Coordinate_System_2000\",DATUM[\"D_China_2000\",\
SPHEROID[\"CGCS2000\",6378137.0,298.257222101]],PRIMEM[\"Greenwich\",0.0],\
UNIT[\"Degree\",0.0174532925199433]]";
    match epsg {
        EPSG_CGCS2000 => Some(GEOGCS.to_owned()),
        4534..=4554 => {
            let cm = 75 + 3 * (epsg - 4534);
            Some(format!(
                "PROJCS[\"CGCS2000_3_Degree_GK_CM_{cm}E\",{GEOGCS},PROJECTION[\"Gauss_Kruger\"],\
PARAMETER[\"False_Easting\",500000.0],PARAMETER[\"False_Northing\",0.0],\
PARAMETER[\"Central_Meridian\",{cm}.0],PARAMETER[\"Scale_Factor\",1.0],\
PARAMETER[\"Latitude_Of_Origin\",0.0],UNIT[\"Meter\",1.0]]"
            ))
        }
        _ => None,
    }
}

/// EPSG code of the CGCS2000 3° Gauss–Krüger zone (no zone prefix) with this central meridian,
/// when it is one of 75°E…135°E.
///
/// # Examples
/// ```
/// assert_eq!(soilwatch_geostat::gk_cm_epsg(102.0), Some(4543));
/// assert_eq!(soilwatch_geostat::gk_cm_epsg(101.0), None);
/// ```
pub fn gk_cm_epsg(central_meridian: f64) -> Option<u32> {
    let k = (central_meridian - 75.0) / 3.0;
    (k.fract() == 0.0 && (0.0..=20.0).contains(&k)).then(|| 4534 + k as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u16_at(b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([b[at], b[at + 1]])
    }
    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    #[test]
    fn geotiff_structure() {
        let spec = GridSpec {
            x_min: 10.0,
            y_min: 20.0,
            cell_size: 2.0,
            ncols: 3,
            nrows: 2,
        };
        let grid = Grid {
            spec,
            estimate: vec![1.0, 2.0, 3.0, 4.0, 5.0, f64::NAN],
            variance: None,
        };
        let b = grid.geotiff_bytes(Some(4490), true);
        let ifd = u32_at(&b, 4) as usize;
        let n = u16_at(&b, ifd) as usize;
        let mut tags = Vec::new();
        for i in 0..n {
            let e = ifd + 2 + 12 * i;
            tags.push((u16_at(&b, e), u16_at(&b, e + 2), u32_at(&b, e + 4), e + 8));
        }
        // Sorted, as TIFF requires.
        assert!(tags.windows(2).all(|w| w[0].0 < w[1].0));
        let find = |t: u16| *tags.iter().find(|x| x.0 == t).unwrap();
        assert_eq!(u32_at(&b, find(256).3), 3);
        assert_eq!(u32_at(&b, find(257).3), 2);
        // Second row's first pixel is 4.0, the last pixel is nodata.
        let strips = find(273);
        let strips_at = u32_at(&b, strips.3) as usize;
        let row1 = u32_at(&b, strips_at + 4) as usize;
        assert_eq!(
            f32::from_le_bytes(b[row1..row1 + 4].try_into().unwrap()),
            4.0
        );
        assert_eq!(
            f32::from_le_bytes(b[row1 + 8..row1 + 12].try_into().unwrap()),
            -9999.0
        );
        // Tie point: the top-left corner.
        let tie = u32_at(&b, find(33922).3) as usize;
        let y = f64::from_le_bytes(b[tie + 32..tie + 40].try_into().unwrap());
        assert_eq!(y, 24.0);
        // Geokeys end with GeographicTypeGeoKey = 4490.
        let (_, _, count, at) = find(34735);
        let keys = u32_at(&b, at) as usize;
        assert_eq!(u16_at(&b, keys + 2 * (count as usize - 1)), 4490);
        assert_eq!(u16_at(&b, keys + 2 * (count as usize - 4)), 2048);
    }

    #[test]
    fn ascii_grid_of_variance_absent_for_idw() {
        let spec = GridSpec {
            x_min: 0.0,
            y_min: 0.0,
            cell_size: 1.0,
            ncols: 1,
            nrows: 1,
        };
        let grid = Grid {
            spec,
            estimate: vec![1.0],
            variance: None,
        };
        let mut out = Vec::new();
        assert!(!grid.write_esri_ascii(Band::Variance, &mut out).unwrap());
        assert!(out.is_empty());
    }

    #[test]
    fn covering_rejects_bad_cell_sizes_and_huge_grids() {
        assert!(GridSpec::covering(&[[0.0, 0.0]], 0.0).is_err());
        assert!(GridSpec::covering(&[[0.0, 0.0]], f64::NAN).is_err());
        assert!(matches!(
            GridSpec::covering(&[[0.0, 0.0], [1e6, 1e6]], 0.01),
            Err(GeostatError::GridTooLarge { .. })
        ));
        let one = GridSpec::covering(&[[5.0, 5.0]], 1.0).unwrap();
        assert_eq!((one.ncols, one.nrows), (1, 1));
        assert_eq!(one.cell_center(0, 0), (5.0, 5.0));
    }

    #[test]
    fn epsg_of_zones() {
        assert_eq!(gk_cm_epsg(75.0), Some(4534));
        assert_eq!(gk_cm_epsg(135.0), Some(4554));
        assert_eq!(gk_cm_epsg(138.0), None);
        assert!(prj_wkt(4554).unwrap().contains("CM_135E"));
    }
}
