//! Conformance checks of [`SubmissionStore`](crate::SubmissionStore) (issue 9): campaigns with
//! the departments that owe them, uploads through the import pipeline linked to a submission,
//! accept / return with reasons, the history of every state change, late and overdue flags.
//! `tests/submissions_sqlite.rs` runs them on SQLite always, `tests/submissions_postgres.rs` on
//! PostgreSQL when `SOILWATCH_TEST_PG` is set. Each check gets a freshly migrated, empty store.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use soilwatch_core::{ChangeMeta, Department, DivisionLevel};
use soilwatch_ingest::ParseOptions;

use crate::importer::{import_bytes, ImportOutcome};
use crate::submissions::{
    china_date, summarise, DataKind, Decision, NewCampaign, SubmissionQuery, SubmissionStatus,
};
use crate::{seed, ImportBatch, Store, StoreError};

/// A county bureau of 会理市 (513402) next to the seeded prefecture bureaus.
pub async fn county_bureau(store: &dyn Store, code: &str, division: &str) {
    store
        .create_department(
            &Department {
                code: code.into(),
                name: format!("{division} 县级局"),
                level: DivisionLevel::County,
                division: division.parse().expect("test division"),
            },
            &ChangeMeta::new("test", "fixture"),
        )
        .await
        .expect("department");
}

/// Import a small results file through the import pipeline; returns the batch.
pub async fn import_results(
    store: &dyn Store,
    sample: &str,
    value: &str,
    dept: &str,
) -> ImportBatch {
    let csv = format!(
        "样品编号,样品类型,采样日期,行政区划代码,土地利用类型,检测项目,检测值,单位\n\
         {sample},土壤,2020-08-01,513402,水田,镉,{value},mg/kg\n\
         {sample},土壤,2020-08-01,513402,水田,铅,35,mg/kg\n"
    );
    let opts = ParseOptions::new(format!("{sample}.csv"), Utc::now().date_naive());
    match import_bytes(store, csv.as_bytes(), &opts, "officer", Some(dept))
        .await
        .expect("import")
    {
        ImportOutcome::Imported { batch, .. } => batch,
        other => panic!("the fixture file imports: {other:?}"),
    }
}

fn conflict(r: Result<impl std::fmt::Debug, StoreError>, what: &str) {
    match r {
        Err(StoreError::Conflict { .. }) => {}
        other => panic!("{what}: expected a conflict, got {other:?}"),
    }
}

