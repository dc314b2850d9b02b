//! Live call events: arrived, decided, ringing, answered, ended, rated, on
//! a broadcast bus the switch publishes to and WebSocket clients read.
//!
//! Publishing never waits: `tokio::sync::broadcast` keeps the last
//! `capacity` events in a ring, and a receiver that falls further behind
//! is told so (`Lagged`) on its next read instead of holding the sender
//! back. With nobody subscribed the switch does not even build events.
//!
//! # Who sees what ([`LiveEvent::view_for`])
//! - **Admin**: everything.
//! - **Seller**: every event of its own calls (by `seller_id`), with the
//!   buyer side taken out: no buyer or target ids, `decided` as counts
//!   only, `rated` with its payout and no charge.
//! - **Buyer**: a call from the moment one of its targets is in play, and
//!   only its own part of it:
//!   - `decided` when one of its targets was ranked: its own target ids,
//!     without ranks and without the counts (other bidders stay unseen);
//!   - `ringing` and `answered` of its own targets only;
//!   - `ended` of every call it was ranked for; the cause and the
//!     connected time only when it answered the call, the bare fact
//!     otherwise;
//!   - `rated` when it answered the call: its charge, not the payout.
//!   - `arrived` never (the call is nobody's yet).

use dce_marketplace::billing::CdrId;
use dce_marketplace::domain::{BuyerId, CampaignId, SellerId, TargetId};
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::broadcast;

/// How many events a subscriber may fall behind before it is dropped.
pub const DEFAULT_CAPACITY: usize = 1024;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The INVITE reached a campaign.
    Arrived,
    /// The auction ranked its targets.
    Decided,
    /// A buyer's target is ringing.
    Ringing,
    /// A buyer's target answered.
    Answered,
    /// The call ended.
    Ended,
    /// The call's record was written and rated.
    Rated,
}

/// One ranked target of a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RankedTarget {
    /// The target.
    pub target_id: TargetId,
    /// Its buyer.
    pub buyer_id: BuyerId,
    /// Its place, from 1 (not shown to buyers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
}

/// What an event says beyond its kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Details {
    /// Nothing more.
    None,
    /// `decided`.
    Decided {
        /// The ranked targets, best first.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        ranked: Vec<RankedTarget>,
        /// How many targets were ranked.
        #[serde(skip_serializing_if = "Option::is_none")]
        ranked_count: Option<u32>,
        /// How many were excluded.
        #[serde(skip_serializing_if = "Option::is_none")]
        excluded_count: Option<u32>,
    },
    /// `ringing`, `answered`: which attempt, from 1.
    Attempt {
        /// The attempt's number, from 1.
        attempt: u32,
    },
    /// `ended`.
    Ended {
        /// Why (`caller_bye`, `buyer_bye`, `all_targets_failed`, …).
        cause: &'static str,
        /// Connected time in ms, when a buyer answered.
        #[serde(skip_serializing_if = "Option::is_none")]
        connected_ms: Option<u64>,
    },
    /// `rated`, in minor units of the currency.
    Rated {
        /// Whether the call was billable.
        billable: bool,
        /// What the buyer was charged.
        #[serde(skip_serializing_if = "Option::is_none")]
        charge: Option<i64>,
        /// What the seller is paid.
        #[serde(skip_serializing_if = "Option::is_none")]
        payout: Option<i64>,
    },
}

/// One event of one call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LiveEvent {
    /// The call's CDR id (what `/api/v1/calls/{id}` takes).
    pub call_id: CdrId,
    /// When, Unix ms.
    pub at: i64,
    /// What happened.
    pub kind: EventKind,
    /// The seller whose trunk sent the call.
    pub seller_id: SellerId,
    /// The campaign dialed.
    pub campaign_id: CampaignId,
    /// The buyer concerned (ringing, answered, and the answering buyer
    /// from then on).
    pub buyer_id: Option<BuyerId>,
    /// The target concerned, likewise.
    pub target_id: Option<TargetId>,
    /// What else.
    pub details: Details,
    /// The buyers whose targets were ranked: who may see the call.
    #[serde(skip)]
    pub ranked_buyers: Vec<BuyerId>,
}

/// Whose events a subscriber may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Everything.
    Admin,
    /// A buyer's part of the calls it is in.
    Buyer(BuyerId),
    /// A seller's own calls, buyer side hidden.
    Seller(SellerId),
}

