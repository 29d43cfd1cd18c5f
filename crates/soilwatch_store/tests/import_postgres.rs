//! Streamed imports on PostgreSQL (COPY path): run when `SOILWATCH_TEST_PG` names a server, each
//! check in a fresh database.

use soilwatch_store::{conformance, conformance_import, Store};

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
            conformance_import::$name(&store).await;
            conformance::drop_pg_database(&base, store, &db).await;
        }
    )+};
}

postgres_checks!(
    streamed_import_spanning_chunks_stores_every_row,
    streamed_import_with_a_bad_row_changes_nothing,
    streamed_reimport_corrects_with_history,
    rejected_file_reports_stored_sample_conflicts,
);
