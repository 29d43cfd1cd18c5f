//! The crate's error type.

/// Result alias for this crate.
pub type GeostatResult<T> = Result<T, GeostatError>;

/// Errors of projection, variogram fitting and interpolation.
///
/// Messages are bilingual (Chinese / English) and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum GeostatError {
    #[error("投影失败 / projection failed: {0}")]
    Projection(String),
    #[error("空几何 / empty geometry: {0}")]
    Empty(&'static str),
    #[error("没有数据点 / no data points: at least one point with a finite value is needed")]
    NoPoints,
    #[error(
        "第 {index} 个点的坐标或数值不是有限数 / point {index}: coordinate or value is not a finite number \
         (NaN or infinite); remove or fix it"
    )]
    NonFinite { index: usize },
    #[error(
        "第 {index} 个点的数值 {value} 不能取对数 / point {index}: value {value} is not positive, so the \
         log transform cannot be used; drop the transform or the non-positive values"
    )]
    NonPositiveForLog { index: usize, value: f64 },
    #[error("参数无效 / invalid parameter {name}: {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    #[error(
        "变异函数拟合失败 / variogram fitting failed: {0}; give the variogram explicitly \
         (MODEL:nugget=…,psill=…,range=…)"
    )]
    Fit(String),
    #[error(
        "克里金方程组奇异 / the kriging system is singular near ({x}, {y}); check for (nearly) coincident \
         points or add a nugget"
    )]
    Singular { x: f64, y: f64 },
    #[error("网格过大 / grid too large: {ncols} × {nrows} cells (at most {max}); use a larger cell size")]
    GridTooLarge {
        ncols: usize,
        nrows: usize,
        max: usize,
    },
}
