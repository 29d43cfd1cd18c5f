//! Errors of the domain layer. Every message names the offending value and what was expected,
//! in Chinese and English.

/// Result alias for the domain layer.
pub type CoreResult<T> = Result<T, CoreError>;

/// A value that does not make a valid domain object.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoreError {
    #[error("无效的行政区划代码 / invalid division code '{code}': {reason}")]
    InvalidDivisionCode { code: String, reason: &'static str },
    #[error("无效的统一社会信用代码 / invalid unified social credit code '{code}': {reason}")]
    InvalidUscc { code: String, reason: String },
    #[error("无法识别的单位 / unknown unit '{unit}' (expected one of mg/kg, μg/kg, ng/kg, g/kg, %, mg/L, μg/L, ng/L, g/L, cmol/kg, 无量纲)")]
    UnknownUnit { unit: String },
    #[error("单位不可换算 / cannot convert '{from}' to '{to}': {from} is a {from_dim}, {to} is a {to_dim}")]
    IncompatibleUnits {
        from: String,
        to: String,
        from_dim: &'static str,
        to_dim: &'static str,
    },
    #[error("无法识别的土地利用类型 / unknown land use '{value}' (expected a GB/T 21010 code such as 0101, a name such as 水田, or paddy|upland|orchard|rotation)")]
    UnknownLandUse { value: String },
    #[error("无法识别的样品介质 / unknown medium '{value}' (expected 土壤|农产品|灌溉水|地下水|地表水|底泥|其他 or soil|agricultural_product|irrigation_water|groundwater|surface_water|sediment|other)")]
    UnknownMedium { value: String },
    #[error("无法识别的检测项目 / unknown analyte '{value}' (see GET /api/v1/analytes for names and aliases)")]
    UnknownAnalyte { value: String },
    #[error("无效的坐标 / invalid coordinate {lon}, {lat}: {reason}")]
    InvalidCoordinate {
        lon: f64,
        lat: f64,
        reason: &'static str,
    },
    #[error("字段 risk_category: 无法识别的风险区类别 '{value}' / field risk_category: unknown risk-area category '{value}' (expected one of {expected})")]
    UnknownRiskCategory { value: String, expected: String },
    #[error("无效的值 / invalid {field} '{value}': {expected}")]
    InvalidValue {
        field: &'static str,
        value: String,
        expected: &'static str,
    },
}
