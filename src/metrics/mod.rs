//! Prometheus metrics: `GET /metrics`.
//!
//! One [`Metrics`] per process, shared as an `Arc`, built once with every
//! family registered; nothing is registered later. Where values come from:
//! - the switch records into [`SwitchStats`] as messages, decisions and
//!   outcomes pass (atomics reached by index, lock-free histograms: no lock
//!   and no allocation per SIP message);
//! - scrape-time collectors read the switch's totals, the media engine's
//!   counters (`SwitchStats::watch_media`) and the health sources
//!   ([`Metrics::watch_health`]: database ping, spool, counters, market);
//! - [`http_layer`] times every API request by route template.
//!
//! Every metric, its meaning and the alert that reads it: docs/operations.md.
//!
//! Layout: `histogram` (lock-free duration histogram), `labeled` (counters
//! by one indexed label), `sip` (messages by method and code), `collect`
//! (scrape-time values), `http` (the endpoint and the API layer), `text`
//! (OpenMetrics to the Prometheus text format).

mod collect;
mod histogram;
mod http;
mod labeled;
mod sip;
mod text;

pub use collect::Health;
pub use histogram::{AtomicHistogram, DECISION_BUCKETS, HTTP_BUCKETS, INVITE_DELAY_BUCKETS};
pub use http::{http_layer, serve_metrics};
pub use labeled::LabeledCounters;
pub use sip::SipCounters;

use crate::switch::SwitchStats;
use collect::{HealthCollector, HealthState, SwitchCollector};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

/// How long a scrape waits for the database to answer its ping.
const DATABASE_PING: Duration = Duration::from_millis(500);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    route: String,
    method: &'static str,
    status: &'static str,
}

type HttpFamily = Family<HttpLabels, AtomicHistogram, fn() -> AtomicHistogram>;

fn http_histogram() -> AtomicHistogram {
    AtomicHistogram::new(HTTP_BUCKETS)
}

/// The process's metrics registry and what feeds it.
pub struct Metrics {
    registry: Registry,
    http: HttpFamily,
    health: Arc<HealthState>,
}

impl Metrics {
    /// Registers every family, the switch's from `switch`.
    pub fn new(switch: Arc<SwitchStats>) -> Arc<Metrics> {
        let mut r = Registry::default();
        let s = &switch;
        // Help texts without their final period: the registry adds it.
        r.register(
            "dce_sip_requests_received",
            "SIP requests received, by method (extension methods as other)",
            s.sip.received.requests.clone(),
        );
        r.register(
            "dce_sip_requests_sent",
            "SIP requests sent, by method (retransmissions included)",
            s.sip.sent.requests.clone(),
        );
        r.register(
            "dce_sip_responses_received",
            "SIP responses received, by status code",
            s.sip.received.responses.clone(),
        );
        r.register(
            "dce_sip_responses_sent",
            "SIP responses sent, by status code (retransmissions included)",
            s.sip.sent.responses.clone(),
        );
        r.register(
            "dce_sip_malformed_received",
            "SIP messages received that did not parse",
            s.sip_malformed.clone(),
        );
        r.register(
            "dce_calls_ended",
            "Calls ended, by cause",
            s.ended_by_cause.clone(),
        );
        r.register(
            "dce_calls_failed",
            "Calls ended without a buyer answering, by cause",
            s.failed_by_cause.clone(),
        );
        r.register(
            "dce_calls_blocked",
            "Calls refused as a whole by compliance or fraud, by the auction's reason",
            s.blocked.clone(),
        );
        r.register(
            "dce_decision_exclusions",
            "Targets excluded from a call's ranking, by the auction's reason",
            s.exclusions.clone(),
        );
        r.register_with_unit(
            "dce_invite_delay",
            "From a new INVITE received to the first INVITE sent to a buyer",
            Unit::Seconds,
            s.invite_delay_seconds.clone(),
        );
        r.register_with_unit(
            "dce_decision_duration",
            "A call's routing: caller history, RTB bids, the auction",
            Unit::Seconds,
            s.decision_seconds.clone(),
        );
        let http: HttpFamily = Family::new_with_constructor(http_histogram);
        r.register_with_unit(
            "dce_http_request_duration",
            "HTTP requests, by route template, method and status class",
            Unit::Seconds,
            http.clone(),
        );
        r.register_collector(Box::new(SwitchCollector(switch)));
        let health = Arc::new(HealthState::default());
        r.register_collector(Box::new(HealthCollector(health.clone())));
        Arc::new(Metrics {
            registry: r,
            http,
            health,
        })
    }