impl LiveEvent {
    /// Whether `scope` sees anything of this event.
    pub fn visible_to(&self, scope: &Scope) -> bool {
        match *scope {
            Scope::Admin => true,
            Scope::Seller(s) => self.seller_id == s,
            Scope::Buyer(b) => match self.kind {
                EventKind::Arrived => false,
                EventKind::Decided | EventKind::Ended => self.ranked_buyers.contains(&b),
                EventKind::Ringing | EventKind::Answered | EventKind::Rated => {
                    self.buyer_id == Some(b)
                }
            },
        }
    }

    /// What `scope` sees of this event (see the module docs), if anything.
    pub fn view_for(&self, scope: &Scope) -> Option<LiveEvent> {
        if !self.visible_to(scope) {
            return None;
        }
        let mut view = self.clone();
        view.ranked_buyers = Vec::new();
        match *scope {
            Scope::Admin => {}
            Scope::Seller(_) => {
                view.buyer_id = None;
                view.target_id = None;
                view.details = match &self.details {
                    Details::Decided {
                        ranked,
                        excluded_count,
                        ..
                    } => Details::Decided {
                        ranked: Vec::new(),
                        ranked_count: Some(ranked.len() as u32),
                        excluded_count: *excluded_count,
                    },
                    Details::Rated {
                        billable, payout, ..
                    } => Details::Rated {
                        billable: *billable,
                        charge: None,
                        payout: *payout,
                    },
                    other => other.clone(),
                };
            }
            Scope::Buyer(b) => {
                let answered_by_b = self.buyer_id == Some(b);
                if !answered_by_b {
                    view.buyer_id = None;
                    view.target_id = None;
                }
                view.details = match &self.details {
                    Details::Decided { ranked, .. } => Details::Decided {
                        ranked: ranked
                            .iter()
                            .filter(|r| r.buyer_id == b)
                            .map(|r| RankedTarget { rank: None, ..*r })
                            .collect(),
                        ranked_count: None,
                        excluded_count: None,
                    },
                    Details::Ended { .. } if !answered_by_b => Details::None,
                    Details::Rated {
                        billable, charge, ..
                    } => Details::Rated {
                        billable: *billable,
                        charge: *charge,
                        payout: None,
                    },
                    other => other.clone(),
                };
            }
        }
        Some(view)
    }
}

/// The bus: a cloneable handle on one broadcast channel.
#[derive(Clone, Debug)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<LiveEvent>>,
}

impl EventBus {
    /// A bus whose subscribers may fall `capacity` events behind.
    pub fn new(capacity: usize) -> EventBus {
        EventBus {
            tx: broadcast::channel(capacity.max(1)).0,
        }
    }

    /// Sends `event` to every subscriber; never waits. With no subscriber
    /// the event is dropped.
    pub fn publish(&self, event: LiveEvent) {
        let _ = self.tx.send(Arc::new(event));
    }

    /// Whether anyone listens (the switch builds no event otherwise).
    pub fn has_subscribers(&self) -> bool {
        self.tx.receiver_count() > 0
    }

    /// How many listen.
    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }

    /// A new subscriber, seeing events published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.tx.subscribe()
    }
}

