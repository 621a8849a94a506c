//! `kvstore: {type: sqlite, db_path}`: counters in an SQLite file, so they
//! survive restarts. One `INSERT .. ON CONFLICT .. RETURNING` statement per hit
//! (and one `UPDATE` per release) keeps it atomic, also between processes
//! sharing the file.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::store::{QuotaStore, StoreError, Window};

/// Counters in SQLite.
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    hits: AtomicU64,
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("sqlite: {e}"))
}

impl SqliteStore {
    /// Opens (or creates) the database and its table.
    /// An error says what could not be done, in [`StoreError`]'s text.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let failed = |what: String| StoreError(what);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| failed(format!("cannot create {}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path)
            .map_err(|e| failed(format!("cannot open {}: {e}", path.display())))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| failed(e.to_string()))?;
        conn.execute_batch(
            // WAL + NORMAL: no fsync per counter update; a crash of the process
            // loses nothing, a power cut may lose the last few counts.
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS quota_counters (
                 key TEXT PRIMARY KEY,
                 window INTEGER NOT NULL,
                 count INTEGER NOT NULL
             );",
        )
        .map_err(|e| failed(format!("cannot prepare {}: {e}", path.display())))?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            hits: AtomicU64::new(0),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&conn)
        })
        .await
        .map_err(err)?
        .map_err(err)
    }
}

#[async_trait]
impl QuotaStore for SqliteStore {
    async fn hit(&self, key: &str, window: Window) -> Result<u64, StoreError> {
        let key = key.to_owned();
        let index = window.index as i64;
        let cleanup = self
            .hits
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(1024);
        self.run(move |conn| {
            if cleanup {
                // Expired windows go; the current one stays.
                conn.execute(
                    "DELETE FROM quota_counters WHERE window < ?1",
                    params![index],
                )?;
            }
            conn.prepare_cached(
                "INSERT INTO quota_counters (key, window, count) VALUES (?1, ?2, 1)
                 ON CONFLICT(key) DO UPDATE SET
                     count = CASE WHEN window = excluded.window THEN count + 1 ELSE 1 END,
                     window = excluded.window
                 RETURNING count",
            )?
            .query_row(params![key, index], |row| row.get::<_, i64>(0))
        })
        .await
        .map(|c| c.max(0) as u64)
    }

    async fn release(&self, key: &str, window: Window) -> Result<(), StoreError> {
        let key = key.to_owned();
        let index = window.index as i64;
        self.run(move |conn| {
            conn.prepare_cached(
                "UPDATE quota_counters SET count = count - 1
                 WHERE key = ?1 AND window = ?2 AND count > 0",
            )?
            .execute(params![key, index])
        })
        .await
        .map(drop)
    }

    fn name(&self) -> &'static str {
        "sqlite"
    }
}
