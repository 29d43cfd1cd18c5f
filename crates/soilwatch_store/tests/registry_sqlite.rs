//! The registry conformance checks (issue 8) on SQLite (always run).

use soilwatch_store::{conformance_registry, connect, Store};

macro_rules! sqlite_checks {
    ($($name:ident),+ $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("test.db");
            let store = connect(path.to_str().expect("utf-8 path")).await.expect("connect");
            store.migrate().await.expect("migrate");
            conformance_registry::$name(&store).await;
            store.close().await;
        }
    )+};
}

sqlite_checks!(
    plots_lifecycle_boundary_samples_and_history,
    enterprises_disclosures_and_tailings_ponds,
    manifests_are_filed_before_departure_and_reconciled,
);
