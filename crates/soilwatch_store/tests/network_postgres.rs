//! The network conformance checks (issue 5) on PostgreSQL: run when `SOILWATCH_TEST_PG` names a
//! server (e.g. `postgres://postgres@127.0.0.1:5432/test`), each check in a fresh database.

use soilwatch_store::{conformance, conformance_exceedance, conformance_network, Store};

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
    ($m:ident: $($name:ident),+ $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let Some(base) = server() else { return };
            let (store, db) = conformance::fresh_pg_database(&base, stringify!($name)).await;
            assert_eq!(store.kind().name(), "postgres");
            $m::$name(&store).await;
            conformance::drop_pg_database(&base, store, &db).await;
        }
    )+};
}

postgres_checks!(
    conformance_network:
    points_register_validate_move_and_retire,
    find_filters_sort_and_page,
    coverage_counts_gaps_and_stale_points,
    demo_loads_into_an_empty_database_only,
    results_by_batch_and_point_in_every_order,
    counts_stop_at_their_cap,
);

postgres_checks!(
    conformance_exceedance:
    exceedance_filter_follows_the_standards_engine,
);
