//! Streamed imports on SQLite (always run): files larger than one write chunk.

use soilwatch_store::{conformance_import, connect, Store};

macro_rules! sqlite_checks {
    ($($name:ident),+ $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("test.db");
            let store = connect(path.to_str().expect("utf-8 path")).await.expect("connect");
            store.migrate().await.expect("migrate");
            conformance_import::$name(&store).await;
            store.close().await;
        }
    )+};
}

sqlite_checks!(
    streamed_import_spanning_chunks_stores_every_row,
    streamed_import_with_a_bad_row_changes_nothing,
    streamed_reimport_corrects_with_history,
    rejected_file_reports_stored_sample_conflicts,
    bulk_writer_refuses_dangling_references,
    bulk_import_keeps_points_last_sampled,
);
