//! The accounts-and-security conformance checks (issue 7) on SQLite (always run).

use soilwatch_store::{conformance_auth, connect, Store};

macro_rules! sqlite_checks {
    ($($name:ident),+ $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("test.db");
            let store = connect(path.to_str().expect("utf-8 path")).await.expect("connect");
            store.migrate().await.expect("migrate");
            conformance_auth::$name(&store).await;
            store.close().await;
        }
    )+};
}

sqlite_checks!(
    users_roles_departments_and_passwords,
    sessions_expire_and_end,
    api_tokens_are_hashed_and_revoked,
    login_failures_are_counted_in_a_window,
    audit_log_appends_and_filters,
    log_lines_of_concurrent_requests_are_all_kept,
);
