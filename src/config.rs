//! Typed configuration: defaults, then `dce.toml`, then `DCE_*` variables,
//! then command-line flags. Secrets never reach a log: `Debug` redacts them.

use anyhow::{bail, Context};
use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The whole configuration.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub database: Database,
    pub sip: Sip,
    pub http: Http,
    pub market: MarketConfig,
    pub counters: CountersConfig,
    pub fraud: Fraud,
    pub billing: Billing,
    pub media: MediaSection,
    pub log: Log,
    /// `[api]`: the management API (see docs/api.md).
    pub api: crate::api::ApiConfig,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Billing {
    pub spool: PathBuf,
    pub spool_max_bytes: u64,
}

impl Default for Billing {
    fn default() -> Self {
        Billing {
            spool: PathBuf::from("dce-cdr.spool"),
            spool_max_bytes: 256 * 1024 * 1024,
        }
    }
}

/// `[media]`: the RTP relay that anchors calls' media.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MediaSection {
    /// `false`: signalling only for every campaign.
    pub enabled: bool,
    /// Address the relay sockets bind to.
    pub bind: std::net::IpAddr,
    /// Address written into rewritten SDP (the public one behind 1:1 NAT).
    pub advertise: std::net::IpAddr,
    /// UDP port range, `FIRST-LAST`: RTP on even ports, RTCP on odd.
    pub ports: PortRange,
    /// Most concurrent media sessions.
    pub max_sessions: usize,
    /// Silence from a party that ends a connected call.
    #[serde(with = "humantime_serde")]
    pub inactivity_timeout: Duration,
    /// The same while the call is on hold; absent: no timeout on hold.
    #[serde(with = "humantime_serde")]
    pub hold_timeout: Option<Duration>,
    /// Symmetric RTP latching: `any_once` (first source latches, another
    /// may take over only after `relatch_after` of silence) or `strict`
    /// (only a source with the SDP's IP, any port).
    pub latch: String,
    /// Silence after which another source may latch.
    #[serde(with = "humantime_serde")]
    pub relatch_after: Duration,
}

impl Default for MediaSection {
    fn default() -> Self {
        let session = dce_media::SessionConfig::default();
        MediaSection {
            enabled: true,
            bind: [127, 0, 0, 1].into(),
            advertise: [127, 0, 0, 1].into(),
            ports: PortRange(20_000, 29_999),
            max_sessions: 4_000,
            inactivity_timeout: session.inactivity,
            hold_timeout: session.hold_inactivity,
            latch: "any_once".into(),
            relatch_after: session.relatch_after,
        }
    }
}

/// A UDP port range written `FIRST-LAST`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRange(pub u16, pub u16);

impl std::str::FromStr for PortRange {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| format!("{s:?} is not FIRST-LAST"))?;
        let parse = |v: &str| {
            v.trim()
                .parse::<u16>()
                .map_err(|_| format!("{v:?} is not a port"))
        };
        let (a, b) = (parse(a)?, parse(b)?);
        if a < 1024 || b < a.saturating_add(3) {
            return Err(format!(
                "{s:?}: want FIRST >= 1024 and room for at least one call (4 ports)"
            ));
        }
        Ok(PortRange(a, b))
    }
}

impl<'de> Deserialize<'de> for PortRange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl MediaSection {
    /// The engine's settings.
    pub fn engine_config(&self) -> anyhow::Result<dce_media::MediaConfig> {
        let latch = match self.latch.as_str() {
            "any_once" => dce_media::Latch::AnyOnce,
            "strict" => dce_media::Latch::Strict,
            other => bail!("media.latch: {other:?} is not one of any_once, strict"),
        };
        Ok(dce_media::MediaConfig {
            bind: self.bind,
            advertise: self.advertise,
            ports: self.ports.0..=self.ports.1,
            max_sessions: self.max_sessions,
            session: dce_media::SessionConfig {
                latch,
                relatch_after: self.relatch_after,
                inactivity: self.inactivity_timeout,
                hold_inactivity: self.hold_timeout,
            },
        })
    }
}

/// A value printed as `***` in `Debug`.
#[derive(Clone, Default, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

/// `scheme://user:password@host/…` with the password replaced.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Database {
    pub url: Secret,
}

