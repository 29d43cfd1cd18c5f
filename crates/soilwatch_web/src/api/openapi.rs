//! The OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use utoipa::OpenApi;

use super::{analytes, departments, divisions, health, imports, points, samples, standards};
use crate::error::{ErrorDetail, ErrorResponse};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "soilwatch API",
        description = "土壤环境信息化管理平台 / soil environment information platform: divisions, \
                       analytes, departments, monitoring points, samples and results, standards and evaluation."
    ),
    paths(
        health::get_health,
        divisions::list_divisions,
        divisions::get_division,
        analytes::list_analytes,
        analytes::get_analyte,
        departments::list_departments,
        points::list_points,
        points::get_point,
        points::get_point_history,
        points::create_point,
        points::update_point,
        points::retire_point,
        samples::list_samples,
        super::network::get_coverage,
        super::network::list_risk_categories,
        samples::list_results,
        samples::get_sample,
        samples::get_result_history,
        samples::get_sample_evaluation,
        imports::create_import,
        imports::list_imports,
        imports::get_import,
        imports::get_template,
        standards::list_standards,
        standards::create_standard,
        standards::get_standard,
    ),
    components(schemas(
        ErrorResponse,
        ErrorDetail,
        health::HealthResponse,
        divisions::DivisionResponse,
        analytes::AnalyteResponse,
        departments::DepartmentResponse,
        samples::SampleEvaluationResponse,
        standards::LocalRulesetRequest,
        points::PointWriteRequest,
        points::PointRetireRequest,
        super::network::RiskCategoryResponse,
    ))
)]
pub struct ApiDoc;

/// The OpenAPI document of every route.
pub async fn get_openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
