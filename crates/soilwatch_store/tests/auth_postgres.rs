//! The accounts-and-security conformance checks (issue 7) on PostgreSQL: run when `SOILWATCH_TEST_PG` names a
//! server (e.g. `postgres://postgres@127.0.0.1:5432/test`), each check in a fresh database.

use soilwatch_store::{conformance, conformance_auth, Store};

fn server() -> Option<String> {
    match std::env::var("SOILWATCH_TEST_PG") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            eprintln!("skipped: SOILWATCH_TEST_PG is not set (e.g. postgres://postgres@127.0.0.1:5432/test)");
            None
        }
    }
}

macro_rules! postgres_checks {
    ($($name:ident),+ $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let Some(base) = server() else { return };
            let (store, db) = conformance::fresh_pg_database(&base, stringify!($name)).await;
            assert_eq!(store.kind().name(), "postgres");
            conformance_auth::$name(&store).await;
            conformance::drop_pg_database(&base, store, &db).await;
        }
    )+};
}

postgres_checks!(
    users_roles_departments_and_passwords,
    sessions_expire_and_end,
    api_tokens_are_hashed_and_revoked,
    login_failures_are_counted_in_a_window,
    audit_log_appends_and_filters,
    log_lines_of_concurrent_requests_are_all_kept,
);
