//! `/lists/{list}/entries`: the number lists calls are screened against
//! (`dnc`, `litigator`, `suppression`, `blocklist`). Compliance is the
//! house's: admins only (`403` for buyers and sellers).
//!
//! Single numbers are strict E.164 (`+12125551234`). A CSV upload
//! (`text/csv`) reads like `dce dnc import`: the number in the first
//! column, a header line and `#` comments skipped, North American numbers
//! accepted without `+1`. Any bad line refuses the whole upload (400
//! naming the first bad line, every bad line listed in the message),
//! unless `skip_invalid=true`, which adds the good lines and reports the
//! bad ones. The switch reloads the lists within one reload interval.

use super::audit::AuditEvent;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::market;
use super::page::{Page, PageParams};
use super::role::Caller;
use super::ApiState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::Json;
use dce_marketplace::domain::{ListKind, PhoneNumber};
use dce_marketplace::store::market_write;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_entries, add_entry))
        .routes(routes!(get_entry, remove_entry))
        .routes(routes!(import_entries))
}

/// A number on a list.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ListEntry {
    /// `dnc`, `litigator`, `suppression` or `blocklist`.
    pub list: String,
    /// E.164.
    pub number: String,
    /// When it was added, Unix milliseconds.
    pub added_at: i64,
}

/// A number to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEntry {
    /// E.164, `"+12125551234"`.
    pub number: String,
}

/// One line of a CSV upload that is not a number.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RejectedLine {
    /// 1-based line number.
    pub line: usize,
    /// Why.
    pub message: String,
}

/// What a CSV upload did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ImportReport {
    /// The list.
    pub list: String,
    /// Numbers read.
    pub read: usize,
    /// Of those, how many were not on the list before.
    pub added: u64,
    /// Lines skipped (only with `skip_invalid=true`; else the upload fails).
    pub rejected: Vec<RejectedLine>,
}

/// Options of a CSV upload.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportOptions {
    /// Add the good lines and report the bad ones, instead of refusing
    /// the upload.
    pub skip_invalid: Option<bool>,
}

fn kind(list: &str) -> Result<ListKind, ApiError> {
    // An unknown list is a path that does not exist.
    ListKind::parse(list).ok_or(ApiError::NotFound)
}

fn entry(kind: ListKind, number: i64, added_at: i64) -> ListEntry {
    ListEntry {
        list: kind.as_str().to_string(),
        number: PhoneNumber::from_u64(number as u64)
            .map(|n| n.to_string())
            .unwrap_or_else(|| number.to_string()),
        added_at,
    }
}

async fn stored(
    api: &ApiState,
    kind: ListKind,
    n: PhoneNumber,
) -> Result<Option<ListEntry>, ApiError> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT number, added_at FROM number_lists WHERE list = $1 AND number = $2")
            .bind(kind.as_str())
            .bind(n.as_u64() as i64)
            .fetch_optional(api.store.pool())
            .await?;
    Ok(row.map(|(n, at)| entry(kind, n, at)))
}

/// A CSV body: `text/csv` (else 415), UTF-8 (else 400).
pub struct Csv(pub String);

impl<S: Send + Sync> FromRequest<S> for Csv {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_csv = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv"));
        if !is_csv {
            return Err(ApiError::UnsupportedMediaType("text/csv"));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge
            } else {
                ApiError::invalid("body", "the body could not be read")
            }
        })?;
        String::from_utf8(bytes.to_vec())
            .map(Csv)
            .map_err(|_| ApiError::invalid("body", "not UTF-8 text"))
    }
}

/// Numbers of a CSV (first column), and the lines that are not numbers.
/// The same rules as `dce dnc import`.
fn read_csv(text: &str) -> (Vec<u64>, Vec<RejectedLine>) {
    let mut numbers = Vec::new();
    let mut rejected = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let field = line
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if field.is_empty() || field.starts_with('#') {
            continue;
        }
        match PhoneNumber::normalize(field) {
            Ok(n) => numbers.push(n.as_u64()),
            // A first line that is not a number is a header.
            Err(_) if i == 0 => {}
            Err(e) => rejected.push(RejectedLine {
                line: i + 1,
                message: format!("{field:?}: {e}"),
            }),
        }
    }
    (numbers, rejected)
}

