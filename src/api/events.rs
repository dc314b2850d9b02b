//! `/events`: the live call events over a WebSocket (arrived, decided,
//! ringing, answered, ended, rated), each as the connected caller may see
//! it (`observe::LiveEvent::view_for`), as JSON text frames in order.
//!
//! Authenticated like every endpoint: `Authorization: Bearer …` (an access
//! token or an API key). Browsers cannot set headers on a WebSocket, so
//! `?access_token=…` is accepted too when the header is absent. A client
//! that falls behind is closed (1008), never waited for.

use super::error::{ApiError, ErrorBody};
use super::role::{Caller, Role};
use super::ApiState;
use crate::observe::{serve_socket, Scope};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// The query a browser authenticates with.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// An access token or API key, for clients that cannot send the
    /// `Authorization` header (browsers); ignored when the header is sent.
    pub access_token: Option<String>,
}

/// A [`Caller`] authenticated by the header or, without one, by `?access_token=`.
pub struct SocketCaller(pub Caller);

impl FromRequestParts<ApiState> for SocketCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            let token = axum::extract::Query::<EventsQuery>::try_from_uri(&parts.uri)
                .ok()
                .and_then(|q| q.0.access_token);
            if let Some(token) = token {
                let value = HeaderValue::from_str(&format!("Bearer {token}"))
                    .map_err(|_| ApiError::Unauthenticated("malformed access_token"))?;
                parts.headers.insert(header::AUTHORIZATION, value);
            }
        }
        Caller::from_request_parts(parts, state)
            .await
            .map(SocketCaller)
    }
}

/// What a role sees of the bus.
pub fn scope(role: Role) -> Scope {
    match role {
        Role::Admin => Scope::Admin,
        Role::Buyer(b) => Scope::Buyer(b),
        Role::Seller(s) => Scope::Seller(s),
    }
}

/// The live events WebSocket (`101 Switching Protocols`): JSON text
/// frames `{call_id, at, kind, seller_id, campaign_id, buyer_id,
/// target_id, details}`, scoped to the caller.
#[utoipa::path(
    get,
    path = "/events",
    tag = "events",
    params(EventsQuery),
    security(("bearer" = [])),
    responses(
        (status = 101, description = "Upgraded: events follow as text frames"),
        (status = 400, description = "Not a WebSocket upgrade request", body = ErrorBody),
    )
)]
async fn events(
    State(api): State<ApiState>,
    SocketCaller(caller): SocketCaller,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let ws = ws.map_err(|r| ApiError::Invalid {
        field: None,
        message: format!("expected a WebSocket upgrade: {}", r.body_text()),
    })?;
    let bus = api.observers.events.clone();
    let scope = scope(caller.role);
    tracing::debug!(?scope, "live events client connected");
    Ok(ws.on_upgrade(move |socket| serve_socket(socket, bus, scope)))
}
