//! Conformance checks of [`SharingStore`](crate::SharingStore) (issue 9): the seeded catalogue,
//! versions of its entries, access requests granted, refused, expiring and revoked, and the
//! read check with its log. `tests/sharing_sqlite.rs` / `tests/sharing_postgres.rs` run them.

use chrono::{Duration, Utc};
use soilwatch_core::ChangeMeta;

use crate::sharing::{
    authorize_read, AccessMethod, CatalogueWrite, GrantDecision, ReadBasis, ReadDecision,
    RequestStatus, SharingLevel, SEED_CATALOGUE,
};
use crate::submissions::china_date;
use crate::{seed, Role, Store, StoreError, User};

fn user(name: &str, role: Role, dept: Option<&str>) -> User {
    User {
        id: 0,
        username: name.into(),
        display_name: name.into(),
        role,
        department: dept.map(str::to_owned),
        disabled: false,
        created_at: Utc::now(),
    }
}

pub async fn catalogue_is_seeded_and_versioned(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    seed::seed(store).await.expect("seed twice");
    let all = store.list_catalogue().await.expect("list");
    assert_eq!(all.len(), SEED_CATALOGUE.len());
    let agri = store
        .get_catalogue_entry("farmland_classification")
        .await
        .expect("entry");
    assert_eq!(agri.owner_department, "agri-513400");
    assert_eq!(agri.sharing_level, SharingLevel::Conditional);
    assert!(all
        .iter()
        .filter(|e| e.public)
        .all(|e| e.sharing_level == SharingLevel::Unconditional));
    let mut w = CatalogueWrite {
        name: agri.name.clone(),
        owner_department: agri.owner_department.clone(),
        sharing_level: SharingLevel::NotShared,
        public: false,
        fields: agri.fields.clone(),
        update_frequency: "每季度".into(),
        access_methods: vec![AccessMethod::Api],
        description: agri.description.clone(),
    };
    let e = store
        .put_catalogue_entry(
            "farmland_classification",
            &w,
            &ChangeMeta::new("admin", "收紧共享"),
        )
        .await
        .expect("update");
    assert_eq!((e.version, e.sharing_level), (2, SharingLevel::NotShared));
    assert_eq!(e.update_frequency, "每季度");
    // Bad writes change nothing.
    w.owner_department = "no-such".into();
    match store
        .put_catalogue_entry(
            "farmland_classification",
            &w,
            &ChangeMeta::new("admin", "x"),
        )
        .await
    {
        Err(StoreError::Invalid(m)) => assert!(m.contains("owner_department"), "{m}"),
        other => panic!("unknown owner: {other:?}"),
    }
    let h = store
        .catalogue_history("farmland_classification")
        .await
        .expect("history");
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].entry["sharing_level"], "conditional");
    assert_eq!(h[1].entry["sharing_level"], "none");
    assert_eq!(
        (h[1].actor.as_str(), h[1].reason.as_str()),
        ("admin", "收紧共享")
    );
    // Seeding again keeps the edit.
    seed::seed(store).await.expect("seed again");
    assert_eq!(
        store
            .get_catalogue_entry("farmland_classification")
            .await
            .expect("e")
            .version,
        2
    );
}

