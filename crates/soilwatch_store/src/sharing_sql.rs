//! [`SharingStore`] for [`SqlStore`]: one implementation for SQLite and PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use soilwatch_core::ChangeMeta;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::sharing::{
    AccessRequest, CatalogueEntry, CatalogueVersion, CatalogueWrite, DataAccess, GrantDecision,
    NewDataAccess, RequestStatus, SharingLevel, SharingStore,
};
use crate::sql::{json, now};
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

fn from_json<T: serde::de::DeserializeOwned>(r: &AnyRow, col: &str) -> StoreResult<T> {
    serde_json::from_str(&r.try_get::<String, _>(col)?).map_err(|e| corrupt(col, e))
}

const ENTRY_COLUMNS: &str = "dataset, name, owner_department, sharing_level, public, fields, \
     update_frequency, access_methods, description, version, updated_by, updated_at";

fn entry_from_row(r: &AnyRow) -> StoreResult<CatalogueEntry> {
    Ok(CatalogueEntry {
        dataset: r.try_get("dataset")?,
        name: r.try_get("name")?,
        owner_department: r.try_get("owner_department")?,
        sharing_level: r
            .try_get::<String, _>("sharing_level")?
            .parse::<SharingLevel>()
            .map_err(|e| corrupt("sharing level", e))?,
        public: r.try_get::<i64, _>("public")? != 0,
        fields: from_json(r, "fields")?,
        update_frequency: r.try_get("update_frequency")?,
        access_methods: from_json(r, "access_methods")?,
        description: r.try_get("description")?,
        version: r.try_get("version")?,
        updated_by: r.try_get("updated_by")?,
        updated_at: parse_ts(&r.try_get::<String, _>("updated_at")?)?,
    })
}

const REQUEST_COLUMNS: &str = "id, dataset, department, purpose, requested_by, requested_at, \
     status, decided_by, decided_at, expires_on, decision";

fn request_from_row(r: &AnyRow) -> StoreResult<AccessRequest> {
    Ok(AccessRequest {
        id: r.try_get("id")?,
        dataset: r.try_get("dataset")?,
        department: r.try_get("department")?,
        purpose: r.try_get("purpose")?,
        requested_by: r.try_get("requested_by")?,
        requested_at: parse_ts(&r.try_get::<String, _>("requested_at")?)?,
        status: r
            .try_get::<String, _>("status")?
            .parse()
            .map_err(|e| corrupt("request status", e))?,
        decided_by: r.try_get("decided_by")?,
        decided_at: opt_ts(r, "decided_at")?,
        expires_on: r
            .try_get::<Option<String>, _>("expires_on")?
            .map(|s| s.parse::<NaiveDate>().map_err(|e| corrupt("date", e)))
            .transpose()?,
        decision: r.try_get("decision")?,
    })
}

fn access_from_row(r: &AnyRow) -> StoreResult<DataAccess> {
    Ok(DataAccess {
        id: r.try_get("id")?,
        at: parse_ts(&r.try_get::<String, _>("at")?)?,
        actor: r.try_get("actor")?,
        department: r.try_get("department")?,
        dataset: r.try_get("dataset")?,
        path: r.try_get("path")?,
        row_count: r.try_get("row_count")?,
        outcome: r.try_get("outcome")?,
        basis: r.try_get("basis")?,
    })
}

async fn department_exists(store: &SqlStore, code: &str, field: &str) -> StoreResult<()> {
    let found = sqlx::query("SELECT code FROM departments WHERE code = $1")
        .bind(code)
        .fetch_optional(store.pool())
        .await?;
    if found.is_none() {
        return Err(StoreError::Invalid(format!(
            "字段 {field}: 没有部门 '{code}' / field {field}: no department '{code}'"
        )));
    }
    Ok(())
}