impl Default for Database {
    fn default() -> Self {
        Database {
            url: Secret("sqlite://dce.db".into()),
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Sip {
    pub listen: SocketAddr,
    pub tls_listen: Option<SocketAddr>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    #[serde(with = "humantime_serde")]
    pub max_call_duration: Duration,
    #[serde(with = "humantime_serde")]
    pub drain_timeout: Duration,
    pub inbound_queue: usize,
    pub max_message: usize,
    pub max_connections: usize,
    /// SIP traces are kept for this many recent calls…
    pub trace_calls: usize,
    /// …of up to this many messages each.
    pub trace_messages: usize,
}

impl Default for Sip {
    fn default() -> Self {
        Sip {
            listen: ([127, 0, 0, 1], 5060).into(),
            tls_listen: None,
            tls_cert: None,
            tls_key: None,
            max_call_duration: Duration::from_secs(4 * 3600),
            drain_timeout: Duration::from_secs(30),
            inbound_queue: 4096,
            max_message: 65_536,
            max_connections: 10_000,
            trace_calls: 10_000,
            trace_messages: 256,
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Http {
    pub listen: SocketAddr,
}

impl Default for Http {
    fn default() -> Self {
        Http {
            listen: ([127, 0, 0, 1], 8080).into(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MarketConfig {
    pub file: Option<PathBuf>,
    #[serde(with = "humantime_serde")]
    pub reload_interval: Duration,
}

impl Default for MarketConfig {
    fn default() -> Self {
        MarketConfig {
            file: None,
            reload_interval: Duration::from_millis(500),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CountersBackend {
    #[default]
    Local,
    Redis,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CountersConfig {
    pub backend: CountersBackend,
    pub redis_url: Secret,
    pub key_prefix: String,
}

impl Default for CountersConfig {
    fn default() -> Self {
        CountersConfig {
            backend: CountersBackend::Local,
            redis_url: Secret("redis://127.0.0.1:6379".into()),
            key_prefix: "dce".into(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Fraud {
    pub block_anonymous: bool,
    pub block_implausible: bool,
    pub max_calls_per_caller: u32,
    #[serde(with = "humantime_serde")]
    pub velocity_window: Duration,
}

impl Default for Fraud {
    fn default() -> Self {
        Fraud {
            block_anonymous: true,
            block_implausible: true,
            max_calls_per_caller: 10,
            velocity_window: Duration::from_secs(3600),
        }
    }
}

impl Fraud {
    pub fn policy(&self) -> dce_marketplace::fraud::FraudPolicy {
        dce_marketplace::fraud::FraudPolicy {
            block_anonymous: self.block_anonymous,
            block_implausible: self.block_implausible,
            max_calls_per_caller: (self.max_calls_per_caller > 0)
                .then_some(self.max_calls_per_caller),
            velocity_window: self.velocity_window,
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Log {
    pub level: String,
}

impl Default for Log {
    fn default() -> Self {
        Log {
            level: "info".into(),
        }
    }
}

const SECTIONS: [&str; 10] = [
    "database", "sip", "http", "market", "counters", "fraud", "billing", "media", "log", "api",
];

impl Config {
    /// Loads `path` (when given, it must exist; otherwise `config/dce.toml`
    /// is read if present) and applies `DCE_*` variables from `env`.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Config> {
        let text = match path {
            Some(p) => std::fs::read_to_string(p)
                .with_context(|| format!("cannot read config file {}", p.display()))?,
            None => std::fs::read_to_string("config/dce.toml").unwrap_or_default(),
        };
        let mut table: toml::Table = toml::from_str(&text).context("config file")?;
        for (name, value) in env {
            let Some(rest) = name.strip_prefix("DCE_") else {
                continue;
            };
            let rest = rest.to_ascii_lowercase();
            let Some(section) = SECTIONS.iter().find(|s| rest.starts_with(&format!("{s}_"))) else {
                continue;
            };
            let key = &rest[section.len() + 1..];
            if key.is_empty() {
                bail!("{name}: no setting named");
            }
            // A value that reads as TOML (a number, a boolean) keeps its
            // type; anything else is a string.
            let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
                .ok()
                .and_then(|mut t| t.remove("v"))
                .filter(|v| !v.is_table() && !v.is_array())
                .unwrap_or_else(|| toml::Value::String(value.clone()));
            table
                .entry(section.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                .as_table_mut()
                .with_context(|| format!("[{section}] must be a table"))?
                .insert(key.to_string(), parsed);
        }
        let config: Config = table
            .try_into()
            .context("invalid configuration (file or DCE_* variables)")?;
        if config.sip.tls_listen.is_some()
            && (config.sip.tls_cert.is_none() || config.sip.tls_key.is_none())
        {
            bail!("sip.tls_listen needs sip.tls_cert and sip.tls_key");
        }
        config.api.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_shipped_file_equals_the_defaults() {
        let shipped = Config::load(Some(Path::new("config/dce.toml")), []).unwrap();
        assert_eq!(shipped, Config::default());
    }

    #[test]
    fn environment_overrides_the_file_with_types() {
        let c = Config::load(
            Some(Path::new("config/dce.toml")),
            env(&[
                ("DCE_DATABASE_URL", "postgres://dce:hunter2@db/dce"),
                ("DCE_SIP_LISTEN", "0.0.0.0:5070"),
                ("DCE_FRAUD_MAX_CALLS_PER_CALLER", "3"),
                ("DCE_FRAUD_BLOCK_ANONYMOUS", "false"),
                ("DCE_COUNTERS_BACKEND", "redis"),
                ("DCE_MARKET_RELOAD_INTERVAL", "2s"),
                ("DCE_BILLING_SPOOL", "/var/spool/dce/cdr.spool"),
                ("DCE_BOOTSTRAP_ADMIN_EMAIL", "not ours"),
                ("PATH", "/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(c.database.url.0, "postgres://dce:hunter2@db/dce");
        assert_eq!(c.sip.listen, "0.0.0.0:5070".parse().unwrap());
        assert_eq!(c.fraud.max_calls_per_caller, 3);
        assert!(!c.fraud.block_anonymous);
        assert_eq!(c.counters.backend, CountersBackend::Redis);
        assert_eq!(c.market.reload_interval, Duration::from_secs(2));
        assert_eq!(c.billing.spool, PathBuf::from("/var/spool/dce/cdr.spool"));
    }

    #[test]
    fn typos_are_errors_not_silence() {
        assert!(Config::load(None, env(&[("DCE_SIP_LISTEM", "x")])).is_err());
        assert!(Config::load(None, env(&[("DCE_SIP_LISTEN", "not an address")])).is_err());
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let c = Config::load(
            None,
            env(&[("DCE_DATABASE_URL", "postgres://dce:hunter2@db/dce")]),
        )
        .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("postgres://dce:***@db/dce"));
    }
}
