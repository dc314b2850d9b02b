//! Real-time bidding: ask targets with a bid endpoint for a price, in
//! parallel, under the campaign's hard deadline.
//!
//! Request (HTTP POST, JSON):
//! `{"campaign": "auto-insurance", "target": "cc-a-east", "caller_area_code": "212",
//!   "caller_state": "NY", "tags": {"vertical": "auto"}}`
//! (never the caller's full number). Answer: `{"bid": "14.00",
//! "destination": "sip:…", "expires_in_ms": 30000}`, where `bid` is a
//! decimal string (money is never a float), `destination` and
//! `expires_in_ms` are optional; `{"bid": null}`, `"0"` or HTTP 204 is a
//! no-bid. Anything else, or an HTTP error, is an error; no answer by the
//! deadline is a timeout. The decision never waits past the deadline.

use super::decide::{check_static, CallerPlace, Clocks};
use super::{CallFacts, RtbBids, RtbOutcome};
use crate::domain::Money;
use crate::snapshot::Market;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// Sends bid requests; one per process (it pools connections).
#[derive(Clone, Debug)]
pub struct RtbClient {
    http: reqwest::Client,
}

#[derive(Serialize)]
struct BidRequest<'a> {
    campaign: &'a str,
    target: &'a str,
    caller_area_code: Option<String>,
    caller_state: Option<&'a str>,
    tags: BTreeMap<&'a str, &'a str>,
}

#[derive(Deserialize)]
struct BidAnswer {
    bid: Option<String>,
    destination: Option<String>,
    expires_in_ms: Option<u64>,
}

impl Default for RtbClient {
    fn default() -> Self {
        RtbClient::new()
    }
}

impl RtbClient {
    /// A client with pooled keep-alive connections (a bid request must not
    /// pay a TCP or TLS handshake each time).
    pub fn new() -> RtbClient {
        let http = reqwest::Client::builder()
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .build()
            .unwrap_or_default();
        RtbClient { http }
    }

    /// Asks every RTB target of the call's campaign that passes the
    /// bid-independent checks, and returns what each answered by the
    /// campaign's deadline.
    pub async fn collect(&self, market: &Market, facts: &CallFacts, now: DateTime<Utc>) -> RtbBids {
        let mut bids = RtbBids::default();
        let Some(entry) = market.campaign_for(facts.dialed) else {
            return bids;
        };
        // Most campaigns bid statically: no clocks, no tasks, no allocation.
        let has_bidders = entry
            .targets
            .iter()
            .any(|i| market.hot_at(*i).has(crate::snapshot::HotTarget::RTB));
        if !has_bidders {
            return bids;
        }
        let campaign = &entry.campaign;
        let location = facts.caller.number().and_then(|n| n.location());
        let mut clocks = Clocks::new(now, market);
        let caller = CallerPlace::of(market, location);
        let deadline = Instant::now() + campaign.rtb_timeout;
        let mut asks = JoinSet::new();
        let mut asked = Vec::new();
        for &index in &entry.targets {
            let target = market.target_at(index);
            let Some(url) = &target.target.rtb_url else {
                continue;
            };
            if check_static(market, index, &caller, &mut clocks).is_err() {
                continue;
            }
            let body = BidRequest {
                campaign: &campaign.name,
                target: &target.target.name,
                caller_area_code: location.map(|l| l.npa.to_string()),
                caller_state: location.map(|l| l.region),
                tags: campaign
                    .tags
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect(),
            };
            let request = self.http.post(url).json(&body);
            let id = target.target.id;
            asked.push(id);
            let now_ms = now.timestamp_millis();
            asks.spawn(async move { (id, ask(request, now_ms).await) });
        }
        while !asks.is_empty() {
            match tokio::time::timeout_at(deadline, asks.join_next()).await {
                Ok(Some(Ok((id, outcome)))) => bids.insert(id, outcome),
                Ok(Some(Err(_))) => {}
                Ok(None) => break,
                Err(_) => {
                    asks.abort_all();
                    break;
                }
            }
        }
        for id in asked {
            if bids.get(id).is_none() {
                bids.insert(id, RtbOutcome::Timeout);
            }
        }
        bids
    }
}

async fn ask(request: reqwest::RequestBuilder, now_ms: i64) -> RtbOutcome {
    let Ok(response) = request.send().await else {
        return RtbOutcome::Error;
    };
    if response.status() == reqwest::StatusCode::NO_CONTENT {
        return RtbOutcome::NoBid;
    }
    if !response.status().is_success() {
        return RtbOutcome::Error;
    }
    let Ok(answer) = response.json::<BidAnswer>().await else {
        return RtbOutcome::Error;
    };
    let Some(bid) = answer.bid else {
        return RtbOutcome::NoBid;
    };
    let Ok(amount) = Money::parse(&bid) else {
        return RtbOutcome::Error;
    };
    if amount.minor() <= 0 {
        return RtbOutcome::NoBid;
    }
    let destination = match answer.destination {
        Some(d) if d.starts_with("sip:") || d.starts_with("sips:") => Some(Arc::from(d)),
        Some(_) => return RtbOutcome::Error,
        None => None,
    };
    RtbOutcome::Bid {
        amount,
        destination,
        expires_at_ms: answer
            .expires_in_ms
            .map(|ms| now_ms.saturating_add(ms.min(i64::MAX as u64) as i64)),
    }
}
