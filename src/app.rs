//! Building the switch from its configuration and running it until shutdown.

use crate::config::{Config, CountersBackend};
use crate::switch::SwitchStats;
use anyhow::Context;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use dce_marketplace::compliance::Lists;
use dce_marketplace::counters::{Counters, LiveRegistry, LocalCounters, RedisCounters};
use dce_marketplace::store::Store;
use dce_marketplace::{Market, MarketHandle};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long callers are remembered for velocity and duplicate checks: the
/// longest window in use, at least a day.
const MIN_CALLER_RETENTION: Duration = Duration::from_secs(24 * 3600);

pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::open(&config.database.url.0)
        .await
        .context("opening the database")
}

/// Builds a market snapshot from the store.
pub async fn load_market(
    store: &Store,
    config: &Config,
) -> anyhow::Result<(Market, Arc<LiveRegistry>)> {
    let registry = Arc::new(LiveRegistry::default());
    let lists = Arc::new(store.load_lists().await?);
    let data = store.load_market().await?;
    Ok((
        Market::build(data, lists, &registry, config.fraud.policy()),
        registry,
    ))
}

fn caller_retention(config: &Config, market: &Market) -> Duration {
    market
        .campaigns()
        .iter()
        .filter_map(|c| c.campaign.dedupe_window)
        .chain([config.fraud.velocity_window, MIN_CALLER_RETENTION])
        .max()
        .unwrap_or(MIN_CALLER_RETENTION)
}

/// The configured counters; Redis unreachable at start means local
/// counters (degraded), with a warning.
pub async fn counters(config: &Config, market: &Market) -> Arc<dyn Counters> {
    let retention = caller_retention(config, market);
    match config.counters.backend {
        CountersBackend::Local => Arc::new(LocalCounters::new(retention)),
        CountersBackend::Redis => {
            match RedisCounters::connect(
                &config.counters.redis_url.0,
                &config.counters.key_prefix,
                retention,
            )
            .await
            {
                Ok(c) => Arc::new(c),
                Err(e) => {
                    tracing::warn!(error = %e, "redis unreachable at start; counters are local to this node");
                    Arc::new(LocalCounters::new(retention))
                }
            }
        }
    }
}

#[derive(Clone)]
struct Shared {
    store: Store,
    market: Arc<MarketHandle>,
    counters: Arc<dyn Counters>,
    /// The RTP relay; `None` when `[media] enabled = false`.
    media: Option<dce_media::MediaEngine>,
}

pub async fn serve(config: Config) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    // Management API: the first admin from the environment (src/api).
    crate::api::bootstrap_admin(
        &store,
        std::env::var("DCE_BOOTSTRAP_ADMIN_EMAIL").ok(),
        std::env::var("DCE_BOOTSTRAP_ADMIN_PASSWORD").ok(),
    )
    .await?;
    if let Some(file) = &config.market.file {
        let code = crate::cli::import(&config, file, false).await?;
        if code != std::process::ExitCode::SUCCESS {
            anyhow::bail!("market file {} was refused", file.display());
        }
    }
    let (market, registry) = load_market(&store, &config).await?;
    tracing::info!(
        version = market.version(),
        campaigns = market.campaigns().len(),
        "market loaded"
    );
    let counters = counters(&config, &market).await;
    let market = Arc::new(MarketHandle::new(market, registry));
    let (media, media_events) = start_media(&config)?;
    let shared = Shared {
        store: store.clone(),
        market: market.clone(),
        counters,
        media,
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let reloader = tokio::spawn(reload_market(
        shared.clone(),
        config.clone(),
        stop_rx.clone(),
    ));

    let ledger = open_ledger(&config, &store).await?;
    let replayer = tokio::spawn(replay_spool(ledger.clone(), stop_rx.clone()));
    let spool = ledger.spool.clone();
    let (switch, stats, observers) =
        start_switch(&config, &shared, ledger, media_events, stop_rx.clone()).await?;
    let metrics = crate::metrics::Metrics::new(stats.clone());
    metrics.watch_health(crate::metrics::Health {
        store: store.clone(),
        spool: spool.clone(),
        counters: shared.counters.clone(),
        market: shared.market.clone(),
    });
    if let Some(engine) = &shared.media {
        stats.watch_media(engine.clone());
    }

    let api = crate::api::ApiState::new(store.clone(), market.clone(), &config.api)
        .await?
        .with_observers(observers.clone());
    let app = Router::new()
        .route("/health/live", get(|| async { "ok" }))
        .route("/health/ready", get(ready))
        .route("/stats/switch", get(switch_stats))
        .route("/metrics", get(crate::metrics::serve_metrics))
        .with_state(shared.clone())
        // The management API, /openapi.json and /docs (src/api).
        .merge(crate::api::router(api))
        .layer(axum::Extension(stats))
        .layer(axum::Extension(spool))
        .layer(axum::Extension(observers))
        .layer(axum::Extension(metrics.clone()))
        // Last, so it times every route above.
        .layer(crate::metrics::http_layer(metrics));
    let listener = tokio::net::TcpListener::bind(config.http.listen)
        .await
        .with_context(|| format!("cannot listen on {} (http.listen)", config.http.listen))?;
    tracing::info!(http = %config.http.listen, "dce is up");
    let mut stop = stop_rx.clone();
    let http = tokio::spawn(async move {
        let shutdown = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "http server failed");
        }
    });

    shutdown_signal().await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    let _ = switch.await;
    let _ = tokio::join!(http, reloader, replayer);
    store.close().await;
    Ok(())
}

