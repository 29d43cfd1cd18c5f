//! The sharing-catalogue conformance checks (issue 9) on SQLite (always run).

use soilwatch_store::{conformance_sharing, connect, Store};

macro_rules! sqlite_checks {
    ($($name:ident),+ $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("test.db");
            let store = connect(path.to_str().expect("utf-8 path")).await.expect("connect");
            store.migrate().await.expect("migrate");
            conformance_sharing::$name(&store).await;
            store.close().await;
        }
    )+};
}

sqlite_checks!(
    catalogue_is_seeded_and_versioned,
    requests_grants_and_logged_reads,
    reads_of_several_datasets_decide_and_log_as_each_alone,
);
