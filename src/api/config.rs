//! `[api]`: the management API's settings (documented in config/dce.toml).

use serde::{Deserialize, Deserializer};
use std::fmt;
use std::time::Duration;

/// The `[api]` section.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// HS256 signing key; `None`: generated once and kept in the database.
    pub jwt_secret: Option<JwtSecret>,
    /// Lifetime of an access token.
    #[serde(with = "humantime_serde")]
    pub access_token_ttl: Duration,
    /// Lifetime of a refresh token.
    #[serde(with = "humantime_serde")]
    pub refresh_token_ttl: Duration,
    /// Largest request body accepted (413 past it).
    pub max_body_bytes: usize,
    /// Requests per second per user or API key (0: no limit).
    pub rate_limit_per_second: u32,
    /// Requests allowed at once above the rate.
    pub rate_limit_burst: u32,
    /// Origins allowed by CORS; empty: none. `DCE_API_CORS_ORIGINS` is a
    /// comma-separated list.
    #[serde(deserialize_with = "list_or_csv")]
    pub cors_origins: Vec<String>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            jwt_secret: None,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            max_body_bytes: 1024 * 1024,
            rate_limit_per_second: 20,
            rate_limit_burst: 40,
            cors_origins: Vec::new(),
        }
    }
}

impl ApiConfig {
    /// Refuses settings that would make the API unsafe or unusable.
    pub fn validate(&self) -> anyhow::Result<()> {
        if let Some(s) = &self.jwt_secret {
            if s.0.len() < 32 {
                anyhow::bail!("api.jwt_secret must be at least 32 characters");
            }
        }
        if self.access_token_ttl.is_zero() || self.refresh_token_ttl.is_zero() {
            anyhow::bail!("api.access_token_ttl and api.refresh_token_ttl must be positive");
        }
        if self.rate_limit_per_second > 0 && self.rate_limit_burst == 0 {
            anyhow::bail!("api.rate_limit_burst must be at least 1");
        }
        for o in &self.cors_origins {
            if axum::http::HeaderValue::from_str(o).is_err() {
                anyhow::bail!("api.cors_origins: {o:?} is not a valid origin");
            }
        }
        Ok(())
    }
}

/// The JWT signing key: printed as `***` in `Debug`.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct JwtSecret(pub String);

impl fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A TOML list, or (from the environment) one comma-separated string.
fn list_or_csv<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        List(Vec<String>),
        Csv(String),
    }
    Ok(match Either::deserialize(d)? {
        Either::List(l) => l,
        Either::Csv(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn environment_sets_the_api_section_and_the_secret_stays_hidden() {
        let c = Config::load(
            None,
            env(&[
                (
                    "DCE_API_JWT_SECRET",
                    "a-very-long-secret-of-more-than-32-chars",
                ),
                (
                    "DCE_API_CORS_ORIGINS",
                    "https://a.example, https://b.example",
                ),
                ("DCE_API_ACCESS_TOKEN_TTL", "5m"),
                ("DCE_API_RATE_LIMIT_PER_SECOND", "3"),
            ]),
        )
        .unwrap();
        assert_eq!(
            c.api.cors_origins,
            vec!["https://a.example", "https://b.example"]
        );
        assert_eq!(c.api.access_token_ttl.as_secs(), 300);
        assert_eq!(c.api.rate_limit_per_second, 3);
        assert!(!format!("{c:?}").contains("a-very-long-secret"));
    }

    #[test]
    fn a_short_secret_is_refused() {
        assert!(Config::load(None, env(&[("DCE_API_JWT_SECRET", "short")])).is_err());
    }
}