impl Default for EventBus {
    fn default() -> EventBus {
        EventBus::new(DEFAULT_CAPACITY)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An event of call `call` (seller 1, campaign 1) where buyers 1 and 2
    /// were ranked; buyer 1 (target 10) rang, answered and was rated.
    pub(crate) fn event(call: &str, kind: EventKind) -> LiveEvent {
        let ranked = vec![
            RankedTarget {
                target_id: TargetId(20),
                buyer_id: BuyerId(2),
                rank: Some(1),
            },
            RankedTarget {
                target_id: TargetId(10),
                buyer_id: BuyerId(1),
                rank: Some(2),
            },
        ];
        let (buyer_id, target_id, details) = match kind {
            EventKind::Arrived => (None, None, Details::None),
            EventKind::Decided => (
                None,
                None,
                Details::Decided {
                    ranked,
                    ranked_count: None,
                    excluded_count: Some(3),
                },
            ),
            EventKind::Ringing | EventKind::Answered => (
                Some(BuyerId(1)),
                Some(TargetId(10)),
                Details::Attempt { attempt: 2 },
            ),
            EventKind::Ended => (
                Some(BuyerId(1)),
                Some(TargetId(10)),
                Details::Ended {
                    cause: "caller_bye",
                    connected_ms: Some(61_000),
                },
            ),
            EventKind::Rated => (
                Some(BuyerId(1)),
                Some(TargetId(10)),
                Details::Rated {
                    billable: true,
                    charge: Some(1000),
                    payout: Some(100),
                },
            ),
        };
        LiveEvent {
            call_id: CdrId::new(call).unwrap(),
            at: 1_795_000_000_000,
            kind,
            seller_id: SellerId(1),
            campaign_id: CampaignId(1),
            buyer_id,
            target_id,
            details,
            ranked_buyers: if kind == EventKind::Arrived {
                vec![]
            } else {
                vec![BuyerId(2), BuyerId(1)]
            },
        }
    }

    fn json(e: &LiveEvent) -> serde_json::Value {
        serde_json::to_value(e).unwrap()
    }

    #[test]
    fn admins_see_everything() {
        let e = event("c1", EventKind::Decided);
        let v = json(&e.view_for(&Scope::Admin).unwrap());
        assert_eq!(v["kind"], "decided");
        assert_eq!(v["call_id"], "c1");
        assert_eq!(v["details"]["ranked"][0]["target_id"], 20);
        assert_eq!(v["details"]["ranked"][0]["rank"], 1);
        assert_eq!(v["details"]["excluded_count"], 3);
        assert!(v.get("ranked_buyers").is_none(), "internal");
    }

    #[test]
    fn a_buyer_sees_only_its_own_part_of_calls_it_is_in() {
        let me = Scope::Buyer(BuyerId(1));
        assert!(event("c1", EventKind::Arrived).view_for(&me).is_none());
        let decided = json(&event("c1", EventKind::Decided).view_for(&me).unwrap());
        assert_eq!(
            decided["details"],
            serde_json::json!({ "ranked": [{ "target_id": 10, "buyer_id": 1 }] }),
            "its own target, no rank, no other bidder, no counts"
        );
        let rated = json(&event("c1", EventKind::Rated).view_for(&me).unwrap());
        assert_eq!(
            rated["details"],
            serde_json::json!({ "billable": true, "charge": 1000 })
        );
        // Buyer 2 was ranked first but did not answer.
        let other = Scope::Buyer(BuyerId(2));
        for kind in [EventKind::Ringing, EventKind::Answered, EventKind::Rated] {
            assert!(event("c1", kind).view_for(&other).is_none(), "{kind:?}");
        }
        let ended = json(&event("c1", EventKind::Ended).view_for(&other).unwrap());
        assert_eq!(ended["buyer_id"], serde_json::Value::Null);
        assert_eq!(ended["details"], serde_json::Value::Null);
        let stranger = Scope::Buyer(BuyerId(3));
        for kind in [EventKind::Decided, EventKind::Ended] {
            assert!(event("c1", kind).view_for(&stranger).is_none());
        }
    }

    #[test]
    fn a_seller_sees_its_calls_without_the_buyer_side() {
        let me = Scope::Seller(SellerId(1));
        assert!(event("c1", EventKind::Arrived).visible_to(&me));
        let decided = json(&event("c1", EventKind::Decided).view_for(&me).unwrap());
        assert_eq!(
            decided["details"],
            serde_json::json!({ "ranked_count": 2, "excluded_count": 3 })
        );
        let answered = json(&event("c1", EventKind::Answered).view_for(&me).unwrap());
        assert_eq!(answered["buyer_id"], serde_json::Value::Null);
        assert_eq!(answered["target_id"], serde_json::Value::Null);
        let rated = json(&event("c1", EventKind::Rated).view_for(&me).unwrap());
        assert_eq!(
            rated["details"],
            serde_json::json!({ "billable": true, "payout": 100 })
        );
        assert!(event("c1", EventKind::Arrived)
            .view_for(&Scope::Seller(SellerId(2)))
            .is_none());
    }

    #[tokio::test]
    async fn publishing_never_waits_and_a_laggard_is_told() {
        let bus = EventBus::new(4);
        bus.publish(event("nobody", EventKind::Arrived));
        let mut rx = bus.subscribe();
        assert!(bus.has_subscribers());
        for i in 0..10 {
            bus.publish(event(&format!("c{i}"), EventKind::Arrived));
        }
        assert!(matches!(
            rx.recv().await,
            Err(broadcast::error::RecvError::Lagged(6))
        ));
        assert_eq!(rx.recv().await.unwrap().call_id.as_str(), "c6");
    }
}
