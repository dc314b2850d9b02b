//! The HTTP side of metrics: `GET /metrics`, and a layer that times every
//! API request by its route template (`/api/v1/calls/{id}`, never the raw
//! path, so ids cannot grow the label set), method and status class.

use super::Metrics;
use axum::extract::{MatchedPath, Request};
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;
use tower_layer::Layer;
use tower_service::Service;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics`: OpenMetrics when the scraper asks for it (Prometheus
/// does), the Prometheus text format otherwise. Pings the database first
/// (bounded by a short timeout), so `dce_database_up` is current.
pub async fn serve_metrics(
    Extension(metrics): Extension<Arc<Metrics>>,
    headers: HeaderMap,
) -> Response {
    metrics.refresh().await;
    let openmetrics = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/openmetrics-text"));
    if openmetrics {
        ([(CONTENT_TYPE, OPENMETRICS)], metrics.render_openmetrics()).into_response()
    } else {
        ([(CONTENT_TYPE, PROMETHEUS_TEXT)], metrics.render()).into_response()
    }
}

/// Times the requests of the routes it wraps (`dce_http_request_duration_seconds`).
/// Add it with `Router::layer` after every route, so each is matched first.
pub fn http_layer(metrics: Arc<Metrics>) -> HttpLayer {
    HttpLayer { metrics }
}

/// See [`http_layer`].
#[derive(Clone)]
pub struct HttpLayer {
    metrics: Arc<Metrics>,
}

impl<S> Layer<S> for HttpLayer {
    type Service = HttpService<S>;

    fn layer(&self, inner: S) -> HttpService<S> {
        HttpService {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// A service timed by [`HttpLayer`].
#[derive(Clone)]
pub struct HttpService<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

impl<S> Service<Request> for HttpService<S>
where
    S: Service<Request, Response = Response> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let started = Instant::now();
        let method = method_label(request.method());
        let route = request.extensions().get::<MatchedPath>().cloned();
        let metrics = self.metrics.clone();
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            let route = route.as_ref().map_or("unmatched", |r| r.as_str());
            metrics.observe_http(
                route,
                method,
                status_class(response.status()),
                started.elapsed(),
            );
            Ok(response)
        })
    }
}

/// The method as a label: the usual ones by name, anything else `other`.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_class(s: StatusCode) -> &'static str {
    match s.as_u16() / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
        assert_eq!(status_class(StatusCode::NOT_FOUND), "4xx");
        assert_eq!(status_class(StatusCode::SERVICE_UNAVAILABLE), "5xx");
        assert_eq!(status_class(StatusCode::SWITCHING_PROTOCOLS), "1xx");
    }
}
