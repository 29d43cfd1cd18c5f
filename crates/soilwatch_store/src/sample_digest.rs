//! One light row per sample of a period (issue 7: the dashboard's numbers without reading every
//! sample and result per request): the sample's county, medium and land use, and a fingerprint of
//! the sample and its results (its version, and the count, id sum and version sum of its results)
//! computed by one SQL aggregate. A caller that keeps something derived from a sample — the
//! dashboard keeps each sample's evaluation — recomputes it only when the fingerprint changes: any
//! re-import of the sample (new version), any corrected result (new result version), and any added
//! or removed result (count and id sum) changes it.

use async_trait::async_trait;
use chrono::NaiveDate;
use soilwatch_core::{DivisionCode, LandUse, Medium};
use sqlx::Row;

use crate::sql::SqlStore;
use crate::{StoreError, StoreResult};

/// What changes when a sample or any of its results changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SampleFingerprint {
    pub version: i64,
    pub results: i64,
    pub result_id_sum: i64,
    pub result_version_sum: i64,
}

/// A sample of the period, light.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleDigest {
    pub id: i64,
    pub division: DivisionCode,
    pub medium: Medium,
    pub land_use: Option<LandUse>,
    pub fingerprint: SampleFingerprint,
}

/// Digests of the samples of a period.
#[async_trait]
pub trait SampleDigestStore: Send + Sync {
    /// Every sample taken from `from` to `to` (inclusive), by id, with its fingerprint.
    async fn sample_digests(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<SampleDigest>>;
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored {what} unreadable: {e}"))
}

#[async_trait]
impl SampleDigestStore for SqlStore {
    async fn sample_digests(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<SampleDigest>> {
        let rows = sqlx::query(
            "SELECT s.id AS id, s.version AS version, s.division AS division, s.medium AS medium, \
             s.land_use AS land_use, COUNT(r.id) AS n, \
             CAST(COALESCE(SUM(r.id), 0) AS BIGINT) AS id_sum, \
             CAST(COALESCE(SUM(r.version), 0) AS BIGINT) AS version_sum \
             FROM samples s LEFT JOIN results r ON r.sample_id = s.id \
             WHERE s.sampled_on >= $1 AND s.sampled_on <= $2 \
             GROUP BY s.id, s.version, s.division, s.medium, s.land_use ORDER BY s.id",
        )
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let division: String = r.try_get("division")?;
                let medium: String = r.try_get("medium")?;
                let land_use: Option<String> = r.try_get("land_use")?;
                Ok(SampleDigest {
                    id: r.try_get("id")?,
                    division: division.parse().map_err(|e| corrupt("division code", e))?,
                    medium: medium.parse().map_err(|e| corrupt("medium", e))?,
                    land_use: land_use
                        .map(|l| l.parse::<LandUse>())
                        .transpose()
                        .map_err(|e| corrupt("land use", e))?,
                    fingerprint: SampleFingerprint {
                        version: r.try_get("version")?,
                        results: r.try_get("n")?,
                        result_id_sum: r.try_get("id_sum")?,
                        result_version_sum: r.try_get("version_sum")?,
                    },
                })
            })
            .collect()
    }
}
