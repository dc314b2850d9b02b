//! Values read at scrape time rather than recorded as they happen: the
//! switch's running totals, the media engine's counters, and the health
//! of what the switch depends on (database, spool, counters, market).

use crate::switch::SwitchStats;
use dce_marketplace::counters::Counters;
use dce_marketplace::store::{Spool, Store};
use dce_marketplace::MarketHandle;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};

/// What `/metrics` reports the health of.
#[derive(Clone)]
pub struct Health {
    /// The database (pinged at each scrape).
    pub store: Store,
    /// The CDR spool.
    pub spool: Arc<Spool>,
    /// The counters backend.
    pub counters: Arc<dyn Counters>,
    /// The market snapshot the switch routes on.
    pub market: Arc<MarketHandle>,
}

/// The health sources, once known, and the last database ping.
#[derive(Default)]
pub(super) struct HealthState {
    pub(super) sources: OnceLock<Health>,
    pub(super) database_up: AtomicBool,
}

fn counter(
    e: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    v: u64,
) -> fmt::Result {
    ConstCounter::new(v).encode(e.encode_descriptor(name, help, unit, MetricType::Counter)?)
}

fn gauge(e: &mut DescriptorEncoder, name: &str, help: &str, v: i64) -> fmt::Result {
    ConstGauge::new(v).encode(e.encode_descriptor(name, help, None, MetricType::Gauge)?)
}

/// The switch's totals and its media engine.
pub(super) struct SwitchCollector(pub(super) Arc<SwitchStats>);

impl fmt::Debug for SwitchCollector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SwitchCollector")
    }
}

impl Collector for SwitchCollector {
    fn encode(&self, mut e: DescriptorEncoder) -> fmt::Result {
        let s = &self.0;
        let load = |a: &std::sync::atomic::AtomicU64| a.load(Relaxed);
        counter(
            &mut e,
            "dce_calls_arrived",
            "INVITEs that reached a campaign and became calls.",
            None,
            load(&s.arrived),
        )?;
        counter(
            &mut e,
            "dce_calls_answered",
            "Calls a buyer answered.",
            None,
            load(&s.answered),
        )?;
        counter(
            &mut e,
            "dce_calls_shed",
            "New INVITEs refused with 503 because the switch was overloaded or draining.",
            None,
            load(&s.shed),
        )?;
        gauge(
            &mut e,
            "dce_calls_active",
            "Calls between arrival and end.",
            i64::try_from(s.active()).unwrap_or(i64::MAX),
        )?;
        // Zeros until call control has a media engine.
        let m = s.media_counters().unwrap_or_default();
        counter(
            &mut e,
            "dce_rtp_relayed_packets",
            "RTP/RTCP packets the relay forwarded.",
            None,
            m.relayed_packets,
        )?;
        counter(
            &mut e,
            "dce_rtp_steered_packets",
            "Packets received through port steering (one socket per relay worker; 0 when steering is off).",
            None,
            m.steered_packets,
        )?;
        counter(
            &mut e,
            "dce_rtp_relayed",
            "RTP/RTCP bytes the relay forwarded.",
            Some(&Unit::Bytes),
            m.relayed_bytes,
        )?;
        counter(
            &mut e,
            "dce_rtp_lost_packets",
            "Packets the receivers' sequence numbers say were lost (RFC 3550), summed over ended sessions.",
            None,
            m.lost,
        )?;
        let mut dropped = e.encode_descriptor(
            "dce_rtp_dropped_packets",
            "Packets the relay did not forward, by reason.",
            None,
            MetricType::Counter,
        )?;
        for (reason, v) in [
            ("not_rtp", m.dropped_not_rtp),
            ("unlatched", m.dropped_unlatched),
            ("no_destination", m.dropped_no_destination),
            ("no_session", m.dropped_no_session),
            ("send_error", m.send_errors),
        ] {
            ConstCounter::new(v).encode(dropped.encode_family(&[("reason", reason)])?)?;
        }
        counter(
            &mut e,
            "dce_media_events_dropped",
            "Media events (inactivity) dropped because call control did not drain them.",
            None,
            m.events_dropped,
        )?;
        gauge(
            &mut e,
            "dce_media_sessions_active",
            "Media relay sessions open now.",
            i64::try_from(m.sessions_active).unwrap_or(i64::MAX),
        )
    }
}

/// Database, spool, counters backend, market version.
pub(super) struct HealthCollector(pub(super) Arc<HealthState>);

impl fmt::Debug for HealthCollector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HealthCollector")
    }
}

impl Collector for HealthCollector {
    fn encode(&self, mut e: DescriptorEncoder) -> fmt::Result {
        let mut build = e.encode_descriptor(
            "dce_build_info",
            "The running build: always 1, its version as a label.",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(1)
            .encode(build.encode_family(&[("version", env!("CARGO_PKG_VERSION"))])?)?;
        let Some(h) = self.0.sources.get() else {
            return Ok(());
        };
        gauge(
            &mut e,
            "dce_database_up",
            "1 when the database answered the last scrape's ping (500 ms timeout), else 0.",
            i64::from(self.0.database_up.load(Relaxed)),
        )?;
        let spool = h.spool.stats();
        gauge(
            &mut e,
            "dce_spool_bytes",
            "Bytes of CDRs waiting in the spool for the database; above 0 means billing is behind.",
            i64::try_from(spool.bytes).unwrap_or(i64::MAX),
        )?;
        counter(
            &mut e,
            "dce_spool_spooled",
            "CDRs written to the spool because the database could not take them.",
            None,
            spool.spooled,
        )?;
        counter(
            &mut e,
            "dce_spool_replayed",
            "Spooled CDRs replayed into the database.",
            None,
            spool.replayed,
        )?;
        let status = h.counters.status();
        let mut degraded = e.encode_descriptor(
            "dce_counters_degraded",
            "1 when the shared counters (Redis) are away and limits are enforced per node.",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(i64::from(status.degraded))
            .encode(degraded.encode_family(&[("backend", status.backend)])?)?;
        gauge(
            &mut e,
            "dce_market_version",
            "Version of the market snapshot the switch routes on.",
            h.market.load().version(),
        )
    }
}
