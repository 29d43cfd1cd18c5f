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

/// Transactions that read before they write, from several connections at once (issue 13): a
/// deferred SQLite transaction that has read cannot wait for the write lock when another
/// connection committed meanwhile and fails with "database is locked"; write transactions begin
/// IMMEDIATE, so every one waits its turn and all succeed.
#[tokio::test]
async fn concurrent_read_then_write_transactions_all_succeed() {
    use soilwatch_store::public_reports::{NewPublicReport, RateLimit};
    use soilwatch_store::PublicReportStore;
    use std::sync::Arc;

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("test.db");
    let store = Arc::new(
        connect(path.to_str().expect("utf-8 path"))
            .await
            .expect("connect"),
    );
    store.migrate().await.expect("migrate");
    soilwatch_store::seed::seed(store.as_ref())
        .await
        .expect("seed");
    let (tasks, each) = (8, 25);
    let mut handles = Vec::new();
    for t in 0..tasks {
        let store = Arc::clone(&store);
        handles.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            for i in 0..each {
                // Each report reads the division and the reporter's recent reports, then writes.
                let r = NewPublicReport {
                    division: Some("513402".parse().expect("code")),
                    address: Some(format!("会理市某村 {t}-{i}")),
                    description: format!("并发举报 {t}-{i}"),
                    client_key: format!("client-{t}-{i}"),
                    ..NewPublicReport::default()
                };
                if let Err(e) = store.create_public_report(&r, RateLimit::default()).await {
                    failures.push(e.to_string());
                }
            }
            failures
        }));
    }
    let mut failures = Vec::new();
    for h in handles {
        failures.extend(h.await.expect("task"));
    }
    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        failures.first()
    );
    let stored = store.list_public_reports(None).await.expect("list");
    assert_eq!(stored.len(), tasks * each);
    store.close().await;
}
