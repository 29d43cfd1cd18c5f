//! Conformance checks of [`AuthStore`](crate::AuthStore) (issue 7): users with roles and
//! departments, passwords, sessions, API tokens, sign-in failures and the audit log.
//! `tests/auth_sqlite.rs` runs them on SQLite always, `tests/auth_postgres.rs` on PostgreSQL when
//! `SOILWATCH_TEST_PG` is set. Each check gets a freshly migrated, empty store.

use chrono::{Duration, Utc};

use crate::auth::{AuditQuery, NewApiToken, NewAuditEntry, NewSession, NewUser, Role};
use crate::auth_secret::{
    hash_password, new_api_token, random_secret, secret_hash, verify_password,
};
use crate::{seed, Store, StoreError};

fn new_user(name: &str, role: Role, department: Option<&str>, hash: &str) -> NewUser {
    NewUser {
        username: name.into(),
        display_name: format!("{name} 测试"),
        role,
        department: department.map(str::to_owned),
        password_hash: hash.into(),
    }
}

pub async fn users_roles_departments_and_passwords(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    assert_eq!(store.count_administrators().await.expect("count"), 0);
    let hash = hash_password("First password 1").expect("hash");
    let admin = store
        .create_user(&new_user("admin", Role::Administrator, None, &hash))
        .await
        .expect("admin");
    assert_eq!(admin.role, Role::Administrator);
    assert!(!admin.disabled);
    assert_eq!(store.count_administrators().await.expect("count"), 1);
    match store
        .create_user(&new_user("admin", Role::Viewer, None, &hash))
        .await
    {
        Err(StoreError::Conflict { .. }) => {}
        other => panic!("duplicate username: {other:?}"),
    }
    // A data officer needs an existing department.
    for dept in [None, Some("no-such-dept")] {
        match store
            .create_user(&new_user("officer", Role::DataOfficer, dept, &hash))
            .await
        {
            Err(StoreError::Invalid(m)) => assert!(m.contains("department"), "{m}"),
            other => panic!("officer without a real department: {other:?}"),
        }
    }
    let officer = store
        .create_user(&new_user(
            "officer",
            Role::DataOfficer,
            Some("agri-513400"),
            &hash,
        ))
        .await
        .expect("officer");
    assert_eq!(officer.department.as_deref(), Some("agri-513400"));
    let users = store.list_users().await.expect("list");
    assert_eq!(
        users
            .iter()
            .map(|u| u.username.as_str())
            .collect::<Vec<_>>(),
        ["admin", "officer"]
    );
    // Credentials: the hash, and none for an unknown user.
    let c = store
        .credentials("officer")
        .await
        .expect("creds")
        .expect("some");
    assert!(verify_password("First password 1", &c.password_hash));
    assert!(store.credentials("nobody").await.expect("creds").is_none());
    // A new password replaces the old one and ends sessions.
    let sid = random_secret().expect("sid");
    store
        .create_session(&NewSession {
            id_hash: secret_hash(&sid),
            user_id: officer.id,
            expires_at: Utc::now() + Duration::hours(8),
            ip: Some("10.0.0.1".into()),
        })
        .await
        .expect("session");
    let new_hash = hash_password("Second password 2").expect("hash");
    store
        .set_password("officer", &new_hash)
        .await
        .expect("passwd");
    let c = store
        .credentials("officer")
        .await
        .expect("creds")
        .expect("some");
    assert!(verify_password("Second password 2", &c.password_hash));
    assert!(store
        .session_user(&secret_hash(&sid), Utc::now())
        .await
        .expect("session")
        .is_none());
    assert!(matches!(
        store.set_password("nobody", &new_hash).await,
        Err(StoreError::NotFound { .. })
    ));
    // Disabling.
    store
        .set_user_disabled("admin", true)
        .await
        .expect("disable");
    assert!(store.get_user("admin").await.expect("get").disabled);
    assert_eq!(store.count_administrators().await.expect("count"), 0);
    store
        .set_user_disabled("admin", false)
        .await
        .expect("enable");
    assert!(matches!(
        store.get_user("nobody").await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn sessions_expire_and_end(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let u = store
        .create_user(&new_user("viewer", Role::Viewer, None, "x"))
        .await
        .expect("user");
    let sid = random_secret().expect("sid");
    let now = Utc::now();
    store
        .create_session(&NewSession {
            id_hash: secret_hash(&sid),
            user_id: u.id,
            expires_at: now + Duration::hours(1),
            ip: None,
        })
        .await
        .expect("session");
    let found = store
        .session_user(&secret_hash(&sid), now)
        .await
        .expect("lookup")
        .expect("live session");
    assert_eq!(found.username, "viewer");
    // Looked up by the id itself (not its hash): nothing.
    assert!(store.session_user(&sid, now).await.expect("l").is_none());
    // Expired.
    assert!(store
        .session_user(&secret_hash(&sid), now + Duration::hours(2))
        .await
        .expect("lookup")
        .is_none());
    // A disabled user's sessions end.
    store.set_user_disabled("viewer", true).await.expect("off");
    assert!(store
        .session_user(&secret_hash(&sid), now)
        .await
        .expect("lookup")
        .is_none());
    store.set_user_disabled("viewer", false).await.expect("on");
    // Sign-out and purge.
    let sid2 = random_secret().expect("sid");
    for (s, exp) in [
        (&sid, now + Duration::hours(1)),
        (&sid2, now - Duration::hours(1)),
    ] {
        store
            .create_session(&NewSession {
                id_hash: secret_hash(s),
                user_id: u.id,
                expires_at: exp,
                ip: None,
            })
            .await
            .expect("session");
    }
    assert_eq!(store.purge_expired(now).await.expect("purge"), 1);
    store
        .delete_session(&secret_hash(&sid))
        .await
        .expect("sign out");
    assert!(store
        .session_user(&secret_hash(&sid), now)
        .await
        .expect("lookup")
        .is_none());
}

pub async fn api_tokens_are_hashed_and_revoked(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let a = store
        .create_user(&new_user("machine", Role::Viewer, None, "x"))
        .await
        .expect("user");
    let b = store
        .create_user(&new_user("other", Role::Viewer, None, "x"))
        .await
        .expect("user");
    let token = new_api_token().expect("token");
    let t = store
        .create_api_token(&NewApiToken {
            user_id: a.id,
            name: "nightly export".into(),
            token_hash: secret_hash(&token),
            prefix: token[..8].to_owned(),
        })
        .await
        .expect("create");
    assert_eq!(t.name, "nightly export");
    assert!(t.revoked_at.is_none() && t.last_used_at.is_none());
    let now = Utc::now();
    let u = store
        .token_user(&secret_hash(&token), now)
        .await
        .expect("lookup")
        .expect("valid token");
    assert_eq!(u.id, a.id);
    assert!(store.token_user(&token, now).await.expect("l").is_none());
    let listed = store.list_api_tokens(a.id).await.expect("list");
    assert_eq!(listed.len(), 1);
    let first_use = listed[0].last_used_at.expect("marked used");
    // Issue 12: used again within the minute, the mark stays (a read stays a read); a minute
    // later it moves.
    let soon = first_use + Duration::seconds(30);
    store
        .token_user(&secret_hash(&token), soon)
        .await
        .expect("lookup")
        .expect("valid token");
    let listed = store.list_api_tokens(a.id).await.expect("list");
    assert_eq!(listed[0].last_used_at, Some(first_use));
    let later = first_use + Duration::seconds(61);
    store
        .token_user(&secret_hash(&token), later)
        .await
        .expect("lookup")
        .expect("valid token");
    let listed = store.list_api_tokens(a.id).await.expect("list");
    let marked = listed[0].last_used_at.expect("marked");
    assert!(
        (marked - later).num_milliseconds().abs() < 1,
        "marked {marked}, used at {later}"
    );
    assert!(store.list_api_tokens(b.id).await.expect("list").is_empty());
    // Another user cannot revoke it.
    assert!(matches!(
        store.revoke_api_token(b.id, t.id).await,
        Err(StoreError::NotFound { .. })
    ));
    // A disabled user's token does not work.
    store.set_user_disabled("machine", true).await.expect("off");
    assert!(store
        .token_user(&secret_hash(&token), now)
        .await
        .expect("l")
        .is_none());
    store.set_user_disabled("machine", false).await.expect("on");
    let revoked = store.revoke_api_token(a.id, t.id).await.expect("revoke");
    assert!(revoked.revoked_at.is_some());
    assert!(store
        .token_user(&secret_hash(&token), now)
        .await
        .expect("l")
        .is_none());
    // Empty names are refused.
    assert!(matches!(
        store
            .create_api_token(&NewApiToken {
                user_id: a.id,
                name: " ".into(),
                token_hash: "h".into(),
                prefix: "p".into(),
            })
            .await,
        Err(StoreError::Invalid(_))
    ));
}

pub async fn login_failures_are_counted_in_a_window(store: &dyn Store) {
    let now = Utc::now();
    let keys = ["user:wang".to_owned(), "ip:10.1.1.1".to_owned()];
    for i in 0..3 {
        store
            .record_login_failure(&keys, now - Duration::minutes(20 - i))
            .await
            .expect("record");
    }
    store
        .record_login_failure(&keys, now)
        .await
        .expect("record");
    let since = now - Duration::minutes(15);
    assert_eq!(
        store
            .count_login_failures("user:wang", since)
            .await
            .expect("n"),
        1
    );
    assert_eq!(
        store
            .count_login_failures("ip:10.1.1.1", now - Duration::hours(1))
            .await
            .expect("n"),
        4
    );
    store
        .clear_login_failures("user:wang")
        .await
        .expect("clear");
    assert_eq!(
        store
            .count_login_failures("user:wang", now - Duration::hours(1))
            .await
            .expect("n"),
        0
    );
    assert_eq!(
        store
            .count_login_failures("ip:10.1.1.1", now - Duration::hours(1))
            .await
            .expect("n"),
        4
    );
}

pub async fn audit_log_appends_and_filters(store: &dyn Store) {
    for (actor, action) in [
        ("wang", "sign_in"),
        ("wang", "write"),
        ("-", "export"),
        ("li", "sign_in_failed"),
    ] {
        store
            .append_audit(&NewAuditEntry {
                actor: actor.into(),
                action: action.into(),
                target: "POST /api/v1/points".into(),
                outcome: "ok".into(),
                status: Some(201),
                ip: Some("10.0.0.9".into()),
                detail: "详情 detail".into(),
            })
            .await
            .expect("append");
    }
    let all = store
        .list_audit(&AuditQuery {
            limit: 100,
            ..AuditQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(all.len(), 4);
    assert_eq!(all[0].action, "sign_in_failed", "newest first");
    assert_eq!(all[3].status, Some(201));
    assert_eq!(all[3].detail, "详情 detail");
    let wang = store
        .list_audit(&AuditQuery {
            actor: Some("wang".into()),
            limit: 100,
            ..AuditQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(wang.len(), 2);
    let page = store
        .list_audit(&AuditQuery {
            before_id: Some(all[1].id),
            limit: 1,
            ..AuditQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].id, all[2].id);
    let writes = store
        .list_audit(&AuditQuery {
            action: Some("write".into()),
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(writes.len(), 1);
}

/// Wait for every future (polled together, as concurrent requests are), keeping their order.
async fn join_all<T>(
    futures: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + '_>>>,
) -> Vec<T> {
    let mut futures = futures;
    let mut out: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (f, o) in futures.iter_mut().zip(out.iter_mut()) {
            if o.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *o = Some(v),
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

/// Issue 12: the audit and data-access lines of concurrent requests are written together (one
/// statement per table). Every line asked for concurrently is stored once, with its own fields,
/// and each caller gets its own outcome: a line the database refuses (a NUL byte: PostgreSQL
/// refuses it in text, SQLite stores it) fails alone, its neighbours are kept.
pub async fn log_lines_of_concurrent_requests_are_all_kept(store: &dyn Store) {
    use crate::sharing::NewDataAccess;
    const N: usize = 40;
    let audit = |i: usize| NewAuditEntry {
        actor: format!("reader-{i}"),
        action: "read".into(),
        target: if i == 7 {
            "GET /api/v1/results?bad=\u{0}".into()
        } else {
            format!("GET /api/v1/results?page={i}")
        },
        outcome: "ok".into(),
        status: Some(200),
        ip: i.is_multiple_of(2).then(|| format!("10.0.0.{i}")),
        detail: "api token".into(),
    };
    let access = |i: usize| NewDataAccess {
        actor: format!("reader-{i}"),
        department: i.is_multiple_of(3).then(|| "513400-agri".to_owned()),
        dataset: "soil_quality".into(),
        path: format!("GET /api/v1/samples?page={i}"),
        row_count: i as i64,
        outcome: "ok".into(),
        basis: "unconditional".into(),
    };
    let mut calls: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send + '_>>> =
        Vec::new();
    for i in 0..N {
        calls.push(Box::pin(async move {
            (
                store.append_audit(&audit(i)).await.is_ok(),
                store.log_data_access(&access(i)).await.is_ok(),
            )
        }));
    }
    let outcomes = join_all(calls).await;
    assert_eq!(outcomes.len(), N);
    let kept = store
        .list_audit(&AuditQuery {
            limit: 1000,
            ..AuditQuery::default()
        })
        .await
        .expect("list");
    let read = store.list_data_access(None, 1000).await.expect("list");
    for (i, (audit_ok, access_ok)) in outcomes.into_iter().enumerate() {
        let want = audit(i);
        let found: Vec<_> = kept.iter().filter(|e| e.actor == want.actor).collect();
        if i == 7 && !audit_ok {
            assert!(found.is_empty(), "a refused line is not stored: {found:?}");
        } else {
            assert!(audit_ok, "audit line {i} refused");
            assert_eq!(found.len(), 1, "audit line {i}: {found:?}");
            assert_eq!(found[0].target, want.target);
            assert_eq!(found[0].ip, want.ip);
            assert_eq!(found[0].status, Some(200));
        }
        assert!(access_ok, "access line {i} refused");
        let want = access(i);
        let found: Vec<_> = read.iter().filter(|a| a.actor == want.actor).collect();
        assert_eq!(found.len(), 1, "access line {i}: {found:?}");
        assert_eq!(found[0].path, want.path);
        assert_eq!(found[0].department, want.department);
        assert_eq!(found[0].row_count, i as i64);
    }
    let audit_total = kept.len();
    assert!(
        audit_total == N || audit_total == N - 1,
        "{audit_total} audit lines"
    );
    assert_eq!(read.len(), N);
}
