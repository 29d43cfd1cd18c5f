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
        super::plots::get_registry_codes,
        super::plots::list_plots,
        super::plots::get_plot,
        super::plots::get_plot_history,
        super::plots::create_plot,
        super::plots::update_plot,
        super::plots::add_plot_step,
        super::plots::get_plot_evaluation,
        super::plots::get_plot_gate,
        super::enterprises::list_enterprises,
        super::enterprises::list_public_enterprises,
        super::enterprises::get_enterprise,
        super::enterprises::get_enterprise_history,
        super::enterprises::create_enterprise,
        super::enterprises::update_enterprise,
        super::enterprises::list_disclosures,
        super::enterprises::put_disclosure,
        super::remediation::list_projects,
        super::remediation::get_project,
        super::remediation::get_project_history,
        super::remediation::create_project,
        super::remediation::update_project,
        super::remediation::get_project_totals,
        super::remediation::list_manifests,
        super::remediation::get_manifest,
        super::remediation::get_manifest_history,
        super::remediation::create_manifest,
        super::remediation::update_manifest,
        super::remediation::receive_manifest,
        super::tailings::list_tailings_ponds,
        super::tailings::get_tailings_pond,
        super::tailings::get_tailings_pond_history,
        super::tailings::create_tailings_pond,
        super::tailings::update_tailings_pond,
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
        super::plots::PlotWriteRequest,
        super::plots::PlotStepRequest,
        super::plots::CodeEntry,
        super::plots::RegistryCodesResponse,
        super::enterprises::EnterpriseWriteRequest,
        super::enterprises::DisclosureWriteRequest,
        super::enterprises::DisclosuresResponse,
        super::remediation::ProjectWriteRequest,
        super::remediation::ManifestWriteRequest,
        super::remediation::ReceiptRequest,
        super::remediation::ManifestView,
        super::remediation::ProjectTotalsResponse,
        super::tailings::TailingsWriteRequest,
        super::network::RiskCategoryResponse,
    ))
)]
pub struct ApiDoc;

/// The OpenAPI document of every route.
pub async fn get_openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