pub async fn campaigns_uploads_reviews_and_history(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    county_bureau(store, "eco-env-513402", "513402").await;
    let new = NewCampaign {
        year: 2020,
        data_kind: DataKind::SoilQuality,
        due_on: None,
        departments: vec!["eco-env-513402".into(), "agri-513400".into()],
        note: "2020 年土壤环境质量数据".into(),
    };
    let c = store
        .create_campaign(&new, "reviewer")
        .await
        .expect("campaign");
    assert_eq!(
        c.due_on,
        NaiveDate::from_ymd_opt(2021, 9, 30).expect("date")
    );
    assert_eq!(c.departments, vec!["agri-513400", "eco-env-513402"]);
    assert_eq!(c.created_by, "reviewer");
    conflict(
        store.create_campaign(&new, "reviewer").await,
        "a second campaign of the same year and kind",
    );
    // An unknown department: refused, and nothing of the campaign stored.
    let bad = NewCampaign {
        data_kind: DataKind::Groundwater,
        departments: vec!["agri-513400".into(), "no-such".into()],
        ..new.clone()
    };
    match store.create_campaign(&bad, "reviewer").await {
        Err(StoreError::Invalid(m)) => assert!(m.contains("no-such"), "{m}"),
        other => panic!("unknown department: {other:?}"),
    }
    assert_eq!(
        store.list_campaigns(Some(2020)).await.expect("list").len(),
        1
    );
    assert!(store
        .list_campaigns(Some(2019))
        .await
        .expect("list")
        .is_empty());

    let subs = store
        .list_submissions(&SubmissionQuery {
            year: Some(2020),
            ..SubmissionQuery::default()
        })
        .await
        .expect("submissions");
    assert_eq!(subs.len(), 2);
    let today = Utc::now().date_naive();
    assert!(subs
        .iter()
        .all(|s| s.status == SubmissionStatus::Owed && s.overdue(today) && !s.late));
    let county = subs
        .iter()
        .find(|s| s.department == "eco-env-513402")
        .expect("county submission");
    assert_eq!(county.division.to_string(), "513402");
    let id = county.id;

    // Nothing to review before an upload.
    conflict(
        store
            .decide_submission(id, Decision::Accept, "", "reviewer")
            .await,
        "accepting an owed submission",
    );

    // Upload through the import pipeline, link the batch.
    let b1 = import_results(store, "SUB-1", "0.41", "eco-env-513402").await;
    let s = store
        .record_upload(id, b1.id, "officer")
        .await
        .expect("upload");
    assert_eq!(s.status, SubmissionStatus::Received);
    assert_eq!(s.batch, Some(b1.id));
    assert!(s.late, "2020 data uploaded after 2021-09-30 is late");
    assert!(!s.overdue(today));
    assert_eq!(
        s.received_at.map(china_date),
        Some(china_date(Utc::now())),
        "received now"
    );
    assert_eq!(
        store.submission_of_batch(b1.id).await.expect("of"),
        Some(id)
    );
    let other = subs.iter().find(|s| s.id != id).expect("other").id;
    conflict(
        store.record_upload(other, b1.id, "officer").await,
        "one batch in two submissions",
    );

    // Returning needs reasons; with them the department owes the data again.
    match store
        .decide_submission(id, Decision::Return, "  ", "reviewer")
        .await
    {
        Err(StoreError::Invalid(m)) => assert!(m.contains("reasons"), "{m}"),
        other => panic!("return without reasons: {other:?}"),
    }
    let s = store
        .decide_submission(
            id,
            Decision::Return,
            "镉含量疑似单位错误，请核实",
            "reviewer",
        )
        .await
        .expect("return");
    assert_eq!(s.status, SubmissionStatus::Returned);
    assert_eq!(s.reasons.as_deref(), Some("镉含量疑似单位错误，请核实"));
    assert!(
        s.overdue(today),
        "returned after the due date: overdue again"
    );

    let b2 = import_results(store, "SUB-2", "0.38", "eco-env-513402").await;
    let s = store
        .record_upload(id, b2.id, "officer")
        .await
        .expect("again");
    assert_eq!(
        (s.status, s.batch, s.reasons.clone()),
        (SubmissionStatus::Received, Some(b2.id), None)
    );
    let s = store
        .decide_submission(id, Decision::Accept, "", "reviewer2")
        .await
        .expect("accept");
    assert_eq!(s.status, SubmissionStatus::Accepted);
    assert!(s.decided_at.is_some());
    conflict(
        store
            .decide_submission(id, Decision::Return, "late change", "reviewer")
            .await,
        "deciding twice",
    );
    let b3 = import_results(store, "SUB-3", "0.30", "eco-env-513402").await;
    conflict(
        store.record_upload(id, b3.id, "officer").await,
        "uploading into an accepted submission",
    );
    assert_eq!(store.submission_of_batch(b3.id).await.expect("of"), None);

    // Every state change, oldest first, with who and which batch.
    let h = store.submission_history(id).await.expect("history");
    let steps: Vec<_> = h
        .iter()
        .map(|e| (e.version, e.from, e.to, e.batch, e.actor.as_str()))
        .collect();
    use SubmissionStatus::*;
    assert_eq!(
        steps,
        vec![
            (1, None, Owed, None, "reviewer"),
            (2, Some(Owed), Received, Some(b1.id), "officer"),
            (3, Some(Received), Returned, None, "reviewer"),
            (4, Some(Returned), Received, Some(b2.id), "officer"),
            (5, Some(Received), Accepted, None, "reviewer2"),
        ]
    );
    assert_eq!(h[2].reasons.as_deref(), Some("镉含量疑似单位错误，请核实"));
    assert_eq!(store.get_submission(id).await.expect("get").version, 5);
    assert!(matches!(
        store.submission_history(999_999).await,
        Err(StoreError::NotFound { .. })
    ));

    // Tallies: the county bureau accepted (late), the agriculture bureau still owes (overdue).
    let subs = store
        .list_submissions(&SubmissionQuery {
            year: Some(2020),
            ..SubmissionQuery::default()
        })
        .await
        .expect("submissions");
    let sum = summarise(&subs, today, &HashMap::new());
    let t = &sum.total;
    assert_eq!(
        (t.owed, t.received, t.accepted, t.overdue, t.late),
        (2, 1, 1, 1, 1)
    );
    let by_county: Vec<_> = sum
        .by_county
        .iter()
        .map(|t| (t.key.as_str(), t.accepted, t.overdue))
        .collect();
    assert_eq!(by_county, vec![("513400", 0, 1), ("513402", 1, 0)]);
}

pub async fn in_time_uploads_are_not_late(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let year = chrono::Datelike::year(&Utc::now().date_naive());
    let c = store
        .create_campaign(
            &NewCampaign {
                year,
                data_kind: DataKind::AgriculturalProduct,
                due_on: None,
                departments: vec!["agri-513400".into()],
                note: String::new(),
            },
            "admin",
        )
        .await
        .expect("campaign");
    let subs = store
        .list_submissions(&SubmissionQuery {
            department: Some("agri-513400".into()),
            data_kind: Some(DataKind::AgriculturalProduct),
            ..SubmissionQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].campaign_id, c.id);
    let today = Utc::now().date_naive();
    assert!(!subs[0].overdue(today), "due next September");
    let b = import_results(store, "INTIME-1", "0.2", "agri-513400").await;
    let s = store
        .record_upload(subs[0].id, b.id, "officer")
        .await
        .expect("upload");
    assert!(!s.late);
    let received = store
        .list_submissions(&SubmissionQuery {
            status: Some(SubmissionStatus::Received),
            ..SubmissionQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(
        received.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![s.id]
    );
    assert!(matches!(
        store.record_upload(999_999, b.id, "officer").await,
        Err(StoreError::NotFound { .. })
    ));
}
