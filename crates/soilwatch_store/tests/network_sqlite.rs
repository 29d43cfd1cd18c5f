//! The network conformance checks (issue 5) on SQLite (always run).

use soilwatch_store::{conformance_exceedance, conformance_network, connect, Store};

macro_rules! sqlite_checks {
    ($m:ident: $($name:ident),+ $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("test.db");
            let store = connect(path.to_str().expect("utf-8 path")).await.expect("connect");
            store.migrate().await.expect("migrate");
            $m::$name(&store).await;
            store.close().await;
        }
    )+};
}

sqlite_checks!(
    conformance_network:
    points_register_validate_move_and_retire,
    find_filters_sort_and_page,
    coverage_counts_gaps_and_stale_points,
    demo_loads_into_an_empty_database_only,
    results_by_batch_and_point_in_every_order,
    counts_stop_at_their_cap,
);

sqlite_checks!(
    conformance_exceedance:
    exceedance_filter_follows_the_standards_engine,
);
