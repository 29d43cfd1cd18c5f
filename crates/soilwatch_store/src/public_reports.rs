//! 公众举报 — public reports (issue 10, work-plan item 41, like the 12369 hotline): what a member
//! of the public reports (location by coordinates or address, description, photos, optional
//! contact), the tracking number they get, and the handling by the county bureau with a public
//! reply, linked to plots or enterprises. [`PublicReportStore`] is a supertrait of
//! [`Store`](crate::Store).
//!
//! The contact is stored for the handling department only (the web layer decides who sees it);
//! the reporter's address is kept as a keyed hash (`client_key`) for the rate limit, which the
//! store checks in the same transaction as the insert.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use soilwatch_core::DivisionCode;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::registry::{code_enum, invalid};
use crate::sql::now;
use crate::{SqlStore, StoreError, StoreResult};

code_enum! {
    /// 办理状态 — where a report stands.
    ReportStatus, field = "status", what = "办理状态" / "report status";
    /// 已受理
    Received = "received" / "已受理" / "received",
    /// 办理中
    Handling = "handling" / "办理中" / "being handled",
    /// 已办结（已答复）
    Closed = "closed" / "已办结" / "closed with a reply",
    /// 不予受理
    Rejected = "rejected" / "不予受理" / "not accepted",
}

/// A photo of a report (checked by the web layer: JPEG or PNG, size-limited).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    pub content_type: String,
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// A report as submitted.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewPublicReport {
    /// The county bureau it goes to (from the coordinates or chosen with the address).
    pub division: Option<DivisionCode>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub address: Option<String>,
    pub description: String,
    pub contact: Option<String>,
    pub photos: Vec<Photo>,
    /// Keyed hash of the reporter's network address.
    pub client_key: String,
}

/// The rate limit: at most `max` reports per address within `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub max: i64,
    pub window: Duration,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            max: 5,
            window: Duration::hours(1),
        }
    }
}

/// A stored report. `contact` is for the handling department only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicReport {
    pub id: i64,
    pub tracking: String,
    pub division: DivisionCode,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub address: Option<String>,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    pub status: ReportStatus,
    pub public_reply: Option<String>,
    pub replied_at: Option<DateTime<Utc>>,
    pub plot_code: Option<String>,
    pub enterprise_uscc: Option<String>,
    pub photos: i64,
    pub created_at: DateTime<Utc>,
    pub version: i64,
}

/// What the public sees of a report by its tracking number: no contact, no coordinates, no
/// internal notes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicReportView {
    pub tracking: String,
    pub division: DivisionCode,
    pub description: String,
    pub status: ReportStatus,
    pub status_cn: String,
    pub public_reply: Option<String>,
    pub replied_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl PublicReport {
    pub fn public_view(&self) -> PublicReportView {
        PublicReportView {
            tracking: self.tracking.clone(),
            division: self.division,
            description: self.description.clone(),
            status: self.status,
            status_cn: self.status.name_cn().to_owned(),
            public_reply: self.public_reply.clone(),
            replied_at: self.replied_at,
            created_at: self.created_at,
        }
    }
}

/// A handling step by the county bureau.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handling {
    pub status: ReportStatus,
    /// Internal note (not public).
    pub note: Option<String>,
    /// The public reply (shown with the tracking number).
    pub reply: Option<String>,
    /// Link to a registered plot.
    pub plot_code: Option<String>,
    /// Link to a registered enterprise (USCC).
    pub enterprise_uscc: Option<String>,
}

/// One recorded handling step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandlingEvent {
    pub status: ReportStatus,
    pub note: Option<String>,
    pub reply: Option<String>,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// Public reports. A supertrait of [`Store`](crate::Store).