#[async_trait]
impl SharingStore for SqlStore {
    async fn put_catalogue_entry(
        &self,
        dataset: &str,
        w: &CatalogueWrite,
        change: &ChangeMeta,
    ) -> StoreResult<CatalogueEntry> {
        w.validate(dataset)?;
        if change.actor.trim().is_empty() || change.reason.trim().is_empty() {
            return Err(StoreError::Invalid(
                "每次修改须注明修改人和原因 / every change needs an actor and a reason".into(),
            ));
        }
        department_exists(self, &w.owner_department, "owner_department").await?;
        let at = now();
        let fields = json(&w.fields)?;
        let methods = json(&w.access_methods)?;
        let mut tx = self.begin_write().await?;
        let current = sqlx::query("SELECT version FROM catalogue_entries WHERE dataset = $1")
            .bind(dataset)
            .fetch_optional(&mut *tx)
            .await?;
        let version = match current {
            None => {
                sqlx::query(
                    "INSERT INTO catalogue_entries (dataset, name, owner_department, \
                     sharing_level, public, fields, update_frequency, access_methods, \
                     description, version, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11)",
                )
                .bind(dataset)
                .bind(w.name.trim())
                .bind(&w.owner_department)
                .bind(w.sharing_level.code())
                .bind(i64::from(w.public))
                .bind(&fields)
                .bind(w.update_frequency.trim())
                .bind(&methods)
                .bind(w.description.trim())
                .bind(&change.actor)
                .bind(&at)
                .execute(&mut *tx)
                .await?;
                1
            }
            Some(row) => {
                let v: i64 = row.try_get("version")?;
                sqlx::query(
                    "UPDATE catalogue_entries SET name = $2, owner_department = $3, \
                     sharing_level = $4, public = $5, fields = $6, update_frequency = $7, \
                     access_methods = $8, description = $9, version = $10, updated_by = $11, \
                     updated_at = $12 WHERE dataset = $1",
                )
                .bind(dataset)
                .bind(w.name.trim())
                .bind(&w.owner_department)
                .bind(w.sharing_level.code())
                .bind(i64::from(w.public))
                .bind(&fields)
                .bind(w.update_frequency.trim())
                .bind(&methods)
                .bind(w.description.trim())
                .bind(v + 1)
                .bind(&change.actor)
                .bind(&at)
                .execute(&mut *tx)
                .await?;
                v + 1
            }
        };
        sqlx::query(
            "INSERT INTO catalogue_versions (dataset, version, data, actor, reason, at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(dataset)
        .bind(version)
        .bind(json(w)?)
        .bind(&change.actor)
        .bind(&change.reason)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.get_catalogue_entry(dataset).await
    }

    async fn get_catalogue_entry(&self, dataset: &str) -> StoreResult<CatalogueEntry> {
        let row = sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM catalogue_entries WHERE dataset = $1"
        ))
        .bind(dataset)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::not_found("catalogue entry", dataset))?;
        entry_from_row(&row)
    }

    async fn list_catalogue(&self) -> StoreResult<Vec<CatalogueEntry>> {
        let rows = sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM catalogue_entries ORDER BY dataset"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    async fn catalogue_history(&self, dataset: &str) -> StoreResult<Vec<CatalogueVersion>> {
        let rows = sqlx::query(
            "SELECT version, data, actor, reason, at FROM catalogue_versions \
             WHERE dataset = $1 ORDER BY version",
        )
        .bind(dataset)
        .fetch_all(self.pool())
        .await?;
        if rows.is_empty() {
            return Err(StoreError::not_found("catalogue entry", dataset));
        }
        rows.iter()
            .map(|r| {
                Ok(CatalogueVersion {
                    version: r.try_get("version")?,
                    entry: from_json(r, "data")?,
                    actor: r.try_get("actor")?,
                    reason: r.try_get("reason")?,
                    at: parse_ts(&r.try_get::<String, _>("at")?)?,
                })
            })
            .collect()
    }

    async fn request_access(
        &self,
        dataset: &str,
        department: &str,
        purpose: &str,
        requested_by: &str,
    ) -> StoreResult<AccessRequest> {
        let entry = self.get_catalogue_entry(dataset).await?;
        if purpose.trim().is_empty() {
            return Err(StoreError::Invalid(
                "字段 purpose: 须说明用途 / field purpose: say what the data is for".into(),
            ));
        }
        department_exists(self, department, "department").await?;
        let refuse = |detail: String| StoreError::Conflict {
            constraint: "catalogue_entries.sharing_level".into(),
            detail,
        };
        if entry.owner_department == department {
            return Err(refuse(format!(
                "{department} 是 {dataset} 的提供部门，无需申请 / {department} owns {dataset}"
            )));
        }
        if entry.sharing_level != SharingLevel::Conditional || entry.public {
            return Err(refuse(format!(
                "{dataset} 为“{}”，只有有条件共享的数据需要申请 / {dataset} is shared '{}': only \
                 conditional datasets take requests",
                entry.sharing_level.name_cn(),
                entry.sharing_level
            )));
        }
        let row = sqlx::query(&format!(
            "INSERT INTO access_requests (dataset, department, purpose, requested_by, \
             requested_at, status) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {REQUEST_COLUMNS}"
        ))
        .bind(dataset)
        .bind(department)
        .bind(purpose.trim())
        .bind(requested_by)
        .bind(now())
        .bind(RequestStatus::Pending.code())
        .fetch_one(self.pool())
        .await?;
        request_from_row(&row)
    }

    async fn decide_access(
        &self,
        id: i64,
        decision: GrantDecision,
        note: &str,
        actor: &str,
        today: NaiveDate,
    ) -> StoreResult<AccessRequest> {
        let current = self.get_access_request(id).await?;
        let (from, to, expires) = match decision {
            GrantDecision::Grant { expires_on } => {
                if let Some(e) = expires_on.filter(|e| *e < today) {
                    return Err(StoreError::Invalid(format!(
                        "字段 expires_on: {e} 已过去 / field expires_on: {e} is in the past"
                    )));
                }
                (RequestStatus::Pending, RequestStatus::Granted, expires_on)
            }
            GrantDecision::Refuse => {
                if note.trim().is_empty() {
                    return Err(StoreError::Invalid(
                        "字段 note: 拒绝须说明理由 / field note: a refusal needs the reasons"
                            .into(),
                    ));
                }
                (RequestStatus::Pending, RequestStatus::Refused, None)
            }
            GrantDecision::Revoke => (
                RequestStatus::Granted,
                RequestStatus::Revoked,
                current.expires_on,
            ),
        };
        let row = sqlx::query(&format!(
            "UPDATE access_requests SET status = $3, decided_by = $4, decided_at = $5, \
             expires_on = $6, decision = $7 WHERE id = $1 AND status = $2 \
             RETURNING {REQUEST_COLUMNS}"
        ))
        .bind(id)
        .bind(from.code())
        .bind(to.code())
        .bind(actor)
        .bind(now())
        .bind(expires.map(|d| d.to_string()))
        .bind((!note.trim().is_empty()).then(|| note.trim().to_owned()))
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(r) => request_from_row(&r),
            None => Err(StoreError::Conflict {
                constraint: "access_requests.status".into(),
                detail: format!(
                    "申请 {id} 当前为“{}”，不能改为“{}” / request {id} is {}, it cannot become {}",
                    current.status.name_cn(),
                    to.name_cn(),
                    current.status.code(),
                    to.code()
                ),
            }),
        }
    }

    async fn get_access_request(&self, id: i64) -> StoreResult<AccessRequest> {
        let row = sqlx::query(&format!(
            "SELECT {REQUEST_COLUMNS} FROM access_requests WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::not_found("access request", id.to_string()))?;
        request_from_row(&row)
    }

    async fn list_access_requests(
        &self,
        dataset: Option<&str>,
        department: Option<&str>,
    ) -> StoreResult<Vec<AccessRequest>> {
        let mut sql = format!("SELECT {REQUEST_COLUMNS} FROM access_requests WHERE 1 = 1");
        let mut binds: Vec<&str> = Vec::new();
        for (col, v) in [("dataset", dataset), ("department", department)] {
            if let Some(v) = v {
                binds.push(v);
                sql.push_str(&format!(" AND {col} = ${}", binds.len()));
            }
        }
        sql.push_str(" ORDER BY id DESC");
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter().map(request_from_row).collect()
    }

    async fn log_data_access(&self, a: &NewDataAccess) -> StoreResult<()> {
        // Written together with the lines of concurrent requests (issue 12).
        self.append_log(crate::log_batch::LogLine::access(a)).await
    }

    async fn log_data_accesses(&self, lines: &[NewDataAccess]) -> StoreResult<()> {
        self.append_logs(
            lines
                .iter()
                .map(crate::log_batch::LogLine::access)
                .collect(),
        )
        .await
    }

    async fn list_data_access(
        &self,
        dataset: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<DataAccess>> {
        let limit = limit.clamp(1, 10_000);
        let filter = if dataset.is_some() {
            "WHERE dataset = $1"
        } else {
            ""
        };
        let sql = format!(
            "SELECT id, at, actor, department, dataset, path, row_count, outcome, basis \
             FROM data_access_log {filter} ORDER BY id DESC LIMIT {limit}"
        );
        let mut q = sqlx::query(&sql);
        if let Some(d) = dataset {
            q = q.bind(d);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter().map(access_from_row).collect()
    }
}
