//! The registry conformance checks (issue 8) on PostgreSQL: run when `SOILWATCH_TEST_PG` names a
//! server (e.g. `postgres://postgres@127.0.0.1:5432/test`), each check in a fresh database.

use soilwatch_store::{conformance, conformance_registry, Store};

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
            conformance_registry::$name(&store).await;
            conformance::drop_pg_database(&base, store, &db).await;
        }
    )+};
}

postgres_checks!(
    plots_lifecycle_boundary_samples_and_history,
    enterprises_disclosures_and_tailings_ponds,
    manifests_are_filed_before_departure_and_reconciled,
);