#[async_trait]
pub trait PublicReportStore: Send + Sync {
    /// Store a report with its photos and give it a tracking number. More than `limit.max`
    /// reports from one `client_key` within `limit.window` is a `Conflict` with constraint
    /// `rate_limit` (nothing stored).
    async fn create_public_report(
        &self,
        r: &NewPublicReport,
        limit: RateLimit,
    ) -> StoreResult<PublicReport>;
    async fn get_public_report(&self, id: i64) -> StoreResult<PublicReport>;
    async fn find_public_report(&self, tracking: &str) -> StoreResult<PublicReport>;
    /// Reports of a division (a prefecture matches its counties), newest first.
    async fn list_public_reports(
        &self,
        division: Option<DivisionCode>,
    ) -> StoreResult<Vec<PublicReport>>;
    /// Record a handling step (and the public reply, links); returns the report.
    async fn handle_public_report(
        &self,
        id: i64,
        h: &Handling,
        actor: &str,
    ) -> StoreResult<PublicReport>;
    async fn public_report_events(&self, id: i64) -> StoreResult<Vec<HandlingEvent>>;
    /// A photo's type and bytes.
    async fn public_report_photo(&self, id: i64, seq: i64) -> StoreResult<Photo>;
}

/// Longest description, address, contact and reply (characters).
pub const MAX_DESCRIPTION: usize = 5_000;
pub const MAX_ADDRESS: usize = 300;
pub const MAX_CONTACT: usize = 200;
pub const MAX_REPLY: usize = 5_000;
/// Photos per report.
pub const MAX_PHOTOS: usize = 3;

fn corrupt(what: &str, e: impl fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored {what} cannot be read: {e}"))
}

fn time(s: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt("time", e))
}

fn text(field: &str, s: Option<&str>, max: usize) -> StoreResult<Option<String>> {
    let Some(t) = s.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let n = t.chars().count();
    if n > max {
        return Err(invalid(
            field,
            format!("不超过{max}个字符（现为{n}个）"),
            format!("at most {max} characters, found {n}"),
        ));
    }
    Ok(Some(t.to_owned()))
}

/// A tracking number: `JB` + date + 10 random characters (Crockford base 32).
fn tracking_number() -> StoreResult<String> {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let b = crate::auth_secret::random_bytes::<10>()?;
    let tail: String = b
        .iter()
        .map(|x| ALPHABET[usize::from(*x) % 32] as char)
        .collect();
    Ok(format!("JB{}{tail}", Utc::now().format("%Y%m%d")))
}

const COLUMNS: &str = "r.id AS id, r.tracking AS tracking, r.division AS division, r.lon AS lon, \
    r.lat AS lat, r.address AS address, r.description AS description, r.contact AS contact, \
    r.status AS status, r.public_reply AS public_reply, r.replied_at AS replied_at, \
    r.plot_code AS plot_code, r.enterprise_uscc AS enterprise_uscc, r.created_at AS created_at, \
    r.version AS version, \
    (SELECT COUNT(*) FROM public_report_photos p WHERE p.report_id = r.id) AS photos";

fn from_row(r: &AnyRow) -> StoreResult<PublicReport> {
    Ok(PublicReport {
        id: r.try_get("id")?,
        tracking: r.try_get("tracking")?,
        division: r
            .try_get::<String, _>("division")?
            .parse()
            .map_err(|e| corrupt("division", e))?,
        lon: r.try_get("lon")?,
        lat: r.try_get("lat")?,
        address: r.try_get("address")?,
        description: r.try_get("description")?,
        contact: r.try_get("contact")?,
        status: r
            .try_get::<String, _>("status")?
            .parse()
            .map_err(|e| corrupt("status", e))?,
        public_reply: r.try_get("public_reply")?,
        replied_at: r
            .try_get::<Option<String>, _>("replied_at")?
            .map(|s| time(&s))
            .transpose()?,
        plot_code: r.try_get("plot_code")?,
        enterprise_uscc: r.try_get("enterprise_uscc")?,
        photos: r.try_get("photos")?,
        created_at: time(&r.try_get::<String, _>("created_at")?)?,
        version: r.try_get("version")?,
    })
}

