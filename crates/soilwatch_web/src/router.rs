//! Every route of the platform, in one place.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;

use crate::api::{
    analytes, departments, divisions, health, imports, openapi, points, samples, standards,
};
use crate::error::ApiError;
use crate::AppState;

/// The application: API, health and pages.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(crate::pages::dashboard::dashboard_page))
        .route(
            "/counties/{code}",
            get(crate::pages::dashboard::county_page),
        )
        .route("/points", get(crate::pages::lists::points_page))
        .route("/samples", get(crate::pages::lists::samples_page))
        .route("/results", get(crate::pages::lists::results_page))
        .route("/standards", get(crate::pages::lists::standards_page))
        .route("/healthz", get(health::get_health))
        .route(
            "/static/soilwatch.css",
            get(crate::security::get_stylesheet),
        )
        .route("/api/v1/points", axum::routing::post(points::create_point))
        .route(
            "/api/v1/points/{code}",
            axum::routing::put(points::update_point),
        )
        .route(
            "/api/v1/points/{code}/retire",
            axum::routing::post(points::retire_point),
        )
        .route("/api/v1/samples", get(samples::list_samples))
        .route(
            "/api/v1/network/coverage",
            get(crate::api::network::get_coverage),
        )
        .route(
            "/api/v1/network/risk-categories",
            get(crate::api::network::list_risk_categories),
        )
        .route(
            "/network/coverage",
            get(crate::pages::coverage::coverage_page),
        )
        .route(
            "/points/new",
            get(crate::pages::point_form::new_point_page)
                .post(crate::pages::point_form::create_point_page),
        )
        .route("/points/{code}", get(crate::pages::point::point_page))
        .route(
            "/points/{code}/edit",
            get(crate::pages::point_form::edit_point_page)
                .post(crate::pages::point_form::update_point_page),
        )
        .route("/samples/{id}", get(crate::pages::sample::sample_page))
        .route("/results/{id}", get(crate::pages::detail::result_page))
        .route("/standards/{id}", get(crate::pages::detail::standard_page))
        .route(
            "/enterprises/{uscc}",
            get(crate::pages::detail::enterprise_page),
        )
        .route("/api/v1/openapi.json", get(openapi::get_openapi))
        .route("/api/v1/divisions", get(divisions::list_divisions))
        .route("/api/v1/divisions/{code}", get(divisions::get_division))
        .route("/api/v1/analytes", get(analytes::list_analytes))
        .route("/api/v1/analytes/{code}", get(analytes::get_analyte))
        .route(
            "/api/v1/departments",
            get(departments::list_departments).post(departments::create_department),
        )
        // Accounts and security (issue 7).
        .route(
            "/api/v1/departments/{code}",
            get(departments::get_department).put(departments::update_department),
        )
        .route(
            "/api/v1/departments/{code}/history",
            get(departments::get_department_history),
        )
        .route("/api/v1/auth/me", get(crate::api::auth::get_me))
        .route(
            "/api/v1/auth/tokens",
            get(crate::api::auth::list_tokens).post(crate::api::auth::create_token),
        )
        .route(
            "/api/v1/auth/tokens/{id}",
            axum::routing::delete(crate::api::auth::revoke_token),
        )
        .route("/api/v1/audit", get(crate::api::auth::list_audit))
        .route(
            "/login",
            get(crate::pages::login::login_page).post(crate::pages::login::login_submit),
        )
        .route(
            "/logout",
            get(crate::pages::login::logout_page).post(crate::pages::login::logout_submit),
        )
        .route("/account", get(crate::pages::account::account_page))
        .route(
            "/account/tokens",
            axum::routing::post(crate::pages::account::create_token_page),
        )
        .route(
            "/account/tokens/{id}/revoke",
            axum::routing::post(crate::pages::account::revoke_token_page),
        )
        .route(
            "/admin/departments",
            get(crate::pages::admin::departments_page)
                .post(crate::pages::admin::create_department_page),
        )
        .route(
            "/admin/departments/{code}",
            axum::routing::post(crate::pages::admin::update_department_page),
        )
        .route(
            "/admin/users",
            get(crate::pages::admin::users_page).post(crate::pages::admin::create_user_page),
        )
        .route(
            "/admin/users/{username}/disable",
            axum::routing::post(crate::pages::admin::disable_user_page),
        )
        .route(
            "/admin/users/{username}/enable",
            axum::routing::post(crate::pages::admin::enable_user_page),
        )
        .route(
            "/admin/users/{username}/password",
            axum::routing::post(crate::pages::admin::reset_password_page),
        )
        .route("/admin/audit", get(crate::pages::admin::audit_page))
        .route("/api/v1/points", get(points::list_points))
        .route("/api/v1/points/{code}", get(points::get_point))
        .route(
            "/api/v1/points/{code}/history",
            get(points::get_point_history),
        )
        .route("/api/v1/results", get(samples::list_results))
        .route(
            "/api/v1/results/{id}/history",
            get(samples::get_result_history),
        )
        .route("/api/v1/samples/{id}", get(samples::get_sample))
        .route(
            "/api/v1/samples/{id}/evaluation",
            get(samples::get_sample_evaluation),
        )
        .route(
            "/api/v1/imports",
            get(imports::list_imports)
                .post(imports::create_import)
                .layer(state.limits.upload_layer()),
        )
        .route("/api/v1/imports/{id}", get(imports::get_import))
        .route(
            "/imports",
            get(crate::pages::imports::imports_page)
                .post(crate::pages::imports::upload_page)
                .layer(state.limits.upload_layer()),
        )
        .route("/imports/{id}", get(crate::pages::imports::import_page))
        .route("/api/v1/templates/{file}", get(imports::get_template))
        .route(
            "/api/v1/standards",
            get(standards::list_standards).post(standards::create_standard),
        )
        .route("/api/v1/standards/{id}", get(standards::get_standard))
        // Registries and workflows (issue 8).
        .route(
            "/api/v1/registry/codes",
            get(crate::api::plots::get_registry_codes),
        )
        .route(
            "/api/v1/plots",
            get(crate::api::plots::list_plots).post(crate::api::plots::create_plot),
        )
        .route(
            "/api/v1/plots/boundaries",
            axum::routing::post(crate::api::plot_boundaries::upload_plot_boundaries)
                .layer(state.limits.upload_layer()),
        )
        .route(
            "/api/v1/plots/{code}",
            get(crate::api::plots::get_plot).put(crate::api::plots::update_plot),
        )
        .route(
            "/api/v1/plots/{code}/history",
            get(crate::api::plots::get_plot_history),
        )
        .route(
            "/api/v1/plots/{code}/steps",
            axum::routing::post(crate::api::plots::add_plot_step),
        )
        .route(
            "/api/v1/plots/{code}/evaluation",
            get(crate::api::plots::get_plot_evaluation),
        )
        .route(
            "/api/v1/plots/{code}/gate",
            get(crate::api::plots::get_plot_gate),
        )
        .route(
            "/api/v1/enterprises",
            get(crate::api::enterprises::list_enterprises)
                .post(crate::api::enterprises::create_enterprise),
        )
        .route(
            "/api/v1/enterprises/exceedances",
            get(crate::api::self_monitoring::get_exceedances),
        )
        .route(
            "/api/v1/public/enterprises",
            get(crate::api::enterprises::list_public_enterprises),
        )
        .route(
            "/api/v1/enterprises/{uscc}",
            get(crate::api::enterprises::get_enterprise)
                .put(crate::api::enterprises::update_enterprise),
        )
        .route(
            "/api/v1/enterprises/{uscc}/history",
            get(crate::api::enterprises::get_enterprise_history),
        )
        .route(
            "/api/v1/enterprises/{uscc}/disclosures",
            get(crate::api::enterprises::list_disclosures),
        )
        .route(
            "/api/v1/enterprises/{uscc}/disclosures/{year}",
            axum::routing::put(crate::api::enterprises::put_disclosure),
        )
        .route(
            "/api/v1/enterprises/{uscc}/disclosures/{year}/history",
            get(crate::api::enterprises::get_disclosure_history),
        )
        .route(
            "/api/v1/demolition-plans",
            get(crate::api::demolition::list_demolition_plans)
                .post(crate::api::demolition::create_demolition_plan),
        )
        .route(
            "/api/v1/public/demolition-plans",
            get(crate::api::demolition::list_public_demolition_plans),
        )
        .route(
            "/api/v1/demolition-plans/{code}",
            get(crate::api::demolition::get_demolition_plan)
                .put(crate::api::demolition::update_demolition_plan),
        )
        .route(
            "/api/v1/demolition-plans/{code}/history",
            get(crate::api::demolition::get_demolition_plan_history),
        )
        .route(
            "/api/v1/demolition-plans/{code}/status",
            axum::routing::post(crate::api::demolition::set_demolition_status),
        )
        .route(
            "/api/v1/remediation-projects",
            get(crate::api::remediation::list_projects)
                .post(crate::api::remediation::create_project),
        )
        .route(
            "/api/v1/remediation-projects/{code}",
            get(crate::api::remediation::get_project).put(crate::api::remediation::update_project),
        )
        .route(
            "/api/v1/remediation-projects/{code}/history",
            get(crate::api::remediation::get_project_history),
        )
        .route(
            "/api/v1/remediation-projects/{code}/totals",
            get(crate::api::remediation::get_project_totals),
        )
        .route(
            "/api/v1/manifests",
            get(crate::api::remediation::list_manifests)
                .post(crate::api::remediation::create_manifest),
        )
        .route(
            "/api/v1/manifests/{code}",
            get(crate::api::remediation::get_manifest)
                .put(crate::api::remediation::update_manifest),
        )
        .route(
            "/api/v1/manifests/{code}/history",
            get(crate::api::remediation::get_manifest_history),
        )
        .route(
            "/api/v1/manifests/{code}/receive",
            axum::routing::post(crate::api::remediation::receive_manifest),
        )
        .route(
            "/api/v1/tailings-ponds",
            get(crate::api::tailings::list_tailings_ponds)
                .post(crate::api::tailings::create_tailings_pond),
        )
        .route(
            "/api/v1/tailings-ponds/{code}",
            get(crate::api::tailings::get_tailings_pond)
                .put(crate::api::tailings::update_tailings_pond),
        )
        .route(
            "/api/v1/tailings-ponds/{code}/history",
            get(crate::api::tailings::get_tailings_pond_history),
        )
        .route(
            "/api/v1/mining-areas",
            get(crate::api::mining::list_mining_areas).post(crate::api::mining::create_mining_area),
        )
        .route(
            "/api/v1/public/mining-areas",
            get(crate::api::mining::list_public_mining_areas),
        )
        .route(
            "/api/v1/mining-areas/{code}",
            get(crate::api::mining::get_mining_area).put(crate::api::mining::update_mining_area),
        )
        .route(
            "/api/v1/mining-areas/{code}/history",
            get(crate::api::mining::get_mining_area_history),
        )
        .route("/plots", get(crate::pages::registry::plots_page))
        .route(
            "/plots/new",
            get(crate::pages::plot_form::new_plot_page)
                .post(crate::pages::plot_form::create_plot_page),
        )
        .route("/plots/{code}", get(crate::pages::registry::plot_page))
        .route(
            "/plots/{code}/edit",
            get(crate::pages::plot_form::edit_plot_page)
                .post(crate::pages::plot_form::update_plot_page),
        )
        .route(
            "/plots/{code}/gate",
            get(crate::pages::registry::plot_gate_page),
        )
        .route(
            "/enterprises",
            get(crate::pages::registry::enterprises_page),
        )
        .route(
            "/remediation-projects/{code}",
            get(crate::pages::registry::project_page),
        )
        .route(
            "/tailings-ponds",
            get(crate::pages::registry::tailings_page),
        )
        .route(
            "/enterprises/exceedances",
            get(crate::pages::registry::exceedances_page),
        )
        .route(
            "/mining-areas",
            get(crate::pages::registry::mining_areas_page),
        )
        .route(
            "/mining-areas/new",
            get(crate::pages::registry_form::new_mining_area_page)
                .post(crate::pages::registry_form::create_mining_area_page),
        )
        .route(
            "/mining-areas/{code}/edit",
            get(crate::pages::registry_form::edit_mining_area_page)
                .post(crate::pages::registry_form::update_mining_area_page),
        )
        .route(
            "/mining-areas/{code}",
            get(crate::pages::registry::mining_area_page),
        )
        .route(
            "/demolition-plans/new",
            get(crate::pages::registry_form::new_demolition_plan_page)
                .post(crate::pages::registry_form::create_demolition_plan_page),
        )
        .route(
            "/demolition-plans/{code}/edit",
            get(crate::pages::registry_form::edit_demolition_plan_page)
                .post(crate::pages::registry_form::update_demolition_plan_page),
        )
        .route(
            "/demolition-plans",
            get(crate::pages::registry::demolition_plans_page),
        )
        .route(
            "/tailings-ponds/{code}",
            get(crate::pages::registers::pond_page),
        )
        .route(
            "/remediation-projects",
            get(crate::pages::registers::projects_page),
        )
        .route("/manifests", get(crate::pages::registers::manifests_page))
        .route(
            "/manifests/{code}",
            get(crate::pages::registers::manifest_page),
        )
        .route(
            "/api/v1/classification/runs",
            get(crate::api::classification::list_runs).post(crate::api::classification::create_run),
        )
        .route(
            "/api/v1/classification/runs/{id}",
            get(crate::api::classification::get_run),
        )
        .route(
            "/api/v1/classification/runs/{id}/units",
            get(crate::api::classification::list_run_units),
        )
        .route(
            "/api/v1/classification/runs/{id}/units/{code}",
            get(crate::api::classification::get_run_unit),
        )
        .route(
            "/api/v1/classification/runs/{id}/units/{code}/review",
            axum::routing::post(crate::api::classification::review_unit),
        )
        .route(
            "/api/v1/classification/runs/{id}/list",
            get(crate::api::classification::get_run_list),
        )
        .route(
            "/api/v1/classification/runs/{id}/changes",
            get(crate::api::classification::get_run_changes),
        )
        .route(
            "/api/v1/classification/units",
            axum::routing::post(crate::api::classification::upload_units)
                .layer(state.limits.upload_layer()),
        )
        .route(
            "/api/v1/classification/target-areas",
            get(crate::api::classification::list_target_areas)
                .post(crate::api::classification::create_target_area),
        )
        .route(
            "/classification",
            get(crate::pages::classification::runs_page),
        )
        .route(
            "/classification/runs/{id}",
            get(crate::pages::classification::classification_page),
        )
        // Yearly submissions (issue 9).
        .route(
            "/api/v1/submission-campaigns",
            get(crate::api::submissions::list_campaigns)
                .post(crate::api::submissions::create_campaign),
        )
        .route(
            "/api/v1/submissions",
            get(crate::api::submissions::list_submissions),
        )
        .route(
            "/api/v1/submissions/reminders",
            get(crate::api::submissions::list_reminders),
        )
        .route(
            "/api/v1/submissions/{id}",
            get(crate::api::submissions::get_submission),
        )
        .route(
            "/api/v1/submissions/{id}/uploads",
            axum::routing::post(crate::api::submissions::upload_submission)
                .layer(state.limits.upload_layer()),
        )
        .route(
            "/api/v1/submissions/{id}/review",
            axum::routing::post(crate::api::submissions::review_submission),
        )
        .route(
            "/submissions",
            get(crate::pages::submissions::submissions_page),
        )
        .route(
            "/submissions/reminders",
            get(crate::pages::submissions::reminders_page),
        )
        .route(
            "/submissions/{id}",
            get(crate::pages::submissions::submission_page),
        )
        .route(
            "/submissions/{id}/upload",
            axum::routing::post(crate::pages::submissions::upload_page)
                .layer(state.limits.upload_layer()),
        )
        .route(
            "/submissions/{id}/review",
            axum::routing::post(crate::pages::submissions::review_page),
        )
        // Indicators, targets and the yearly assessment (issue 10).
        .route(
            "/api/v1/indicators",
            get(crate::api::targets::list_indicators),
        )
        .route(
            "/api/v1/indicators/{indicator}",
            get(crate::api::targets::get_indicator),
        )
        .route("/api/v1/targets", get(crate::api::targets::list_targets))
        .route(
            "/api/v1/targets/{division}/{year}/{indicator}",
            axum::routing::put(crate::api::targets::put_target),
        )
        .route(
            "/api/v1/targets/{division}/{year}/{indicator}/history",
            get(crate::api::targets::get_target_history),
        )
        .route(
            "/api/v1/assessment",
            get(crate::api::targets::get_assessment),
        )
        .route("/indicators", get(crate::pages::targets::indicators_page))
        .route(
            "/indicators/{indicator}",
            get(crate::pages::targets::indicator_page),
        )
        .route(
            "/targets",
            get(crate::pages::targets::targets_page).post(crate::pages::targets::set_target_page),
        )
        .route("/assessment", get(crate::pages::targets::assessment_page))
        // The sharing catalogue (issue 9).
        .route(
            "/api/v1/catalogue",
            get(crate::api::catalogue::list_catalogue),
        )
        .route(
            "/api/v1/catalogue/{dataset}",
            axum::routing::put(crate::api::catalogue::put_catalogue_entry),
        )
        .route(
            "/api/v1/catalogue/{dataset}/history",
            get(crate::api::catalogue::get_catalogue_history),
        )
        .route(
            "/api/v1/catalogue/{dataset}/requests",
            axum::routing::post(crate::api::catalogue::create_access_request),
        )
        .route(
            "/api/v1/access-requests",
            get(crate::api::catalogue::list_access_requests),
        )
        .route(
            "/api/v1/access-requests/{id}/decision",
            axum::routing::post(crate::api::catalogue::decide_access_request),
        )
        .route(
            "/api/v1/data-access-log",
            get(crate::api::catalogue::list_data_access),
        )
        .route("/catalogue", get(crate::pages::submissions::catalogue_page))
        // Exchange packages (issue 9).
        .route(
            "/api/v1/packages",
            get(crate::api::packages::get_package)
                .post(crate::api::packages::post_package)
                .layer(state.limits.upload_layer()),
        )
        // Public portal, public reports and the annual report (issue 10).
        .route("/public", get(crate::pages::public::public_index))
        .route(
            "/public/enterprises",
            get(crate::pages::public::public_enterprises),
        )
        .route("/public/plots", get(crate::pages::public::public_plots))
        .route(
            "/public/remediation",
            get(crate::pages::public::public_remediation),
        )
        .route(
            "/public/reports",
            get(crate::pages::public_reports::report_form_page)
                .post(crate::pages::public_reports::submit_report_page),
        )
        .route(
            "/public/reports/track",
            get(crate::pages::public_reports::track_page),
        )
        .route(
            "/public/reports/locate",
            axum::routing::post(crate::pages::public_reports::locate_page),
        )
        .route(
            "/public/reports/map.svg",
            get(crate::pages::public_reports::report_map_svg),
        )
        .route(
            "/api/v1/public/reports",
            axum::routing::post(crate::api::public_reports::create_report),
        )
        .route(
            "/api/v1/public/reports/{tracking}",
            get(crate::api::public_reports::get_report_status),
        )
        .route(
            "/api/v1/public-reports",
            get(crate::api::public_reports::list_reports),
        )
        .route(
            "/api/v1/public-reports/{id}",
            get(crate::api::public_reports::get_report),
        )
        .route(
            "/api/v1/public-reports/{id}/handling",
            axum::routing::post(crate::api::public_reports::handle_report),
        )
        .route(
            "/api/v1/public-reports/{id}/photos/{seq}",
            get(crate::api::public_reports::get_report_photo),
        )
        .route(
            "/public-reports",
            get(crate::pages::public_reports::staff_list_page),
        )
        .route(
            "/public-reports/{id}",
            get(crate::pages::public_reports::staff_report_page)
                .post(crate::pages::public_reports::staff_handle_page),
        )
        .route(
            "/reports/annual",
            get(crate::pages::targets::annual_report_page),
        )
        .nest("/ogc", crate::ogc::routes())
        .route(
            "/api/v1/exports/{file}",
            get(crate::api::exports::get_export),
        )
        .fallback(not_found)
        // Language of the pages: `?lang=` and the `sw_lang` cookie (issue 7).
        .layer(axum::middleware::from_fn(crate::pages::i18n::layer))
        // Who asks, CSRF, no-store and the audit log, around every route (issue 7).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::middleware::layer,
        ))
        // Body size, `limit` and time per request (issue 13).
        .layer(state.limits.body_layer())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::limits::layer,
        ))
        // Security headers on every response, refusals included (issue 13).
        .layer(axum::middleware::from_fn(crate::security::layer))
        .with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> impl IntoResponse {
    if uri.path().starts_with("/api/") {
        ApiError::NotFound(format!("没有这个接口 / no such route: {}", uri.path())).into_response()
    } else {
        (StatusCode::NOT_FOUND, Html(PAGE_404)).into_response()
    }
}

const PAGE_404: &str =
    "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>未找到</title>\
<p>页面不存在 / page not found. <a href=\"/\">返回首页 / home</a></p></html>";
