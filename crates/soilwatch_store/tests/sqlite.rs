//! The conformance suite on SQLite (always runs).

use soilwatch_store::{conformance, connect, Store};

macro_rules! sqlite_checks {
    ($($name:ident),+ $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("test.db");
            let store = connect(path.to_str().expect("utf-8 path")).await.expect("connect");
            store.migrate().await.expect("migrate");
            conformance::$name(&store).await;
            store.close().await;
        }
    )+};
}

sqlite_checks!(
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

#[tokio::test]
async fn unopenable_path_is_a_clear_error() {
    let err = connect("/no/such/dir/soilwatch.db")
        .await
        .expect_err("must fail");
    let msg = err.to_string();
    assert!(msg.contains("/no/such/dir"), "{msg}");
    assert!(!std::path::Path::new("/no/such/dir/soilwatch.db").exists());
}

#[tokio::test]
async fn database_survives_reopening() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keep.db");
    let url = format!("sqlite://{}", path.display());
    {
        let store = connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        soilwatch_store::seed::seed(&store).await.expect("seed");
        store.close().await;
    }
    let store = connect(&url).await.expect("reopen");
    store.migrate().await.expect("migrate again");
    assert_eq!(store.list_divisions().await.expect("list").len(), 18);
    assert_eq!(store.kind().name(), "sqlite");
    store.close().await;
}