pub async fn requests_grants_and_logged_reads(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let today = china_date(Utc::now());
    let reader = user("li", Role::Viewer, Some("eco-env-513400"));
    let path = "GET /api/v1/classification/runs/1/units";
    // Conditional without a grant: denied, logged.
    let d = authorize_read(store, &reader, "farmland_classification", path, 4)
        .await
        .expect("check");
    assert!(
        matches!(d, ReadDecision::Denied(ref m) if m.contains("agri-513400")),
        "{d:?}"
    );
    // Unconditional: allowed for anyone signed in, even without a department.
    let nobody = user("zhao", Role::Viewer, None);
    assert_eq!(
        authorize_read(store, &nobody, "soil_quality", "GET /api/v1/results", 12)
            .await
            .expect("check"),
        ReadDecision::Allowed(ReadBasis::Unconditional)
    );
    // Requests: conditional datasets only, not by the owner, with a purpose.
    for (dataset, dept) in [
        ("soil_quality", "eco-env-513400"),
        ("farmland_classification", "agri-513400"),
    ] {
        match store.request_access(dataset, dept, "用途", "li").await {
            Err(StoreError::Conflict { .. }) => {}
            other => panic!("{dataset} by {dept}: {other:?}"),
        }
    }
    assert!(matches!(
        store
            .request_access("farmland_classification", "eco-env-513400", " ", "li")
            .await,
        Err(StoreError::Invalid(_))
    ));
    let r = store
        .request_access(
            "farmland_classification",
            "eco-env-513400",
            "受污染耕地安全利用评估",
            "li",
        )
        .await
        .expect("request");
    assert_eq!(r.status, RequestStatus::Pending);
    assert!(matches!(
        store
            .decide_access(
                r.id,
                GrantDecision::Grant {
                    expires_on: Some(today - Duration::days(1))
                },
                "",
                "wang",
                today
            )
            .await,
        Err(StoreError::Invalid(_))
    ));
    let g = store
        .decide_access(
            r.id,
            GrantDecision::Grant {
                expires_on: Some(today),
            },
            "仅限评估使用",
            "wang",
            today,
        )
        .await
        .expect("grant");
    assert_eq!(
        (g.status, g.expires_on, g.decided_by.as_deref()),
        (RequestStatus::Granted, Some(today), Some("wang"))
    );
    assert_eq!(
        authorize_read(store, &reader, "farmland_classification", path, 4)
            .await
            .expect("check"),
        ReadDecision::Allowed(ReadBasis::Grant(r.id))
    );
    // A grant for one department does not open the dataset to another.
    let water = user("shui", Role::DataOfficer, Some("water-513400"));
    assert!(matches!(
        authorize_read(store, &water, "farmland_classification", path, 4)
            .await
            .expect("check"),
        ReadDecision::Denied(_)
    ));
    // Refusing needs reasons; a second decision is a conflict; revoking ends the grant.
    let r2 = store
        .request_access(
            "farmland_classification",
            "water-513400",
            "灌溉水与农产品关联分析",
            "shui",
        )
        .await
        .expect("request");
    assert!(matches!(
        store
            .decide_access(r2.id, GrantDecision::Refuse, "", "wang", today)
            .await,
        Err(StoreError::Invalid(_))
    ));
    let refused = store
        .decide_access(r2.id, GrantDecision::Refuse, "用途不明确", "wang", today)
        .await
        .expect("refuse");
    assert_eq!(refused.status, RequestStatus::Refused);
    assert!(matches!(
        store
            .decide_access(
                r2.id,
                GrantDecision::Grant { expires_on: None },
                "",
                "wang",
                today
            )
            .await,
        Err(StoreError::Conflict { .. })
    ));
    store
        .decide_access(r.id, GrantDecision::Revoke, "评估结束", "wang", today)
        .await
        .expect("revoke");
    assert!(matches!(
        authorize_read(store, &reader, "farmland_classification", path, 4)
            .await
            .expect("check"),
        ReadDecision::Denied(_)
    ));
    // Public data is not logged; everything else is, newest first, with the rows read.
    assert_eq!(
        authorize_read(store, &nobody, "monitoring_points", "GET /api/v1/points", 9)
            .await
            .expect("check"),
        ReadDecision::Allowed(ReadBasis::Public)
    );
    let log = store.list_data_access(None, 100).await.expect("log");
    let seen: Vec<(&str, &str, i64, &str)> = log
        .iter()
        .map(|a| {
            (
                a.actor.as_str(),
                a.dataset.as_str(),
                a.row_count,
                a.outcome.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("li", "farmland_classification", 0, "denied"),
            ("shui", "farmland_classification", 0, "denied"),
            ("li", "farmland_classification", 4, "ok"),
            ("zhao", "soil_quality", 12, "ok"),
            ("li", "farmland_classification", 0, "denied"),
        ]
    );
    assert_eq!(log[2].basis, format!("grant {}", r.id));
    assert_eq!(log[2].path, path);
    assert_eq!(
        store
            .list_data_access(Some("soil_quality"), 100)
            .await
            .expect("log")
            .len(),
        1
    );
    let mine = store
        .list_access_requests(Some("farmland_classification"), Some("eco-env-513400"))
        .await
        .expect("requests");
    assert_eq!(
        mine.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![RequestStatus::Revoked]
    );
}

/// Issue 12: `authorize_reads` (the datasets of one request together) decides and logs exactly as
/// `authorize_read` of each: public datasets allowed and not logged, a conditional one without a
/// grant denied and logged with no rows, an unconditional one allowed and logged with its rows,
/// a dataset missing from the catalogue denied.
pub async fn reads_of_several_datasets_decide_and_log_as_each_alone(store: &dyn Store) {
    use crate::sharing::authorize_reads;
    seed::seed(store).await.expect("seed");
    let reader = user("li", Role::Viewer, Some("eco-env-513400"));
    let reads = [
        ("soil_quality", 12),
        ("farmland_classification", 4),
        ("no_such_dataset", 3),
        ("groundwater", 5),
    ];
    let alone_path = "GET /api/v1/results?alone";
    let mut alone = Vec::new();
    for (dataset, rows) in reads {
        alone.push(
            authorize_read(store, &reader, dataset, alone_path, rows)
                .await
                .expect("check"),
        );
    }
    let together_path = "GET /api/v1/results?together";
    let together = authorize_reads(store, &reader, &reads, together_path)
        .await
        .expect("check");
    assert_eq!(together, alone);
    assert!(matches!(together[1], ReadDecision::Denied(_)));
    assert!(matches!(together[2], ReadDecision::Denied(_)));
    let log = store.list_data_access(None, 1000).await.expect("log");
    let lines = |path: &str| {
        let mut v: Vec<(String, i64, String, String)> = log
            .iter()
            .filter(|a| a.path == path)
            .map(|a| {
                (
                    a.dataset.clone(),
                    a.row_count,
                    a.outcome.clone(),
                    a.basis.clone(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert!(!lines(alone_path).is_empty());
    assert_eq!(lines(together_path), lines(alone_path));
}