fn code_range(code: DivisionCode) -> (String, String) {
    let v = code.value();
    match code.level() {
        soilwatch_core::DivisionLevel::Province => (format!("{v:06}"), format!("{:06}", v + 9_999)),
        soilwatch_core::DivisionLevel::Prefecture => (format!("{v:06}"), format!("{:06}", v + 99)),
        soilwatch_core::DivisionLevel::County => (format!("{v:06}"), format!("{v:06}")),
    }
}

#[async_trait]
impl PublicReportStore for SqlStore {
    async fn create_public_report(
        &self,
        r: &NewPublicReport,
        limit: RateLimit,
    ) -> StoreResult<PublicReport> {
        let description =
            text("description", Some(&r.description), MAX_DESCRIPTION)?.ok_or_else(|| {
                invalid(
                    "description",
                    "请描述举报的情况",
                    "describe what you report",
                )
            })?;
        let address = text("address", r.address.as_deref(), MAX_ADDRESS)?;
        let contact = text("contact", r.contact.as_deref(), MAX_CONTACT)?;
        let Some(division) = r.division else {
            return Err(invalid(
                "location",
                "请在地图上选点（坐标）或填写地址并选择县（市）",
                "give the location as coordinates, or an address with its county",
            ));
        };
        if division.level() != soilwatch_core::DivisionLevel::County {
            return Err(invalid("division", "请选择县（市）", "choose a county"));
        }
        if r.lon.is_none() && address.is_none() {
            return Err(invalid(
                "location",
                "请在地图上选点（坐标）或填写地址",
                "give the location as coordinates or an address",
            ));
        }
        if r.photos.len() > MAX_PHOTOS {
            return Err(invalid(
                "photos",
                format!("最多 {MAX_PHOTOS} 张照片"),
                format!("at most {MAX_PHOTOS} photos"),
            ));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query("SELECT code FROM divisions WHERE code = $1 AND level = 'county'")
            .bind(division.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| {
                invalid(
                    "division",
                    format!("县（市）'{division}' 不存在"),
                    format!("county '{division}' is not known"),
                )
            })?;
        let since =
            (Utc::now() - limit.window).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let recent: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM public_reports WHERE client_key = $1 AND created_at >= $2",
        )
        .bind(&r.client_key)
        .bind(since)
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
        if recent >= limit.max {
            return Err(StoreError::Conflict {
                constraint: "rate_limit".into(),
                detail: format!(
                    "提交过于频繁：同一地址 {} 分钟内最多 {} 次，请稍后再试 / too many reports from \
                     this address: at most {} in {} minutes, try again later",
                    limit.window.num_minutes(),
                    limit.max,
                    limit.max,
                    limit.window.num_minutes()
                ),
            });
        }
        let tracking = tracking_number()?;
        let row = sqlx::query(
            "INSERT INTO public_reports (tracking, division, lon, lat, address, description, \
             contact, status, client_key, created_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1) RETURNING id",
        )
        .bind(&tracking)
        .bind(division.to_string())
        .bind(r.lon)
        .bind(r.lat)
        .bind(address)
        .bind(description)
        .bind(contact)
        .bind(ReportStatus::Received.code())
        .bind(&r.client_key)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        for (i, p) in r.photos.iter().enumerate() {
            sqlx::query(
                "INSERT INTO public_report_photos (report_id, seq, content_type, bytes) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(i64::try_from(i + 1).map_err(|e| StoreError::Invalid(e.to_string()))?)
            .bind(&p.content_type)
            .bind(p.bytes.clone())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.get_public_report(id).await
    }

    async fn get_public_report(&self, id: i64) -> StoreResult<PublicReport> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM public_reports r WHERE r.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::not_found("public report", id.to_string()))?;
        from_row(&row)
    }

