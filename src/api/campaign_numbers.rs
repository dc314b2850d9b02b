//! `/campaigns/{id}/numbers`: the dialed numbers that reach a campaign.
//! An admin or the campaign's seller adds and removes them; a number
//! belongs to one campaign at most (`409` otherwise). Strict E.164.

use super::audit::AuditEvent;
use super::campaigns::{campaign, visible};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::market;
use super::page::{Page, PageParams};
use super::role::Caller;
use super::ApiState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dce_marketplace::domain::PhoneNumber;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_numbers, add_number))
        .routes(routes!(remove_number))
}

/// A number to add to a campaign.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNumber {
    /// E.164, `"+18005550100"`.
    pub number: String,
}

/// A dialed number of a campaign.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CampaignNumber {
    /// E.164.
    pub number: String,
    /// Its campaign.
    pub campaign_id: i64,
}

/// Adds a number to campaign `id`; 400 naming `field` unless E.164, 409
/// when a campaign has it.
pub(super) async fn insert_number(
    conn: &mut AnyConnection,
    id: i64,
    field: &str,
    text: &str,
) -> Result<PhoneNumber, ApiError> {
    let n = market::phone(field, text)?;
    let claimed = sqlx::query(
        "INSERT INTO campaign_numbers (number, campaign_id) VALUES ($1, $2) ON CONFLICT (number) DO NOTHING",
    )
    .bind(n.as_u64() as i64)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    if claimed == 0 {
        return Err(ApiError::conflict(
            field,
            format!("{n} already belongs to a campaign"),
        ));
    }
    Ok(n)
}

/// A campaign's numbers, in numeric order.
#[utoipa::path(
    get,
    path = "/campaigns/{id}/numbers",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id"), PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of numbers", body = Page<CampaignNumber>),
        (status = 400, description = "Invalid limit or cursor", body = ErrorBody),
        (status = 404, description = "No such campaign, or another tenant's", body = ErrorBody),
    )
)]
async fn list_numbers(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<Page<CampaignNumber>>, ApiError> {
    visible(&mut *api.store.pool().acquire().await?, &caller, id).await?;
    let limit = page.limit()?;
    let after: i64 = page.after()?.unwrap_or(0);
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT number FROM campaign_numbers WHERE campaign_id = $1 AND number > $2 ORDER BY number LIMIT $3",
    )
    .bind(id)
    .bind(after)
    .bind(limit + 1)
    .fetch_all(api.store.pool())
    .await?;
    let page = Page::from_rows(rows, limit, |r| r.0);
    Ok(Json(Page {
        items: page
            .items
            .into_iter()
            .filter_map(|(n,)| PhoneNumber::from_u64(n as u64))
            .map(|n| CampaignNumber {
                number: n.to_string(),
                campaign_id: id,
            })
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Adds a number to a campaign (admin, or its seller).
#[utoipa::path(
    post,
    path = "/campaigns/{id}/numbers",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    request_body = NewNumber,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added", body = CampaignNumber),
        (status = 400, description = "Not an E.164 number (field `number`)", body = ErrorBody),
        (status = 404, description = "No such campaign, or another tenant's", body = ErrorBody),
        (status = 409, description = "The number belongs to a campaign", body = ErrorBody),
    )
)]
async fn add_number(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<NewNumber>,
) -> Result<(StatusCode, Json<CampaignNumber>), ApiError> {
    let mut tx = market::begin_write(&api).await?;
    let before = visible(&mut tx, &caller, id).await?;
    let n = insert_number(&mut tx, id, "number", &req.number).await?;
    let after = campaign(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("campaign.number_add", "campaign", id)
                .before(&before)
                .after(&after),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CampaignNumber {
            number: n.to_string(),
            campaign_id: id,
        }),
    ))
}

/// Removes a number from a campaign (admin, or its seller): calls to it
/// are refused from then on.
#[utoipa::path(
    delete,
    path = "/campaigns/{id}/numbers/{number}",
    tag = "campaigns",
    params(
        ("id" = i64, Path, description = "Campaign id"),
        ("number" = String, Path, description = "E.164, `+18005550100`"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "Not an E.164 number (field `number`)", body = ErrorBody),
        (status = 404, description = "No such campaign or number, or another tenant's", body = ErrorBody),
    )
)]
async fn remove_number(
    State(api): State<ApiState>,
    caller: Caller,
    Path((id, number)): Path<(i64, String)>,
) -> Result<StatusCode, ApiError> {
    let mut tx = market::begin_write(&api).await?;
    let before = visible(&mut tx, &caller, id).await?;
    let n = market::phone("number", &number)?;
    let removed =
        sqlx::query("DELETE FROM campaign_numbers WHERE number = $1 AND campaign_id = $2")
            .bind(n.as_u64() as i64)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if removed == 0 {
        return Err(ApiError::NotFound);
    }
    let after = campaign(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("campaign.number_remove", "campaign", id)
                .before(&before)
                .after(&after),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