    /// Tells `/metrics` what to report the health of. Set once.
    pub fn watch_health(&self, health: Health) {
        let _ = self.health.sources.set(health);
    }

    /// Refreshes what a scrape cannot read synchronously: pings the
    /// database (at most [`DATABASE_PING`]).
    pub async fn refresh(&self) {
        let Some(h) = self.health.sources.get() else {
            return;
        };
        let up = matches!(
            tokio::time::timeout(DATABASE_PING, h.store.market_version()).await,
            Ok(Ok(_))
        );
        self.health.database_up.store(up, Relaxed);
    }

    /// Every metric in the Prometheus text format (0.0.4).
    pub fn render(&self) -> String {
        text::to_prometheus(&self.render_openmetrics())
    }

    /// Every metric in the OpenMetrics text format.
    pub fn render_openmetrics(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    fn observe_http(
        &self,
        route: &str,
        method: &'static str,
        status: &'static str,
        took: Duration,
    ) {
        let labels = HttpLabels {
            route: route.to_owned(),
            method,
            status,
        };
        self.http.get_or_create(&labels).observe(took);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use axum::Router;
    use std::sync::atomic::Ordering;
    use tower_service::Service;

    #[test]
    fn a_fresh_switch_renders_its_totals_and_no_empty_family() {
        let stats = Arc::new(SwitchStats::default());
        stats.arrived.store(2, Ordering::Relaxed);
        let m = Metrics::new(stats.clone());
        let text = m.render();
        assert!(
            text.contains("# TYPE dce_calls_arrived_total counter\n"),
            "{text}"
        );
        assert!(text.contains("dce_calls_arrived_total 2\n"), "{text}");
        assert!(text.contains("dce_calls_active 2\n"), "{text}");
        assert!(text.contains("dce_rtp_dropped_packets_total{reason=\"unlatched\"} 0\n"));
        assert!(
            text.contains("dce_invite_delay_seconds_count 0\n"),
            "{text}"
        );
        assert!(
            !text.contains("dce_sip_requests_received"),
            "empty until counted"
        );
        assert!(!text.contains("# EOF") && !text.contains("# UNIT"));
        assert!(m.render_openmetrics().ends_with("# EOF\n"));
    }

    #[tokio::test]
    async fn a_watched_media_engine_is_read_at_scrape_time() {
        let stats = Arc::new(SwitchStats::default());
        let m = Metrics::new(stats.clone());
        let (engine, _events) = dce_media::MediaEngine::new(
            dce_media::MediaConfig {
                bind: [127, 0, 0, 1].into(),
                ports: 47_100..=47_199,
                ..dce_media::MediaConfig::default()
            },
            8,
        );
        stats.watch_media(engine.clone());
        engine
            .allocate_session(dce_media::CallId::from("1"))
            .unwrap();
        let text = m.render();
        assert!(text.contains("dce_media_sessions_active 1\n"), "{text}");
    }

    #[tokio::test]
    async fn the_layer_labels_a_request_by_its_route_template() {
        let m = Metrics::new(Arc::new(SwitchStats::default()));
        let mut app: Router = Router::new()
            .route("/api/v1/calls/{id}", get(|| async { "call" }))
            .layer(http_layer(m.clone()));
        for path in ["/api/v1/calls/42", "/api/v1/calls/43", "/nowhere"] {
            std::future::poll_fn(|cx| Service::<axum::extract::Request>::poll_ready(&mut app, cx))
                .await
                .unwrap();
            let request = axum::extract::Request::get(path)
                .body(Body::empty())
                .unwrap();
            app.call(request).await.unwrap();
        }
        let text = m.render();
        let calls = "dce_http_request_duration_seconds_count{route=\"/api/v1/calls/{id}\",method=\"GET\",status=\"2xx\"} 2\n";
        assert!(text.contains(calls), "{text}");
        assert!(!text.contains("/api/v1/calls/42"), "{text}");
    }
}