/// Binds the SIP transports and starts call control.
async fn start_switch(
    config: &Config,
    shared: &Shared,
    ledger: crate::switch::Ledger,
    media_events: Option<tokio::sync::mpsc::Receiver<dce_media::MediaEvent>>,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<(
    tokio::task::JoinHandle<()>,
    Arc<SwitchStats>,
    crate::observe::Observers,
)> {
    let sip = &config.sip;
    let (tx, rx) = tokio::sync::mpsc::channel(sip.inbound_queue);
    let tls = match (sip.tls_listen, &sip.tls_cert, &sip.tls_key) {
        (Some(listen), Some(cert), Some(key)) => Some(dce_sip::TlsListen {
            listen,
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    let transports = dce_sip::Transports::bind(
        dce_sip::TransportConfig {
            listen: sip.listen,
            tls,
            max_message: sip.max_message,
            inbound_queue: sip.inbound_queue,
            max_connections: sip.max_connections,
            ..dce_sip::TransportConfig::default()
        },
        tx,
    )
    .await
    .with_context(|| format!("cannot listen for SIP on {} (sip.listen)", sip.listen))?;
    tracing::info!(sip = %transports.local_addr(), tls = ?transports.tls_local_addr(), "SIP listening");
    let mut core = crate::switch::SwitchCore::new(
        crate::switch::CoreConfig {
            local: transports.local_addr(),
            local_tls: transports.tls_local_addr(),
            max_call_duration: sip.max_call_duration,
            timers: Default::default(),
            epoch: (
                std::time::Instant::now(),
                chrono::Utc::now().timestamp_millis(),
            ),
        },
        shared.market.clone(),
    );
    if let Some(engine) = &shared.media {
        core.set_media(engine.clone());
    }
    // Traces and live events, for the API.
    let observers = crate::observe::Observers::new(sip.trace_calls, sip.trace_messages);
    core.set_observers(observers.traces.clone(), observers.events.clone());
    let ledger = crate::switch::Ledger {
        events: observers.events.clone(),
        ..ledger
    };
    let stats = Arc::new(SwitchStats::default());
    let driver = crate::switch::Driver {
        core,
        transports,
        inbound: rx,
        inbound_capacity: sip.inbound_queue,
        services: Arc::new(crate::switch::Services {
            counters: shared.counters.clone(),
            rtb: dce_marketplace::auction::RtbClient::new(),
            ledger: Some(ledger),
            media: shared.media.clone(),
        }),
        media_events,
        stats: stats.clone(),
        stop,
        drain: sip.drain_timeout,
    };
    Ok((tokio::spawn(driver.run()), stats, observers))
}

/// The RTP relay, when enabled, and the receiver of its events (media
/// timeouts) for call control.
#[allow(clippy::type_complexity)]
fn start_media(
    config: &Config,
) -> anyhow::Result<(
    Option<dce_media::MediaEngine>,
    Option<tokio::sync::mpsc::Receiver<dce_media::MediaEvent>>,
)> {
    if !config.media.enabled {
        tracing::info!("media relay disabled: signalling only");
        return Ok((None, None));
    }
    let engine_config = config.media.engine_config()?;
    tracing::info!(
        bind = %engine_config.bind,
        advertise = %engine_config.advertise,
        ports = ?engine_config.ports,
        "media relay ready"
    );
    let (engine, events) = dce_media::MediaEngine::new(engine_config, 4096);
    Ok((Some(engine), Some(events)))
}

/// Billing's two destinations, and the calls a crash left open: replayed
/// from the spool, then closed at their last sign of life (cause
/// `switch_restart`) and rated, before any new call is taken.
async fn open_ledger(config: &Config, store: &Store) -> anyhow::Result<crate::switch::Ledger> {
    let spool =
        dce_marketplace::store::Spool::open(&config.billing.spool, config.billing.spool_max_bytes)
            .with_context(|| {
                format!(
                    "cannot open the CDR spool {}",
                    config.billing.spool.display()
                )
            })?;
    let ledger = crate::switch::Ledger::new(store.clone(), Arc::new(spool));
    match ledger.spool.replay(store).await {
        Ok(r) if r.rated + r.already_closed > 0 => {
            tracing::info!(
                rated = r.rated,
                already = r.already_closed,
                "spooled CDRs replayed"
            )
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "spool not replayed yet"),
    }
    match store.recover_open_cdrs().await {
        Ok(closed) if !closed.is_empty() => {
            tracing::warn!(
                calls = closed.len(),
                "calls left open by a stop were closed and rated"
            )
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "open CDRs not recovered yet"),
    }
    Ok(ledger)
}

/// Replays spooled CDRs every few seconds, so they arrive soon after the
/// database returns.
async fn replay_spool(ledger: crate::switch::Ledger, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        if ledger.spool.stats().bytes == 0 {
            continue;
        }
        match ledger.spool.replay(&ledger.store).await {
            Ok(r) => tracing::info!(
                rated = r.rated,
                already = r.already_closed,
                left = r.remaining_bytes,
                "spool replayed"
            ),
            Err(e) => tracing::debug!(error = %e, "spool replay waits for the database"),
        }
    }
}

/// Call counts and INVITE-in to INVITE-out delay since start (the load
/// script reads it; the Prometheus metrics will carry the same).
async fn switch_stats(
    axum::Extension(stats): axum::Extension<Arc<SwitchStats>>,
) -> Json<serde_json::Value> {
    Json(stats.to_json())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Polls the store's change counters and swaps in a rebuilt snapshot when
/// they move; the number lists (large) are reloaded only when theirs does.
async fn reload_market(shared: Shared, config: Config, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(config.market.reload_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut lists_version = shared.store.lists_version().await.unwrap_or(-1);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let current = shared.market.load_full();
        let (Ok(mv), Ok(lv)) = (
            shared.store.market_version().await,
            shared.store.lists_version().await,
        ) else {
            tracing::warn!("cannot read the market version; keeping the current snapshot");
            continue;
        };
        if mv == current.version() && lv == lists_version {
            continue;
        }
        let lists: Arc<Lists> = if lv != lists_version {
            match shared.store.load_lists().await {
                Ok(l) => Arc::new(l),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot reload number lists");
                    continue;
                }
            }
        } else {
            current.lists_arc()
        };
        match shared.store.load_market().await {
            Ok(data) => {
                let market =
                    Market::build(data, lists, shared.market.registry(), config.fraud.policy());
                tracing::info!(version = market.version(), "market reloaded");
                shared.market.store(market);
                lists_version = lv;
            }
            Err(e) => tracing::warn!(error = %e, "cannot reload the market"),
        }
    }
}

async fn ready(
    State(shared): State<Shared>,
    axum::Extension(spool): axum::Extension<Arc<dce_marketplace::store::Spool>>,
) -> (StatusCode, Json<serde_json::Value>) {
    let database = shared.store.market_version().await.is_ok();
    let counters = shared.counters.status();
    let body = serde_json::json!({
        "database": if database { "ok" } else { "unreachable" },
        "counters": { "backend": counters.backend, "degraded": counters.degraded },
        "market_version": shared.market.load().version(),
        // CDRs waiting for the database: bytes > 0 means billing is behind.
        "spool": {
            "bytes": spool.stats().bytes,
            "spooled": spool.stats().spooled,
            "replayed": spool.stats().replayed,
        },
    });
    let status = if database {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}
