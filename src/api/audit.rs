//! The audit log: who changed what, when, and the object before and after.
//!
//! Every state-changing handler calls [`AuditLog::record`] on the
//! transaction that makes the change, so the record commits with it (or
//! not at all). Never put secrets in `before`/`after`: record the public
//! view of an object (the types handlers answer with).

use super::error::{ApiError, ErrorBody};
use super::extract::ApiQuery;
use super::page::{Page, PageParams};
use super::role::Caller;
use super::ApiState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Who did it; all `None` for the system (CLI, bootstrap).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Actor {
    /// The account acted for.
    pub account_id: Option<i64>,
    /// The user, if a person.
    pub user_id: Option<i64>,
    /// The API key, if a machine client.
    pub api_key_id: Option<i64>,
}

impl Actor {
    /// DCE itself: the command line or the bootstrap at start.
    pub const SYSTEM: Actor = Actor {
        account_id: None,
        user_id: None,
        api_key_id: None,
    };
}

/// One change.
#[derive(Debug)]
pub struct AuditEvent {
    /// What was done, `object.verb`: `user.create`, `api_key.revoke`.
    pub action: &'static str,
    /// The kind of object: `user`, `account`, `api_key`.
    pub object_type: &'static str,
    /// Its id.
    pub object_id: Option<String>,
    /// The object before (absent for a creation).
    pub before: Option<serde_json::Value>,
    /// The object after (absent for a deletion).
    pub after: Option<serde_json::Value>,
}

impl AuditEvent {
    /// An event about `object_type` `id` with no before/after yet.
    pub fn new(action: &'static str, object_type: &'static str, id: impl ToString) -> AuditEvent {
        AuditEvent {
            action,
            object_type,
            object_id: Some(id.to_string()),
            before: None,
            after: None,
        }
    }

    /// With the object as it was.
    pub fn before(mut self, v: &impl Serialize) -> AuditEvent {
        self.before = serde_json::to_value(v).ok();
        self
    }

    /// With the object as it is now.
    pub fn after(mut self, v: &impl Serialize) -> AuditEvent {
        self.after = serde_json::to_value(v).ok();
        self
    }
}

/// Writes audit records.
#[derive(Clone, Debug, Default)]
pub struct AuditLog {
    _private: (),
}

impl AuditLog {
    /// Records `event` by `actor` on `conn`, inside the caller's transaction.
    pub async fn record(
        &self,
        conn: &mut AnyConnection,
        actor: &Actor,
        event: AuditEvent,
    ) -> Result<(), ApiError> {
        sqlx::query(
            "INSERT INTO audit_log (at, account_id, user_id, api_key_id, action, object_type, object_id, before_json, after_json)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(chrono::Utc::now().timestamp_millis())
        .bind(actor.account_id)
        .bind(actor.user_id)
        .bind(actor.api_key_id)
        .bind(event.action)
        .bind(event.object_type)
        .bind(event.object_id)
        .bind(event.before.map(|v| v.to_string()))
        .bind(event.after.map(|v| v.to_string()))
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Records `event` in `tx` and commits: the change and its record
    /// land together or not at all.
    pub async fn commit(
        &self,
        mut tx: sqlx::Transaction<'_, sqlx::Any>,
        actor: &Actor,
        event: AuditEvent,
    ) -> Result<(), ApiError> {
        self.record(&mut tx, actor, event).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// One audit record.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRecord {
    /// Its id; newer records have larger ids.
    pub id: i64,
    /// When, Unix milliseconds.
    pub at: i64,
    /// The acting account (absent: the system).
    pub account_id: Option<i64>,
    /// The acting user.
    pub user_id: Option<i64>,
    /// The acting API key.
    pub api_key_id: Option<i64>,
    /// `object.verb`.
    pub action: String,
    /// The kind of object.
    pub object_type: String,
    /// Its id.
    pub object_id: Option<String>,
    /// The object before.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The object after.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

/// Filters of the audit list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Only records about this kind of object.
    pub object_type: Option<String>,
    /// Only records about this object id (with `object_type`).
    pub object_id: Option<String>,
}

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

type Row = (
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The audit log, newest first (admin).
#[utoipa::path(
    get,
    path = "/audit",
    tag = "audit",
    params(PageParams, AuditFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of records, newest first", body = Page<AuditRecord>),
        (status = 400, description = "Invalid limit or cursor", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    )
)]
async fn list_audit(
    State(api): State<ApiState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(filter): ApiQuery<AuditFilter>,
) -> Result<Json<Page<AuditRecord>>, ApiError> {
    caller.require_admin()?;
    let limit = page.limit()?;
    let before: i64 = page.after()?.unwrap_or(i64::MAX);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, at, account_id, user_id, api_key_id, action, object_type, object_id, before_json, after_json
         FROM audit_log
         WHERE id < $1 AND ($2 IS NULL OR object_type = $2) AND ($3 IS NULL OR object_id = $3)
         ORDER BY id DESC LIMIT $4",
    )
    .bind(before)
    .bind(filter.object_type)
    .bind(filter.object_id)
    .bind(limit + 1)
    .fetch_all(api.store.pool())
    .await?;
    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    let records = rows
        .into_iter()
        .map(|r| AuditRecord {
            id: r.0,
            at: r.1,
            account_id: r.2,
            user_id: r.3,
            api_key_id: r.4,
            action: r.5,
            object_type: r.6,
            object_id: r.7,
            before: parse(r.8),
            after: parse(r.9),
        })
        .collect();
    Ok(Json(Page::from_rows(records, limit, |r| r.id)))
}