/// A list's numbers, in numeric order (admin).
#[utoipa::path(
    get,
    path = "/lists/{list}/entries",
    tag = "lists",
    params(("list" = String, Path, description = "dnc, litigator, suppression or blocklist"), PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of entries", body = Page<ListEntry>),
        (status = 400, description = "Invalid limit or cursor", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such list", body = ErrorBody),
    )
)]
async fn list_entries(
    State(api): State<ApiState>,
    caller: Caller,
    Path(list): Path<String>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<Page<ListEntry>>, ApiError> {
    caller.require_admin()?;
    let kind = kind(&list)?;
    let limit = page.limit()?;
    let after: i64 = page.after()?.unwrap_or(0);
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT number, added_at FROM number_lists WHERE list = $1 AND number > $2 ORDER BY number LIMIT $3",
    )
    .bind(kind.as_str())
    .bind(after)
    .bind(limit + 1)
    .fetch_all(api.store.pool())
    .await?;
    let page = Page::from_rows(rows, limit, |r| r.0);
    Ok(Json(Page {
        items: page
            .items
            .into_iter()
            .map(|(n, at)| entry(kind, n, at))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Adds a number to a list (admin).
#[utoipa::path(
    post,
    path = "/lists/{list}/entries",
    tag = "lists",
    params(("list" = String, Path, description = "dnc, litigator, suppression or blocklist")),
    request_body = NewEntry,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added", body = ListEntry),
        (status = 400, description = "Not an E.164 number (field `number`)", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such list", body = ErrorBody),
        (status = 409, description = "Already on the list", body = ErrorBody),
    )
)]
async fn add_entry(
    State(api): State<ApiState>,
    caller: Caller,
    Path(list): Path<String>,
    ApiJson(req): ApiJson<NewEntry>,
) -> Result<(StatusCode, Json<ListEntry>), ApiError> {
    caller.require_admin()?;
    let kind = kind(&list)?;
    let n = market::phone("number", &req.number)?;
    let mut tx = api.store.pool().begin().await?;
    if market_write::add_list_numbers(&mut tx, kind, &[n.as_u64()]).await? == 0 {
        return Err(ApiError::conflict("number", "already on the list"));
    }
    market_write::bump_lists(&mut tx).await?;
    let after = ListEntry {
        list: kind.as_str().to_string(),
        number: n.to_string(),
        added_at: chrono::Utc::now().timestamp_millis(),
    };
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("list.add", "list_entry", format!("{}:{n}", kind.as_str()))
                .after(&after),
        )
        .await?;
    let stored = stored(&api, kind, n).await?.unwrap_or(after);
    Ok((StatusCode::CREATED, Json(stored)))
}

/// One entry, to ask whether a number is on a list (admin).
#[utoipa::path(
    get,
    path = "/lists/{list}/entries/{number}",
    tag = "lists",
    params(
        ("list" = String, Path, description = "dnc, litigator, suppression or blocklist"),
        ("number" = String, Path, description = "E.164, `+12125551234`"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "On the list", body = ListEntry),
        (status = 400, description = "Not an E.164 number (field `number`)", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "Not on the list, or no such list", body = ErrorBody),
    )
)]
async fn get_entry(
    State(api): State<ApiState>,
    caller: Caller,
    Path((list, num)): Path<(String, String)>,
) -> Result<Json<ListEntry>, ApiError> {
    caller.require_admin()?;
    let kind = kind(&list)?;
    let n = market::phone("number", &num)?;
    stored(&api, kind, n)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// Removes a number from a list (admin).
#[utoipa::path(
    delete,
    path = "/lists/{list}/entries/{number}",
    tag = "lists",
    params(
        ("list" = String, Path, description = "dnc, litigator, suppression or blocklist"),
        ("number" = String, Path, description = "E.164, `+12125551234`"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "Not an E.164 number (field `number`)", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "Not on the list, or no such list", body = ErrorBody),
    )
)]
async fn remove_entry(
    State(api): State<ApiState>,
    caller: Caller,
    Path((list, num)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let kind = kind(&list)?;
    let n = market::phone("number", &num)?;
    let before = stored(&api, kind, n).await?.ok_or(ApiError::NotFound)?;
    let mut tx = api.store.pool().begin().await?;
    if !market_write::remove_list_number(&mut tx, kind, n.as_u64()).await? {
        return Err(ApiError::NotFound);
    }
    market_write::bump_lists(&mut tx).await?;
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new(
                "list.remove",
                "list_entry",
                format!("{}:{n}", kind.as_str()),
            )
            .before(&before),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds the numbers of a CSV file to a list (admin). A bad line refuses the
/// upload (400, `field` names the first bad line: `line 7`) unless
/// `skip_invalid=true`.
#[utoipa::path(
    post,
    path = "/lists/{list}/entries/import",
    tag = "lists",
    params(("list" = String, Path, description = "dnc, litigator, suppression or blocklist"), ImportOptions),
    request_body(content = String, content_type = "text/csv", description = "A number per line in the first column; a header line and # comments are skipped"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Imported", body = ImportReport),
        (status = 400, description = "A line is not a phone number (field `line N`)", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such list", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not text/csv", body = ErrorBody),
    )
)]
async fn import_entries(
    State(api): State<ApiState>,
    caller: Caller,
    Path(list): Path<String>,
    ApiQuery(options): ApiQuery<ImportOptions>,
    Csv(text): Csv,
) -> Result<Json<ImportReport>, ApiError> {
    caller.require_admin()?;
    let kind = kind(&list)?;
    let (numbers, rejected) = read_csv(&text);
    if let Some(first) = rejected.first() {
        if !options.skip_invalid.unwrap_or(false) {
            let lines: Vec<String> = rejected
                .iter()
                .take(20)
                .map(|r| format!("line {}: {}", r.line, r.message))
                .collect();
            let more = if rejected.len() > 20 { "; …" } else { "" };
            return Err(ApiError::Invalid {
                field: Some(format!("line {}", first.line)),
                message: format!(
                    "{} lines are not phone numbers, nothing was added ({}{more})",
                    rejected.len(),
                    lines.join("; ")
                ),
            });
        }
    }
    let mut tx = api.store.pool().begin().await?;
    let added = market_write::add_list_numbers(&mut tx, kind, &numbers).await?;
    market_write::bump_lists(&mut tx).await?;
    let report = ImportReport {
        list: kind.as_str().to_string(),
        read: numbers.len(),
        added,
        rejected,
    };
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("list.import", "list", kind.as_str()).after(&report),
        )
        .await?;
    Ok(Json(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_reads_like_the_cli_and_names_bad_lines() {
        let csv = "phone,name\n+12125551234,a\n(310) 555-0000,b\n# note\n\nnot-a-number\n";
        let (numbers, rejected) = read_csv(csv);
        assert_eq!(numbers, vec![12125551234, 13105550000]);
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].line, 6);
        assert!(rejected[0].message.contains("not-a-number"));
    }
}
