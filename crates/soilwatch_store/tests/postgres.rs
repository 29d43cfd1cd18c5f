//! The conformance suite on PostgreSQL: runs when `SOILWATCH_TEST_PG` names a server
//! (e.g. `postgres://postgres@127.0.0.1:5432/test`), each check in a fresh database.

use soilwatch_store::{conformance, Store};

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
            conformance::$name(&store).await;
            conformance::drop_pg_database(&base, store, &db).await;
        }
    )+};
}

postgres_checks!(
    migrate_is_idempotent_and_versioned,
    divisions_round_trip,
    analytes_round_trip,
    departments_keep_versions,
    points_samples_results_round_trip,
    batches_are_all_or_nothing,
    corrections_keep_previous_versions,
    queries_filter_by_division_medium_analyte_and_time,
    imports_commit_all_or_nothing_with_provenance,
    local_rulesets_are_kept_as_filed,
);