    async fn find_public_report(&self, tracking: &str) -> StoreResult<PublicReport> {
        let t = tracking.trim().to_uppercase();
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM public_reports r WHERE r.tracking = $1"
        ))
        .bind(&t)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::not_found("public report", t))?;
        from_row(&row)
    }

    async fn list_public_reports(
        &self,
        division: Option<DivisionCode>,
    ) -> StoreResult<Vec<PublicReport>> {
        let (lo, hi) = division
            .map(code_range)
            .unwrap_or_else(|| ("000000".into(), "999999".into()));
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM public_reports r WHERE r.division >= $1 AND r.division <= $2 \
             ORDER BY r.id DESC LIMIT 1000"
        ))
        .bind(lo)
        .bind(hi)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    async fn handle_public_report(
        &self,
        id: i64,
        h: &Handling,
        actor: &str,
    ) -> StoreResult<PublicReport> {
        let note = text("note", h.note.as_deref(), MAX_REPLY)?;
        let reply = text("reply", h.reply.as_deref(), MAX_REPLY)?;
        if h.status == ReportStatus::Closed && reply.is_none() {
            return Err(invalid(
                "reply",
                "办结须有公开答复",
                "closing a report needs a public reply",
            ));
        }
        let mut tx = self.begin_write().await?;
        let current = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM public_reports r WHERE r.id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::not_found("public report", id.to_string()))?;
        let current = from_row(&current)?;
        let version = current.version;
        let plot = text("plot_code", h.plot_code.as_deref(), 64)?;
        if let Some(p) = &plot {
            sqlx::query("SELECT code FROM plots WHERE code = $1")
                .bind(p)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| {
                    invalid(
                        "plot_code",
                        format!("地块 '{p}' 未登记"),
                        format!("plot '{p}' is not registered"),
                    )
                })?;
        }
        let ent =
            text("enterprise_uscc", h.enterprise_uscc.as_deref(), 18)?.map(|u| u.to_uppercase());
        if let Some(u) = &ent {
            sqlx::query("SELECT uscc FROM enterprises WHERE uscc = $1")
                .bind(u)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| {
                    invalid(
                        "enterprise_uscc",
                        format!("企业 '{u}' 未登记"),
                        format!("enterprise '{u}' is not registered"),
                    )
                })?;
        }
        let at = now();
        let (public_reply, replied_at) = match &reply {
            Some(r) => (Some(r.clone()), Some(at.clone())),
            None => (
                current.public_reply.clone(),
                current
                    .replied_at
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            ),
        };
        let done = sqlx::query(
            "UPDATE public_reports SET status = $1, public_reply = $2, replied_at = $3, \
             plot_code = $4, enterprise_uscc = $5, version = $6 WHERE id = $7 AND version = $8",
        )
        .bind(h.status.code())
        .bind(public_reply)
        .bind(replied_at)
        .bind(plot.or(current.plot_code.clone()))
        .bind(ent.or(current.enterprise_uscc.clone()))
        .bind(version + 1)
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict {
                constraint: "version".into(),
                detail: "举报已被他人同时修改，请刷新后重试 / the report changed meanwhile; reload and try again".into(),
            });
        }
        sqlx::query(
            "INSERT INTO public_report_events (report_id, status, note, reply, actor, at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(h.status.code())
        .bind(note)
        .bind(reply)
        .bind(actor)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.get_public_report(id).await
    }

    async fn public_report_events(&self, id: i64) -> StoreResult<Vec<HandlingEvent>> {
        let rows = sqlx::query(
            "SELECT status, note, reply, actor, at FROM public_report_events \
             WHERE report_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(HandlingEvent {
                    status: r
                        .try_get::<String, _>("status")?
                        .parse()
                        .map_err(|e| corrupt("status", e))?,
                    note: r.try_get("note")?,
                    reply: r.try_get("reply")?,
                    actor: r.try_get("actor")?,
                    at: time(&r.try_get::<String, _>("at")?)?,
                })
            })
            .collect()
    }

    async fn public_report_photo(&self, id: i64, seq: i64) -> StoreResult<Photo> {
        let row = sqlx::query(
            "SELECT content_type, bytes FROM public_report_photos WHERE report_id = $1 AND seq = $2",
        )
        .bind(id)
        .bind(seq)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::not_found("photo", format!("{id}/{seq}")))?;
        Ok(Photo {
            content_type: row.try_get("content_type")?,
            bytes: row.try_get("bytes")?,
        })
    }
}
