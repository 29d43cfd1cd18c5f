//! The classification conformance checks (issue 6) on SQLite (always run).

use soilwatch_store::{conformance_classification, connect, Store};

macro_rules! sqlite_checks {
    ($($name:ident),+ $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("test.db");
            let store = connect(path.to_str().expect("utf-8 path")).await.expect("connect");
            store.migrate().await.expect("migrate");
            conformance_classification::$name(&store).await;
            store.close().await;
        }
    )+};
}

sqlite_checks!(
    units_keep_versions,
    runs_store_inputs_evidence_reviews_and_changes,
    grid_units_for_a_county_without_parcels,
    target_areas_per_unit_year_and_measure,
);
