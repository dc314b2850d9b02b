//! The OpenAPI document, generated from the handlers' `#[utoipa::path]`
//! attributes as their routers are merged (see `super::router`), and the
//! interactive docs page.

use super::error::{ErrorBody, ErrorDetail};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as Spec;
use utoipa::{Modify, OpenApi};
use utoipa_scalar::{Scalar, Servable};

/// The document's fixed parts: info, the bearer scheme, shared schemas and
/// tags. Paths come from the routers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "DCE management API",
        description = "Accounts, market, calls and money of the Dependable Call Exchange. \
            Authenticate with `POST /api/v1/auth/login` and send `Authorization: Bearer <access_token>`, \
            or send an API key (`dce_…`) the same way. Every error is \
            `{\"error\": {\"code\", \"message\", \"field\"}}`."
    ),
    modifiers(&BearerAuth),
    components(schemas(ErrorBody, ErrorDetail)),
    tags(
        (name = "auth", description = "Login, token refresh, logout"),
        (name = "accounts", description = "Admin, buyer and seller accounts"),
        (name = "users", description = "People who log in"),
        (name = "api-keys", description = "Keys for machine clients"),
        (name = "audit", description = "Who changed what"),
        (name = "calls", description = "Call records, their decisions and SIP traces"),
        (name = "ledger", description = "Balances, postings and top-ups"),
        (name = "reports", description = "Calls and money by day"),
        (name = "events", description = "Live call events (WebSocket)"),
        (name = "sellers", description = "Publishers and their trunks"),
        (name = "buyers", description = "Call centers (balances read-only)"),
        (name = "campaigns", description = "Campaigns, their numbers and payouts"),
        (name = "targets", description = "Buyers' destinations, bids, caps and schedules"),
        (name = "lists", description = "DNC, litigator, suppression and blocklist numbers"),
    )
)]
pub struct ApiDoc;

/// Adds the `bearer` security scheme (access token or API key).
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut Spec) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT access token, or an API key dce_…")
                    .build(),
            ),
        );
    }
}

/// Documents, on every operation, the errors any request may meet before
/// or beside its handler: the auth layer (401, 403), the rate limiter
/// (429), path and query parsing (400, 404), body checks (413, 415, for
/// operations with a body) and the catch-all 500. Handlers document the
/// statuses their own logic returns; this keeps the spec complete (every
/// response the API can send is in it) without repeating the shared ones
/// in every `#[utoipa::path]`.
pub(super) fn add_shared_errors(spec: &mut Spec) {
    use utoipa::openapi::content::ContentBuilder;
    use utoipa::openapi::header::HeaderBuilder;
    use utoipa::openapi::response::ResponseBuilder;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::Ref;

    let error = |description: &str, retry_after: bool| {
        let mut r = ResponseBuilder::new().description(description).content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        );
        if retry_after {
            r = r.header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(ObjectBuilder::new().schema_type(Type::Integer))
                    .description(Some("Seconds to wait before retrying"))
                    .build(),
            );
        }
        r.build()
    };
    for item in spec.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in operations.into_iter().flatten() {
            let mut shared = vec![
                (
                    "400",
                    "Invalid path or query parameter (the field is named)",
                    false,
                ),
                ("401", "Missing, invalid or expired credentials", false),
                ("403", "The caller's role may not use this operation", false),
                (
                    "404",
                    "No such object, or it belongs to another tenant",
                    false,
                ),
                ("429", "Over the caller's request rate", true),
                (
                    "500",
                    "Internal error (details are logged, never shown)",
                    false,
                ),
            ];
            if op.request_body.is_some() {
                shared.push(("413", "Body larger than api.max_body_bytes", false));
                shared.push(("415", "Body is not of the documented content type", false));
            }
            for (code, description, retry_after) in shared {
                op.responses
                    .responses
                    .entry(code.to_string())
                    .or_insert_with(|| error(description, retry_after).into());
            }
        }
    }
}

/// `GET /openapi.json` and `GET /docs` (Scalar; the page loads its script
/// from a CDN in the browser, nothing is fetched at build time).
pub(super) fn routes(spec: Spec) -> Router {
    let json = spec.to_json().unwrap_or_else(|_| "{}".into());
    Router::new()
        .route(
            "/openapi.json",
            get(move || {
                let json = json.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], json).into_response() }
            }),
        )
        .merge(Scalar::with_url("/docs", spec))
}
