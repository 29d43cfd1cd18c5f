//! The sharing-catalogue conformance checks (issue 9) on PostgreSQL: run when `SOILWATCH_TEST_PG` names a
//! server (e.g. `postgres://postgres@127.0.0.1:5432/test`), each check in a fresh database.

use soilwatch_store::{conformance, conformance_sharing, Store};

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
            conformance_sharing::$name(&store).await;
            conformance::drop_pg_database(&base, store, &db).await;
        }
    )+};
}

postgres_checks!(
    catalogue_is_seeded_and_versioned,
    requests_grants_and_logged_reads,
    reads_of_several_datasets_decide_and_log_as_each_alone,
);
