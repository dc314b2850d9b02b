//! The store: SQLite (embedded default) or PostgreSQL, chosen by URL.
//!
//! One implementation over sqlx's `Any` driver: the SQL is written once
//! in the dialect both databases share (`$n` parameters, `ON CONFLICT`,
//! `RETURNING`, BIGINT money and times), and each database has its own
//! migration folder for the DDL where they differ. Nothing here is on the
//! call path: the switch decides from the in-memory snapshot.
//!
//! Billing lives here too: CDRs (`open_cdr` at answer, `close_cdr` at
//! hangup, which rates the call and posts it in the same transaction), the
//! ledger (`top_up`, `adjust`, `balances`, `ledger_check`), and the
//! [`Spool`] that keeps ended calls on local disk while the database is away.

mod cdr_row;
mod cdrs;
mod check;
mod import;
mod ledger;
mod lists;
mod load;
pub mod market_write;
mod spool;

pub use cdr_row::StoredCdr;
pub use cdrs::Closed;
pub use check::{BalanceCache, BalanceMismatch, LedgerReport, UnbalancedTransaction};
pub use import::{ImportError, ImportSummary};
pub use ledger::{top_up_in, Balance, BillingError};
pub use spool::{ReplayReport, Spool, SpoolError, SpoolStats};

use sqlx::any::{AnyPoolOptions, AnyQueryResult};
use sqlx::AnyPool;
use std::fmt;
use std::time::Duration;

/// Which database a store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no supported database (`sqlite://…` or `postgres://…`).
    #[error("unsupported database URL (use sqlite://FILE or postgres://…)")]
    Url,
    /// The database could not be reached or opened.
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
    /// A stored value does not read back as its type (hand-edited rows).
    #[error("stored {what} is invalid: {detail}")]
    Corrupt {
        /// Which value.
        what: String,
        /// What is wrong with it.
        detail: String,
    },
}

/// A connection pool to the market's database.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the URL: it may hold a password.
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish()
    }
}

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

impl Store {
    /// Connects, creating an SQLite file if it does not exist, and applies
    /// pending migrations.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without migrating.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if url.starts_with("sqlite:") {
            let url = if url.contains("mode=") {
                url.to_string()
            } else if url.contains('?') {
                format!("{url}&mode=rwc")
            } else {
                format!("{url}?mode=rwc")
            };
            (Backend::Sqlite, url)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(StoreError::Url);
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 10 })
            .acquire_timeout(Duration::from_secs(10))
            .connect(&url)
            .await
            .map_err(StoreError::Connect)?;
        if backend == Backend::Sqlite {
            // WAL lets readers (snapshot rebuilds, reports) run beside a writer.
            sqlx::query("PRAGMA journal_mode=WAL")
                .execute(&pool)
                .await
                .map_err(StoreError::Connect)?;
        }
        Ok(Store { pool, backend })
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => SQLITE.run(&self.pool).await?,
            Backend::Postgres => POSTGRES.run(&self.pool).await?,
        }
        Ok(())
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for code outside this crate that keeps its own
    /// tables in the same database (the management API's accounts, users,
    /// keys and audit log). Write SQL that both databases accept, as here.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The market's change counter: it moves whenever sellers, buyers,
    /// campaigns or targets change, or a buyer's balance does, so a node knows to rebuild its snapshot.
    pub async fn market_version(&self) -> Result<i64, StoreError> {
        self.counter("market").await
    }

    /// The number lists' change counter.
    pub async fn lists_version(&self) -> Result<i64, StoreError> {
        self.counter("lists").await
    }

    async fn counter(&self, name: &str) -> Result<i64, StoreError> {
        let v: (i64,) = sqlx::query_as("SELECT version FROM change_counters WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(v.0)
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

async fn bump<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    executor: E,
    name: &str,
) -> Result<AnyQueryResult, sqlx::Error> {
    sqlx::query("UPDATE change_counters SET version = version + 1 WHERE name = $1")
        .bind(name)
        .execute(executor)
        .await
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
