//! Errors of the classification crate: each names the input, the field and what was expected.

/// Result alias.
pub type ClassifyResult<T> = Result<T, ClassifyError>;

#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    /// A unit file (GeoJSON, GeoPackage) that cannot be used as it is.
    #[error("评价单元文件 / unit file: {0}")]
    UnitFile(String),
    /// The file's coordinate reference system (units, plot boundaries) is neither CGCS2000 nor
    /// WGS 84.
    #[error(
        "文件的坐标系为 {found}，仅支持 CGCS2000（EPSG:4490）或 WGS 84（EPSG:4326）经纬度，\
         请先转换 / the file's CRS is {found}; soilwatch reads CGCS2000 (EPSG:4490) or WGS 84 \
         (EPSG:4326) longitude/latitude only: reproject it first (e.g. ogr2ogr -t_srs EPSG:4490)"
    )]
    UnsupportedCrs { found: String },
    /// A setting outside its range.
    #[error("字段 {field} / field {field}: '{value}' — 应为 / expected {expected}")]
    Setting {
        field: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error(transparent)]
    Geostat(#[from] soilwatch_geostat::GeostatError),
    #[error(transparent)]
    Standards(#[from] soilwatch_standards::StandardsError),
}
