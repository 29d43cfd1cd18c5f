//! Streamed imports on PostgreSQL (COPY path): run when `SOILWATCH_TEST_PG` names a server, each
//! check in a fresh database.

use soilwatch_store::{conformance, conformance_import, Store};

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
    ($($name:ident),+ $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let Some(base) = server() else { return };
            let (store, db) = conformance::fresh_pg_database(&base, stringify!($name)).await;
            assert_eq!(store.kind().name(), "postgres");
            conformance_import::$name(&store).await;
            conformance::drop_pg_database(&base, store, &db).await;
        }
    )+};
}

postgres_checks!(
    streamed_import_spanning_chunks_stores_every_row,
    streamed_import_with_a_bad_row_changes_nothing,
    streamed_reimport_corrects_with_history,
    rejected_file_reports_stored_sample_conflicts,
    bulk_writer_refuses_dangling_references,
    bulk_import_keeps_points_last_sampled,
);

fn probe() -> soilwatch_store::NewImport {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    soilwatch_store::NewImport {
        kind: "results_long".into(),
        file_name: "probe.csv".into(),
        checksum: format!("probe {n}"),
        uploader: "lab".into(),
        department: None,
        rows_read: 0,
        report: serde_json::Value::Null,
    }
}

async fn strategy(store: &dyn Store) -> &'static str {
    store
        .begin_import(&probe(), true)
        .await
        .expect("writer")
        .strategy()
}

/// `base` with the user `user` (no password: the test server trusts local connections) and the
/// database `db`.
fn url_as(base: &str, user: &str, db: &str) -> String {
    let (scheme, rest) = base.split_once("://").expect("a URL");
    let host = rest.split_once('@').map_or(rest, |(_, h)| h);
    let host = host.split('/').next().expect("host");
    format!("{scheme}://{user}@{host}/{db}")
}

/// A superuser's bulk import checks references per chunk (the per-row triggers off); a role
/// that may not set `session_replication_role` gets the per-row checks, and its imports do
/// everything the same: every row stored, a bad row stores nothing, a dangling reference is
/// refused, the points' newest sampling dates kept. A role granted the parameter (PostgreSQL
/// 15+) gets the set-based checks only with UPDATE on the referenced tables (to lock their rows).
#[tokio::test]
async fn set_based_checks_only_where_allowed_else_per_row() {
    let Some(base) = server() else { return };
    let (store, db) = conformance::fresh_pg_database(&base, "replica_role").await;
    assert_eq!(strategy(&store).await, "postgres-copy-set-checks");
    let role = format!("swtest_importer_{}", std::process::id());
    sqlx::raw_sql(&format!("CREATE ROLE {role} LOGIN NOSUPERUSER"))
        .execute(store.pool())
        .await
        .expect("a role");
    conformance::drop_pg_database(&base, store, &db).await;

    let (store, db, limited) = as_role(&base, &role).await;
    assert_eq!(strategy(&limited).await, "postgres-copy");
    conformance_import::streamed_import_spanning_chunks_stores_every_row(&limited).await;
    limited.close().await;
    conformance::drop_pg_database(&base, store, &db).await;

    let (store, db, limited) = as_role(&base, &role).await;
    conformance_import::streamed_import_with_a_bad_row_changes_nothing(&limited).await;
    limited.close().await;
    conformance::drop_pg_database(&base, store, &db).await;

    let (store, db, limited) = as_role(&base, &role).await;
    conformance_import::bulk_writer_refuses_dangling_references(&limited).await;
    limited.close().await;
    conformance::drop_pg_database(&base, store, &db).await;

    let (store, db, limited) = as_role(&base, &role).await;
    conformance_import::bulk_import_keeps_points_last_sampled(&limited).await;
    limited.close().await;
    conformance::drop_pg_database(&base, store, &db).await;

    // PostgreSQL 15+: a role granted the parameter gets the set-based checks too, but only when
    // it may also lock the referenced rows (UPDATE on their tables).
    let admin = soilwatch_store::connect(&base).await.expect("admin");
    let version: String = sqlx::query_scalar("SELECT current_setting('server_version_num')")
        .fetch_one(admin.pool())
        .await
        .expect("version");
    if version.parse::<u32>().expect("a number") >= 150_000 {
        let (store, db, limited) = as_role(&base, &role).await;
        sqlx::raw_sql(&format!(
            "GRANT SET ON PARAMETER session_replication_role TO {role}; \
             REVOKE UPDATE ON analytes FROM {role}"
        ))
        .execute(store.pool())
        .await
        .expect("grant the parameter");
        assert_eq!(strategy(&limited).await, "postgres-copy");
        sqlx::raw_sql(&format!("GRANT UPDATE ON analytes TO {role}"))
            .execute(store.pool())
            .await
            .expect("grant update");
        assert_eq!(strategy(&limited).await, "postgres-copy-set-checks");
        conformance_import::bulk_writer_refuses_dangling_references(&limited).await;
        limited.close().await;
        conformance::drop_pg_database(&base, store, &db).await;
        sqlx::raw_sql(&format!(
            "REVOKE SET ON PARAMETER session_replication_role FROM {role}"
        ))
        .execute(admin.pool())
        .await
        .expect("revoke the parameter");
    }
    sqlx::raw_sql(&format!("DROP ROLE {role}"))
        .execute(admin.pool())
        .await
        .expect("drop role");
    admin.close().await;
}

/// A fresh database (its superuser store and name) and a store on it connected as `role`, which
/// may read and write every table but is no superuser.
async fn as_role(
    base: &str,
    role: &str,
) -> (soilwatch_store::SqlStore, String, soilwatch_store::SqlStore) {
    let (store, db) = conformance::fresh_pg_database(base, "replica_role").await;
    sqlx::raw_sql(&format!(
        "GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}; \
         GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}"
    ))
    .execute(store.pool())
    .await
    .expect("grants");
    let limited = soilwatch_store::connect(&url_as(base, role, &db))
        .await
        .expect("connect as the limited role");
    (store, db, limited)
}

/// A trigger or foreign key on `results` or `samples` that the set-based checks do not know of
/// (a later migration) turns them off: the per-row path then runs it.
#[tokio::test]
async fn an_unknown_trigger_falls_back_to_per_row_checks() {
    let Some(base) = server() else { return };
    let (store, db) = conformance::fresh_pg_database(&base, "unknown_trigger").await;
    assert_eq!(strategy(&store).await, "postgres-copy-set-checks");
    sqlx::raw_sql(
        "CREATE TABLE result_log (analyte TEXT NOT NULL); \
         CREATE FUNCTION log_result() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN INSERT INTO result_log VALUES (NEW.analyte); RETURN NEW; END; $$; \
         CREATE TRIGGER log_result AFTER INSERT ON results \
         FOR EACH ROW EXECUTE FUNCTION log_result();",
    )
    .execute(store.pool())
    .await
    .expect("a trigger");
    assert_eq!(strategy(&store).await, "postgres-copy");
    conformance_import::bulk_import_keeps_points_last_sampled(&store).await;
    let logged: i64 = sqlx::query_scalar("SELECT count(*) FROM result_log")
        .fetch_one(store.pool())
        .await
        .expect("count");
    assert_eq!(logged, 6, "the trigger ran for every result");
    conformance::drop_pg_database(&base, store, &db).await;
}
