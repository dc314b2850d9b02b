//! Real PostgreSQL and Redis for tests, from `DATABASE_URL` / `REDIS_URL`.
//! Without them a test says it is skipped and why; under `CI=true` a
//! missing service fails the test instead.

use dce_marketplace::store::Store;
use std::sync::atomic::{AtomicU32, Ordering};

fn service(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{var} must point at {what} under CI");
            }
            eprintln!("skipped: {var} is not set, so the {what} part of this test did not run");
            None
        }
    }
}

pub fn database_url() -> Option<String> {
    service("DATABASE_URL", "PostgreSQL")
}

pub fn redis_url() -> Option<String> {
    service("REDIS_URL", "Redis")
}

/// A unique name for this test's keys or schema.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A migrated PostgreSQL store in a schema of its own (tests run in parallel).
pub async fn postgres_store() -> Option<Store> {
    postgres_store_and_url().await.map(|(store, _)| store)
}

/// [`postgres_store`], and the URL that reaches its schema (for raw SQL).
pub async fn postgres_store_and_url() -> Option<(Store, String)> {
    let url = service("DATABASE_URL", "PostgreSQL")?;
    let schema = unique("dce_test");
    let pool = sqlx::PgPool::connect(&url)
        .await
        .expect("connect to DATABASE_URL");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&pool)
        .await
        .expect("create schema");
    pool.close().await;
    let sep = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let store = Store::open(&url).await.expect("open postgres store");
    Some((store, url))
}

/// A migrated SQLite store in a fresh file.
pub async fn sqlite_store() -> (Store, tempfile::TempDir) {
    let (store, dir, _) = sqlite_store_and_url().await;
    (store, dir)
}

/// [`sqlite_store`], and the file's URL (for raw SQL).
pub async fn sqlite_store_and_url() -> (Store, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("dce.db").display());
    let store = Store::open(&url).await.expect("open sqlite store");
    (store, dir, url)
}
