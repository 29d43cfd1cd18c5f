//! The submissions conformance checks (issue 9) on SQLite (always run).

use soilwatch_store::{conformance_submissions, connect, Store};

macro_rules! sqlite_checks {
    ($($name:ident),+ $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("test.db");
            let store = connect(path.to_str().expect("utf-8 path")).await.expect("connect");
            store.migrate().await.expect("migrate");
            conformance_submissions::$name(&store).await;
            store.close().await;
        }
    )+};
}

sqlite_checks!(
    campaigns_uploads_reviews_and_history,
    in_time_uploads_are_not_late,
);
