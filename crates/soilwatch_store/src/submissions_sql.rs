//! [`SubmissionStore`] for [`SqlStore`]: one implementation for SQLite and PostgreSQL (`$n`
//! placeholders, the portable SQL subset). Times are RFC 3339 UTC strings with microseconds.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::sql::{now, Tx};
use crate::submissions::{
    china_date, Campaign, DataKind, Decision, NewCampaign, Submission, SubmissionEvent,
    SubmissionQuery, SubmissionStatus, SubmissionStore,
};
use crate::{SqlStore, StoreError, StoreResult};

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored {what} cannot be read: {e}"))
}

fn parse_ts(s: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt("time", e))
}

fn opt_ts(r: &AnyRow, col: &str) -> StoreResult<Option<DateTime<Utc>>> {
    r.try_get::<Option<String>, _>(col)?
        .map(|s| parse_ts(&s))
        .transpose()
}

fn date(r: &AnyRow, col: &str) -> StoreResult<NaiveDate> {
    r.try_get::<String, _>(col)?
        .parse()
        .map_err(|e| corrupt("date", e))
}

fn year(r: &AnyRow) -> StoreResult<i32> {
    i32::try_from(r.try_get::<i64, _>("year")?).map_err(|e| corrupt("year", e))
}

fn kind(r: &AnyRow) -> StoreResult<DataKind> {
    r.try_get::<String, _>("data_kind")?
        .parse()
        .map_err(|e| corrupt("data kind", e))
}

fn status(s: &str) -> StoreResult<SubmissionStatus> {
    s.parse().map_err(|e| corrupt("status", e))
}

const SUBMISSION_COLUMNS: &str = "s.id AS id, s.campaign_id AS campaign_id, c.year AS year, \
     c.data_kind AS data_kind, c.due_on AS due_on, s.department AS department, d.name AS \
     department_name, d.division AS division, s.status AS status, s.batch_id AS batch_id, \
     s.received_at AS received_at, s.decided_at AS decided_at, s.reasons AS reasons, \
     s.version AS version";

const SUBMISSION_FROM: &str = "FROM submissions s JOIN submission_campaigns c ON c.id = \
     s.campaign_id JOIN departments d ON d.code = s.department";

fn submission_from_row(r: &AnyRow) -> StoreResult<Submission> {
    let due_on = date(r, "due_on")?;
    let received_at = opt_ts(r, "received_at")?;
    let status = status(&r.try_get::<String, _>("status")?)?;
    Ok(Submission {
        id: r.try_get("id")?,
        campaign_id: r.try_get("campaign_id")?,
        year: year(r)?,
        data_kind: kind(r)?,
        due_on,
        department: r.try_get("department")?,
        department_name: r.try_get("department_name")?,
        division: r
            .try_get::<String, _>("division")?
            .parse()
            .map_err(|e| corrupt("division", e))?,
        status,
        batch: r.try_get("batch_id")?,
        late: received_at.is_some_and(|t| china_date(t) > due_on),
        received_at,
        decided_at: opt_ts(r, "decided_at")?,
        reasons: r.try_get("reasons")?,
        version: r.try_get("version")?,
    })
}

fn event_from_row(r: &AnyRow) -> StoreResult<SubmissionEvent> {
    Ok(SubmissionEvent {
        version: r.try_get("version")?,
        from: r
            .try_get::<Option<String>, _>("from_status")?
            .map(|s| status(&s))
            .transpose()?,
        to: status(&r.try_get::<String, _>("to_status")?)?,
        batch: r.try_get("batch_id")?,
        reasons: r.try_get("reasons")?,
        actor: r.try_get("actor")?,
        at: parse_ts(&r.try_get::<String, _>("at")?)?,
    })
}

fn need_actor(actor: &str) -> StoreResult<()> {
    if actor.trim().is_empty() {
        return Err(StoreError::Invalid(
            "每次修改须注明修改人 / every change needs an actor".into(),
        ));
    }
    Ok(())
}

