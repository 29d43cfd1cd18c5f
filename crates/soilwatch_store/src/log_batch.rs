//! Group commit of the log lines every read of non-public data writes (issue 12): the audit log
//! (`append_audit`) and the data-access log (`log_data_access`).
//!
//! Every API read of samples or results writes two log lines. Written one statement each, 50
//! concurrent readers made 100 small write transactions per round: on SQLite they queue for the
//! one write lock (each waiting in SQLite's busy handler, which sleeps), on PostgreSQL each is a
//! commit with its own WAL flush. Here the lines of concurrent requests are gathered: the first
//! caller starts a flusher task, which writes everything queued so far in one multi-row `INSERT`
//! per table (one transaction), answers each caller, and goes on while lines keep arriving.
//!
//! Nothing changes for a caller: it still waits until its line is stored and gets the error when
//! it could not be. A line alone (no concurrent request) is written with the same single
//! statement as before. The flusher runs in its own task, so a client that goes away while its
//! line is being written cannot cancel the write of the other callers' lines. When a batch
//! fails, each of its lines is written alone, so one bad line does not fail its neighbours.

use std::sync::Mutex;

use chrono::Utc;
use tokio::sync::oneshot;

use crate::auth::NewAuditEntry;
use crate::sharing::NewDataAccess;
use crate::{SqlStore, StoreError, StoreResult};

/// At most this many lines in one statement (8 parameters each: far below either database's
/// limit on bound parameters).
const MAX_BATCH: usize = 500;

/// A line to write, with the time it was asked for.
#[derive(Debug, Clone)]
pub(crate) enum LogLine {
    Audit(NewAuditEntry, String),
    Access(NewDataAccess, String),
}

impl LogLine {
    pub(crate) fn audit(e: &NewAuditEntry) -> LogLine {
        LogLine::Audit(e.clone(), now())
    }

    pub(crate) fn access(a: &NewDataAccess) -> LogLine {
        LogLine::Access(a.clone(), now())
    }
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

type Reply = oneshot::Sender<Result<(), String>>;

#[derive(Default)]
struct Queue {
    pending: Vec<(LogLine, Reply)>,
    /// A flusher task is running (it will see anything pushed before it finds the queue empty).
    flushing: bool,
}

/// The queue of one store (shared by its clones).
#[derive(Default)]
pub(crate) struct LogQueue {
    queue: Mutex<Queue>,
}

impl std::fmt::Debug for LogQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogQueue").finish_non_exhaustive()
    }
}

impl LogQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        // A panic while holding the lock leaves plain data behind: go on with it.
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl SqlStore {
    /// Store one log line, together with those of concurrent callers; returns once it is stored.
    pub(crate) async fn append_log(&self, line: LogLine) -> StoreResult<()> {
        self.append_logs(vec![line]).await
    }

    /// Store several lines of one caller (queued at once: they go in the same batch), together
    /// with those of concurrent callers; returns once every one is stored, with the first error.
    pub(crate) async fn append_logs(&self, lines: Vec<LogLine>) -> StoreResult<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let mut waits = Vec::with_capacity(lines.len());
        let start = {
            let mut q = self.logs().lock();
            for line in lines {
                let (tx, rx) = oneshot::channel();
                q.pending.push((line, tx));
                waits.push(rx);
            }
            !std::mem::replace(&mut q.flushing, true)
        };
        if start {
            let store = self.clone();
            tokio::spawn(async move { store.flush_logs().await });
        }
        let mut first_error = None;
        for rx in waits {
            let res = match rx.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(StoreError::Backend(e)),
                Err(_) => Err(StoreError::Backend(
                    "日志写入任务已停止 / the log writer stopped before storing the line".into(),
                )),
            };
            if let (Err(e), None) = (res, &first_error) {
                first_error = Some(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    async fn flush_logs(&self) {
        loop {
            let batch: Vec<(LogLine, Reply)> = {
                let mut q = self.logs().lock();
                if q.pending.is_empty() {
                    q.flushing = false;
                    return;
                }
                let n = q.pending.len().min(MAX_BATCH);
                q.pending.drain(..n).collect()
            };
            let (lines, replies): (Vec<LogLine>, Vec<Reply>) = batch.into_iter().unzip();
            if lines.len() > 1 && self.write_log_lines(&lines).await.is_ok() {
                for r in replies {
                    let _ = r.send(Ok(()));
                }
                continue;
            }
            // Alone, or the batch failed: each line on its own, with its own outcome.
            for (line, r) in lines.into_iter().zip(replies) {
                let res = self.write_log_lines(std::slice::from_ref(&line)).await;
                let _ = r.send(res.map_err(|e| e.to_string()));
            }
        }
    }

    /// One `INSERT` per table for `lines` (in a transaction when both tables get lines).
    async fn write_log_lines(&self, lines: &[LogLine]) -> StoreResult<()> {
        let audit: Vec<&LogLine> = lines
            .iter()
            .filter(|l| matches!(l, LogLine::Audit(..)))
            .collect();
        let access: Vec<&LogLine> = lines
            .iter()
            .filter(|l| matches!(l, LogLine::Access(..)))
            .collect();
        if audit.is_empty() || access.is_empty() {
            return insert_lines(self.pool(), lines.iter().collect()).await;
        }
        let mut tx = self.begin_write().await?;
        insert_lines(&mut *tx, audit).await?;
        insert_lines(&mut *tx, access).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// `($1, …, $8), ($9, …)` for `rows` rows of 8 columns.
fn placeholders(rows: usize) -> String {
    (0..rows)
        .map(|r| {
            let cols: Vec<String> = (1..=8).map(|c| format!("${}", r * 8 + c)).collect();
            format!("({})", cols.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Insert lines of one table (all audit or all access lines).
async fn insert_lines<'e, E>(exec: E, lines: Vec<&LogLine>) -> StoreResult<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let Some(first) = lines.first() else {
        return Ok(());
    };
    let table = match first {
        LogLine::Audit(..) => "audit_log (at, actor, action, target, outcome, status, ip, detail)",
        LogLine::Access(..) => {
            "data_access_log (at, actor, department, dataset, path, row_count, outcome, basis)"
        }
    };
    let sql = format!("INSERT INTO {table} VALUES {}", placeholders(lines.len()));
    let mut q = sqlx::query(&sql);
    for line in lines {
        q = match line {
            LogLine::Audit(e, at) => q
                .bind(at.clone())
                .bind(e.actor.clone())
                .bind(e.action.clone())
                .bind(e.target.clone())
                .bind(e.outcome.clone())
                .bind(e.status)
                .bind(e.ip.clone())
                .bind(e.detail.clone()),
            LogLine::Access(a, at) => q
                .bind(at.clone())
                .bind(a.actor.clone())
                .bind(a.department.clone())
                .bind(a.dataset.clone())
                .bind(a.path.clone())
                .bind(a.row_count)
                .bind(a.outcome.clone())
                .bind(a.basis.clone()),
        };
    }
    q.execute(exec).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn placeholders_number_every_column() {
        assert_eq!(placeholders(1), "($1, $2, $3, $4, $5, $6, $7, $8)");
        assert!(placeholders(2).ends_with("($9, $10, $11, $12, $13, $14, $15, $16)"));
    }
}
