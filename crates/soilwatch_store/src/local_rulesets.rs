//! Local rulesets (地方标准) as filed: the CSV text of the local values, its base ruleset, who
//! filed it and why. The standards engine compiles and checks them; the store only keeps them.
//! A local ruleset is never changed in place: a new edition is a new id.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::sql::now;
use crate::{SqlStore, StoreError, StoreResult};

/// A filed local ruleset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalRulesetRecord {
    pub id: String,
    /// The national ruleset it tightens (`gb15618-2018`, `gb36600-2018`).
    pub base: String,
    pub name: String,
    pub version: String,
    /// The local values, CSV `analyte,land_use,ph_band,land_class,value_type,value,unit,source`.
    pub csv: String,
    pub created_by: String,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

/// Filed local rulesets.
#[async_trait]
pub trait LocalRulesetStore: Send + Sync {
    /// File a new local ruleset; an existing id is a conflict.
    async fn create_local_ruleset(&self, r: &LocalRulesetRecord) -> StoreResult<()>;
    async fn list_local_rulesets(&self) -> StoreResult<Vec<LocalRulesetRecord>>;
    async fn get_local_ruleset(&self, id: &str) -> StoreResult<LocalRulesetRecord>;
}

fn from_row(r: &sqlx::any::AnyRow) -> StoreResult<LocalRulesetRecord> {
    let at: String = r.try_get("created_at")?;
    Ok(LocalRulesetRecord {
        id: r.try_get("id")?,
        base: r.try_get("base")?,
        name: r.try_get("name")?,
        version: r.try_get("version")?,
        csv: r.try_get("csv")?,
        created_by: r.try_get("created_by")?,
        reason: r.try_get("reason")?,
        created_at: DateTime::parse_from_rfc3339(&at)
            .map_err(|e| StoreError::Backend(format!("local ruleset time: {e}")))?
            .with_timezone(&Utc),
    })
}

#[async_trait]
impl LocalRulesetStore for SqlStore {
    async fn create_local_ruleset(&self, r: &LocalRulesetRecord) -> StoreResult<()> {
        if r.created_by.trim().is_empty() || r.reason.trim().is_empty() {
            return Err(StoreError::Invalid(
                "须注明提交人和原因 / a local ruleset needs who files it and why".into(),
            ));
        }
        sqlx::query(
            "INSERT INTO local_rulesets (id, base, name, version, csv, created_by, reason, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&r.id)
        .bind(&r.base)
        .bind(&r.name)
        .bind(&r.version)
        .bind(&r.csv)
        .bind(&r.created_by)
        .bind(&r.reason)
        .bind(now())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn list_local_rulesets(&self) -> StoreResult<Vec<LocalRulesetRecord>> {
        let rows = sqlx::query("SELECT * FROM local_rulesets ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(from_row).collect()
    }

    async fn get_local_ruleset(&self, id: &str) -> StoreResult<LocalRulesetRecord> {
        let row = sqlx::query("SELECT * FROM local_rulesets WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref()
            .map(from_row)
            .unwrap_or_else(|| Err(StoreError::not_found("local ruleset", id)))
    }
}