struct Change<'a> {
    from: Option<SubmissionStatus>,
    to: SubmissionStatus,
    batch: Option<i64>,
    reasons: Option<&'a str>,
    actor: &'a str,
    at: &'a str,
}

async fn event(tx: &mut Tx<'_>, id: i64, version: i64, c: &Change<'_>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO submission_events (submission_id, version, from_status, to_status, \
         batch_id, reasons, actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(version)
    .bind(c.from.map(|s| s.code().to_owned()))
    .bind(c.to.code())
    .bind(c.batch)
    .bind(c.reasons.map(str::to_owned))
    .bind(c.actor)
    .bind(c.at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The status and version of a submission, inside a transaction.
async fn current(tx: &mut Tx<'_>, id: i64) -> StoreResult<(SubmissionStatus, i64)> {
    let row = sqlx::query("SELECT status, version FROM submissions WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::not_found("submission", id.to_string()))?;
    Ok((
        status(&row.try_get::<String, _>("status")?)?,
        row.try_get("version")?,
    ))
}

/// Move a submission to its next version; a conflict when someone else changed it meanwhile.
#[expect(clippy::too_many_arguments, reason = "one UPDATE with its columns")]
async fn advance(
    tx: &mut Tx<'_>,
    id: i64,
    version: i64,
    to: SubmissionStatus,
    batch: Option<i64>,
    received_at: Option<&str>,
    decided_at: Option<&str>,
    reasons: Option<&str>,
) -> StoreResult<()> {
    let n = sqlx::query(
        "UPDATE submissions SET status = $3, batch_id = COALESCE($4, batch_id), received_at = \
         COALESCE($5, received_at), decided_at = $6, reasons = $7, version = version + 1 \
         WHERE id = $1 AND version = $2",
    )
    .bind(id)
    .bind(version)
    .bind(to.code())
    .bind(batch)
    .bind(received_at.map(str::to_owned))
    .bind(decided_at.map(str::to_owned))
    .bind(reasons.map(str::to_owned))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n != 1 {
        return Err(StoreError::Conflict {
            constraint: "submissions.version".into(),
            detail: format!(
                "报送 {id} 已被他人修改，请刷新后重试 / submission {id} was changed meanwhile; \
                 reload and try again"
            ),
        });
    }
    Ok(())
}

impl SqlStore {
    async fn campaign_departments(&self, id: i64) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT department FROM submissions WHERE campaign_id = $1 ORDER BY department",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("department")?))
            .collect()
    }

    async fn campaign_from_row(&self, r: &AnyRow) -> StoreResult<Campaign> {
        let id: i64 = r.try_get("id")?;
        Ok(Campaign {
            id,
            year: year(r)?,
            data_kind: kind(r)?,
            due_on: date(r, "due_on")?,
            note: r.try_get("note")?,
            created_by: r.try_get("created_by")?,
            created_at: parse_ts(&r.try_get::<String, _>("created_at")?)?,
            departments: self.campaign_departments(id).await?,
        })
    }
}

#[async_trait]
impl SubmissionStore for SqlStore {
    async fn create_campaign(&self, c: &NewCampaign, actor: &str) -> StoreResult<Campaign> {
        c.validate()?;
        need_actor(actor)?;
        let mut tx = self.begin_write().await?;
        for d in &c.departments {
            let found = sqlx::query("SELECT code FROM departments WHERE code = $1")
                .bind(d)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::Invalid(format!(
                    "字段 departments: 没有部门 '{d}' / field departments: no department '{d}'"
                )));
            }
        }
        let at = now();
        let exists =
            sqlx::query("SELECT id FROM submission_campaigns WHERE year = $1 AND data_kind = $2")
                .bind(i64::from(c.year))
                .bind(c.data_kind.code())
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(row) = exists {
            let id: i64 = row.try_get("id")?;
            return Err(StoreError::Conflict {
                constraint: "submission_campaigns.year_data_kind".into(),
                detail: format!(
                    "{} 年 {} 的报送任务已存在（{id}）/ a campaign for {} {} exists already ({id})",
                    c.year,
                    c.data_kind.name_cn(),
                    c.year,
                    c.data_kind
                ),
            });
        }
        let row = sqlx::query(
            "INSERT INTO submission_campaigns (year, data_kind, due_on, note, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(i64::from(c.year))
        .bind(c.data_kind.code())
        .bind(c.due().to_string())
        .bind(c.note.trim())
        .bind(actor)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        for d in &c.departments {
            let row = sqlx::query(
                "INSERT INTO submissions (campaign_id, department, status, version) \
                 VALUES ($1, $2, $3, 1) RETURNING id",
            )
            .bind(id)
            .bind(d)
            .bind(SubmissionStatus::Owed.code())
            .fetch_one(&mut *tx)
            .await?;
            let sid: i64 = row.try_get("id")?;
            event(
                &mut tx,
                sid,
                1,
                &Change {
                    from: None,
                    to: SubmissionStatus::Owed,
                    batch: None,
                    reasons: None,
                    actor,
                    at: &at,
                },
            )
            .await?;
        }
        tx.commit().await?;
        self.get_campaign(id).await
    }

    async fn get_campaign(&self, id: i64) -> StoreResult<Campaign> {
        let row = sqlx::query(
            "SELECT id, year, data_kind, due_on, note, created_by, created_at \
             FROM submission_campaigns WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::not_found("submission campaign", id.to_string()))?;
        self.campaign_from_row(&row).await
    }

    async fn list_campaigns(&self, year: Option<i32>) -> StoreResult<Vec<Campaign>> {
        // The year is an integer: written into the SQL, no typed NULL parameter needed.
        let filter = year
            .map(|y| format!("WHERE year = {y}"))
            .unwrap_or_default();
        let rows = sqlx::query(&format!(
            "SELECT id, year, data_kind, due_on, note, created_by, created_at \
             FROM submission_campaigns {filter} ORDER BY year DESC, data_kind"
        ))
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.campaign_from_row(r).await?);
        }
        Ok(out)
    }

    async fn list_submissions(&self, q: &SubmissionQuery) -> StoreResult<Vec<Submission>> {
        let mut sql = format!("SELECT {SUBMISSION_COLUMNS} {SUBMISSION_FROM} WHERE 1 = 1");
        if let Some(y) = q.year {
            sql.push_str(&format!(" AND c.year = {y}"));
        }
        let mut binds: Vec<String> = Vec::new();
        for (col, v) in [
            ("s.department", q.department.clone()),
            ("c.data_kind", q.data_kind.map(|k| k.code().to_owned())),
            ("s.status", q.status.map(|k| k.code().to_owned())),
        ] {
            if let Some(v) = v {
                binds.push(v);
                sql.push_str(&format!(" AND {col} = ${}", binds.len()));
            }
        }
        sql.push_str(" ORDER BY s.department, c.year DESC, c.data_kind");
        let mut query = sqlx::query(&sql);
        for b in &binds {
            query = query.bind(b);
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter().map(submission_from_row).collect()
    }

    async fn get_submission(&self, id: i64) -> StoreResult<Submission> {
        let row = sqlx::query(&format!(
            "SELECT {SUBMISSION_COLUMNS} {SUBMISSION_FROM} WHERE s.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::not_found("submission", id.to_string()))?;
        submission_from_row(&row)
    }

    async fn submission_history(&self, id: i64) -> StoreResult<Vec<SubmissionEvent>> {
        let rows = sqlx::query(
            "SELECT version, from_status, to_status, batch_id, reasons, actor, at \
             FROM submission_events WHERE submission_id = $1 ORDER BY version",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        if rows.is_empty() {
            return Err(StoreError::not_found("submission", id.to_string()));
        }
        rows.iter().map(event_from_row).collect()
    }

    async fn submission_of_batch(&self, batch: i64) -> StoreResult<Option<i64>> {
        let row = sqlx::query("SELECT submission_id FROM submission_batches WHERE batch_id = $1")
            .bind(batch)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get("submission_id")).transpose()?)
    }

    async fn submitted_samples(&self, ids: &[i64]) -> StoreResult<HashMap<i64, (String, bool)>> {
        let mut out = HashMap::new();
        // Ids are numbers: written into the statement, in chunks, to stay clear of the
        // databases' limits on bound parameters.
        for chunk in ids.chunks(5_000) {
            let list = chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let rows = sqlx::query(&format!(
                "SELECT s.id AS id, sub.department AS department, sub.status AS status \
                 FROM samples s \
                 JOIN submission_batches sb ON sb.batch_id = s.batch_id \
                 JOIN submissions sub ON sub.id = sb.submission_id \
                 WHERE s.id IN ({list})"
            ))
            .fetch_all(self.pool())
            .await?;
            for r in rows {
                let status: String = r.try_get("status")?;
                out.insert(
                    r.try_get("id")?,
                    (r.try_get("department")?, status == "accepted"),
                );
            }
        }
        Ok(out)
    }

    async fn record_upload(&self, id: i64, batch: i64, actor: &str) -> StoreResult<Submission> {
        need_actor(actor)?;
        let mut tx = self.begin_write().await?;
        let (from, version) = current(&mut tx, id).await?;
        if from == SubmissionStatus::Accepted {
            return Err(StoreError::Conflict {
                constraint: "submissions.status".into(),
                detail: format!(
                    "报送 {id} 已通过审核，不能再上传 / submission {id} is accepted already; \
                     corrections go through a new import"
                ),
            });
        }
        let owner = sqlx::query("SELECT submission_id FROM submission_batches WHERE batch_id = $1")
            .bind(batch)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = owner {
            let other: i64 = row.try_get("submission_id")?;
            return Err(StoreError::Conflict {
                constraint: "submission_batches.batch_id".into(),
                detail: format!(
                    "导入批次 {batch} 已属于报送 {other} / import batch {batch} belongs to \
                     submission {other} already"
                ),
            });
        }
        sqlx::query("INSERT INTO submission_batches (batch_id, submission_id) VALUES ($1, $2)")
            .bind(batch)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let at = now();
        let to = SubmissionStatus::Received;
        advance(&mut tx, id, version, to, Some(batch), Some(&at), None, None).await?;
        event(
            &mut tx,
            id,
            version + 1,
            &Change {
                from: Some(from),
                to,
                batch: Some(batch),
                reasons: None,
                actor,
                at: &at,
            },
        )
        .await?;
        tx.commit().await?;
        self.get_submission(id).await
    }

    async fn decide_submission(
        &self,
        id: i64,
        decision: Decision,
        reasons: &str,
        actor: &str,
    ) -> StoreResult<Submission> {
        need_actor(actor)?;
        let reasons = reasons.trim();
        if decision == Decision::Return && reasons.is_empty() {
            return Err(StoreError::Invalid(
                "字段 reasons: 退回须说明理由 / field reasons: returning a submission needs the \
                 reasons"
                    .into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        let (from, version) = current(&mut tx, id).await?;
        if from != SubmissionStatus::Received {
            return Err(StoreError::Conflict {
                constraint: "submissions.status".into(),
                detail: format!(
                    "报送 {id} 当前为“{}”，只有已报送待审核的才能审核 / submission {id} is {}; \
                     only a received submission can be accepted or returned",
                    from.name_cn(),
                    from
                ),
            });
        }
        let to = match decision {
            Decision::Accept => SubmissionStatus::Accepted,
            Decision::Return => SubmissionStatus::Returned,
        };
        let at = now();
        let reasons = (!reasons.is_empty()).then_some(reasons);
        advance(&mut tx, id, version, to, None, None, Some(&at), reasons).await?;
        event(
            &mut tx,
            id,
            version + 1,
            &Change {
                from: Some(from),
                to,
                batch: None,
                reasons,
                actor,
                at: &at,
            },
        )
        .await?;
        tx.commit().await?;
        self.get_submission(id).await
    }
}
