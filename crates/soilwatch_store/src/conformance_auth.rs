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
    assert!(listed[0].last_used_at.is_some());
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
