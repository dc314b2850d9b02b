//! The real PostgreSQL of `DATABASE_URL`, a schema per test.

/// `DATABASE_URL`, or `None` (said) outside CI; under `CI=true` it must be set.
pub fn database_url() -> Option<String> {
    match std::env::var("DATABASE_URL") {
        Ok(u) if u.starts_with("postgres") => Some(u),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "DATABASE_URL must be set under CI"
            );
            eprintln!(
                "skipped: DATABASE_URL is not set, so the PostgreSQL part of this test did not run"
            );
            None
        }
    }
}

/// Creates a schema of its own in the test database; returns its name.
pub fn fresh_schema(url: &str) -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let schema = format!("dce_e2e_{}_{millis}", std::process::id());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let pool = sqlx::PgPool::connect(url).await.expect("DATABASE_URL");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    schema
}

/// `url` with its search path set to a fresh schema.
pub fn fresh_database(url: &str) -> String {
    let schema = fresh_schema(url);
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}

/// The databases an end-to-end test runs on: SQLite always (`None`: the
/// scratch directory's file), PostgreSQL when `DATABASE_URL` is set.
pub fn backends() -> Vec<Option<String>> {
    let mut b = vec![None];
    if let Some(url) = database_url() {
        b.push(Some(fresh_database(&url)));
    }
    b
}
