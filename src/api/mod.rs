//! The management API: `/api/v1/…` (JSON), `/openapi.json` and `/docs`.
//!
//! Layout: one file per resource (`auth`, `accounts`, `users`, `keys`,
//! `audit`), each exposing `routes() -> OpenApiRouter<ApiState>` whose
//! handlers carry `#[utoipa::path]` (paths relative to `/api/v1`);
//! [`router`] merges them, so the OpenAPI document is built from the same
//! list that routes requests. The shared pieces:
//!
//! - [`error::ApiError`]: the one error type and its HTTP mapping;
//! - [`extract::ApiJson`], [`extract::ApiQuery`]: bodies and query strings;
//! - [`role::Caller`], [`role::Role`]: authentication and tenancy;
//! - [`page`]: cursor pagination; [`audit`]: the audit log;
//! - [`store`]: the API's own tables.
//!
//! docs/api.md is the developer guide: adding a resource, the error shape,
//! roles and tenancy, getting a token.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod bids;
pub mod buyers;
pub mod calls;
pub mod campaign_numbers;
pub mod campaigns;
mod config;
pub mod credentials;
pub mod error;
pub mod events;
pub mod extract;
pub mod keys;
pub mod ledger;
pub mod limit;
pub mod lists;
mod market;
pub mod openapi;
pub mod page;
pub mod reports;
pub mod role;
pub mod sellers;
pub mod store;
pub mod targets;
pub mod token;
pub mod users;

pub use config::ApiConfig;

use audit::{Actor, AuditLog};
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use dce_marketplace::store::Store;
use dce_marketplace::MarketHandle;
use error::ApiError;
use limit::RateLimiter;
use std::sync::Arc;
use token::TokenKeys;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// What every handler can reach. Cheap to clone (handles and `Arc`s).
///
/// To give handlers something new (an event bus, a metrics registry), add
/// a field here and set it in [`ApiState::new`], or with a `with_…`
/// builder method when it is made elsewhere in `app.rs`.
#[derive(Clone)]
pub struct ApiState {
    /// The database (its pool: `store.pool()`).
    pub store: Store,
    /// The live market snapshot, swapped when the store's data changes.
    pub market: Arc<MarketHandle>,
    /// Signs and checks access tokens.
    pub tokens: Arc<TokenKeys>,
    /// Writes audit records.
    pub audit: AuditLog,
    /// Per-caller request budgets.
    pub limiter: Arc<RateLimiter>,
    /// `[api]`.
    pub config: Arc<ApiConfig>,
    /// SIP traces and live events of the running switch (`with_observers`);
    /// empty ones until the switch hands its own.
    pub observers: crate::observe::Observers,
}

impl ApiState {
    /// The state for `config`, reading (or creating) the shared JWT secret.
    pub async fn new(
        store: Store,
        market: Arc<MarketHandle>,
        config: &ApiConfig,
    ) -> anyhow::Result<ApiState> {
        let secret =
            token::signing_secret(&store, config.jwt_secret.as_ref().map(|s| s.0.as_str())).await?;
        tokio::task::spawn_blocking(credentials::warm_up).await?;
        Ok(ApiState {
            store,
            market,
            tokens: Arc::new(TokenKeys::new(&secret, config.access_token_ttl)),
            audit: AuditLog::default(),
            limiter: Arc::new(RateLimiter::new(
                config.rate_limit_per_second,
                config.rate_limit_burst,
            )),
            config: Arc::new(config.clone()),
            observers: crate::observe::Observers::new(1, 1),
        })
    }

    /// With the switch's traces and live events (`/calls/{id}/trace`, `/events`).
    pub fn with_observers(mut self, observers: crate::observe::Observers) -> ApiState {
        self.observers = observers;
        self
    }
}

/// Every resource's routes, relative to `/api/v1`. A new resource module
/// adds its `routes()` here.
fn v1() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .merge(auth::routes())
        .merge(accounts::routes())
        .merge(users::routes())
        .merge(keys::routes())
        .merge(audit::routes())
        .merge(calls::routes())
        .merge(ledger::routes())
        .merge(reports::routes())
        .merge(events::routes())
        .merge(sellers::routes())
        .merge(buyers::routes())
        .merge(campaigns::routes())
        .merge(campaign_numbers::routes())
        .merge(targets::routes())
        .merge(bids::routes())
        .merge(lists::routes())
}

/// The API, `/openapi.json` and `/docs`, ready to merge beside the health
/// routes.
pub fn router(state: ApiState) -> Router {
    let (api, mut spec) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .nest("/api/v1", v1())
        .split_for_parts();
    openapi::add_shared_errors(&mut spec);
    let max_body = state.config.max_body_bytes;
    let cors = cors(&state.config.cors_origins);
    let mut api = api
        // Unknown paths under /api answer in the API's error shape.
        .route("/api/{*rest}", any(|| async { ApiError::NotFound }))
        .with_state(state)
        .layer(axum::middleware::map_response(shape_errors))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    if let Some(cors) = cors {
        api = api.layer(cors);
    }
    api.merge(openapi::routes(spec))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
}

/// Rejections made by axum itself (a path segment that is not a number, a
/// wrong method) come as plain text: give them the API's error shape, so
/// every failure a client sees is `{"error": {…}}` as the spec says.
async fn shape_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let text = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let error = match status {
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::NOT_FOUND => ApiError::NotFound,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType("application/json"),
        s if s.is_client_error() => ApiError::Invalid {
            // axum's path and query rejections: "Invalid URL: Cannot parse …".
            field: text.starts_with("Invalid URL").then(|| "path".to_string()),
            message: if text.is_empty() {
                "invalid request".into()
            } else {
                text
            },
        },
        _ => ApiError::Internal(text.into()),
    };
    let mut shaped = error.into_response();
    if let Some(allow) = allow {
        shaped.headers_mut().insert(header::ALLOW, allow);
    }
    shaped
}

fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .expose_headers([
                header::RETRY_AFTER,
                HeaderName::from_static("www-authenticate"),
            ])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

/// On `dce serve` start: creates the first admin from
/// `DCE_BOOTSTRAP_ADMIN_EMAIL` and `DCE_BOOTSTRAP_ADMIN_PASSWORD`, only
/// while no enabled admin user exists (afterwards the variables are ignored).
pub async fn bootstrap_admin(
    store: &Store,
    email: Option<String>,
    password: Option<String>,
) -> anyhow::Result<()> {
    let (Some(email), Some(password)) = (email, password) else {
        return Ok(());
    };
    if store::admin_user_exists(store.pool()).await? {
        tracing::info!("an admin exists; DCE_BOOTSTRAP_ADMIN_* ignored");
        return Ok(());
    }
    match users::create_with_role(store, &email, password, role::Role::Admin, &Actor::SYSTEM).await
    {
        Ok(user) => {
            tracing::info!(user = user.id, "bootstrap admin created");
            Ok(())
        }
        Err(e) => anyhow::bail!("DCE_BOOTSTRAP_ADMIN_*: {}", describe(&e)),
    }
}

/// An error as one line for the command line: the message and its field.
pub fn describe(e: &ApiError) -> String {
    match e {
        ApiError::Invalid {
            field: Some(f),
            message,
        }
        | ApiError::Conflict {
            field: Some(f),
            message,
        } => format!("{f}: {message}"),
        ApiError::Internal(inner) => format!("internal error: {inner}"),
        e => e.to_string(),
    }
}
