//! The target and indicator conformance checks (issue 10) on SQLite (always run).

use soilwatch_store::{conformance_targets, connect, Store};

macro_rules! sqlite_checks {
    ($($name:ident),+ $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("test.db");
            let store = connect(path.to_str().expect("utf-8 path")).await.expect("connect");
            store.migrate().await.expect("migrate");
            conformance_targets::$name(&store).await;
            store.close().await;
        }
    )+};
}

sqlite_checks!(
    indicators_are_computed_as_worked_by_hand,
    targets_are_set_over_the_defaults_with_history,
    submissions_on_time_are_worked_by_hand,
);
