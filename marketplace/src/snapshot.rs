//! The market as the call path sees it: immutable, in memory, indexed for
//! the decision, and swapped whole when anything changes.

use crate::compliance::Lists;
use crate::counters::{BuyerLive, CampaignLive, LiveRegistry, TargetLive};
use crate::domain::{
    Buyer, BuyerId, Campaign, CampaignId, Consent, PhoneNumber, Schedule, Seller, SellerId, Target,
    TargetId,
};
use crate::fraud::FraudPolicy;
use arc_swap::{ArcSwap, Guard};
use chrono_tz::Tz;
use ipnet::IpNet;
use rustc_hash::FxHashMap;
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Everything a market is built from, as loaded from the store.
#[derive(Clone, Debug, Default)]
pub struct MarketData {
    /// The store's change counter when this was read.
    pub version: i64,
    /// Sellers with their trunks.
    pub sellers: Vec<Seller>,
    /// Buyers with their balances.
    pub buyers: Vec<Buyer>,
    /// Campaigns with their numbers.
    pub campaigns: Vec<Campaign>,
    /// Targets.
    pub targets: Vec<Target>,
    /// Consent records.
    pub consents: Vec<Consent>,
}

/// A campaign and its targets, ready for decisions.
#[derive(Debug)]
pub struct CampaignEntry {
    /// The campaign.
    pub campaign: Campaign,
    /// Indexes into [`Market::targets`], in target-id order.
    pub targets: Vec<u32>,
    /// Live state (round-robin turn).
    pub live: Arc<CampaignLive>,
}

/// A target with what the decision needs at hand.
#[derive(Debug)]
pub struct TargetEntry {
    /// The target.
    pub target: Target,
    /// The buyer's name (for reports and RTB requests).
    pub buyer_name: Arc<str>,
    /// The zone its schedule and caps count in (UTC without a schedule).
    pub tz: Tz,
    /// Live usage.
    pub live: Arc<TargetLive>,
    /// The buyer's live money.
    pub buyer: Arc<BuyerLive>,
}

/// What the decision reads of every target, packed together: a campaign's
/// scan then touches one or two cache lines per target instead of chasing
/// the strings and vectors of [`Target`] (the difference between ~150 µs
/// and well under 100 µs at p99 for a 1,000-target campaign).
#[derive(Debug)]
pub(crate) struct HotTarget {
    pub(crate) live: Arc<TargetLive>,
    pub(crate) buyer: Arc<BuyerLive>,
    /// Bit per region of [`Market::region_bit`]; the target's allowed states.
    pub(crate) region_mask: u128,
    pub(crate) bid: crate::domain::Money,
    /// Minor units; `i64::MAX`: no budget.
    pub(crate) daily_budget: i64,
    /// `u32::MAX`: no limit.
    pub(crate) concurrency: u32,
    /// Hourly, daily, monthly; `u32::MAX`: no cap.
    pub(crate) caps: [u32; 3],
    pub(crate) priority: u32,
    pub(crate) weight: u32,
    pub(crate) tz: Tz,
    /// Index of `tz` among the market's interned zones.
    pub(crate) zone: u16,
    /// Index into [`Market`]'s interned schedules (`u32::MAX`: none), so
    /// targets sharing opening hours share one evaluation per decision.
    pub(crate) schedule: u32,
    pub(crate) flags: u8,
}

impl HotTarget {
    pub(crate) const ENABLED: u8 = 1;
    pub(crate) const SCHEDULE: u8 = 2;
    pub(crate) const GEO: u8 = 4;
    pub(crate) const AREA_CODES: u8 = 8;
    pub(crate) const CAPS: u8 = 16;
    pub(crate) const RTB: u8 = 32;
    pub(crate) const BUDGET: u8 = 64;

    pub(crate) fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// An immutable market snapshot.
#[derive(Debug, Default)]
pub struct Market {
    version: i64,
    campaigns: Vec<CampaignEntry>,
    targets: Vec<TargetEntry>,
    hot: Vec<HotTarget>,
    schedules: Vec<Schedule>,
    zones: Vec<Tz>,
    regions: FxHashMap<String, u128>,
    by_number: FxHashMap<u64, u32>,
    target_index: FxHashMap<TargetId, u32>,
    campaign_index: FxHashMap<CampaignId, u32>,
    sellers: FxHashMap<SellerId, Seller>,
    trunk_addrs: FxHashMap<IpAddr, SellerId>,
    trunk_nets: Vec<(IpNet, SellerId)>,
    consents: FxHashMap<u64, Vec<Consent>>,
    lists: Arc<Lists>,
    fraud: FraudPolicy,
}

impl Market {
    /// Builds a snapshot. Live counters come from `registry`, so they carry
    /// over from the previous snapshot; buyers' balances are refreshed.
    pub fn build(
        data: MarketData,
        lists: Arc<Lists>,
        registry: &LiveRegistry,
        fraud: FraudPolicy,
    ) -> Market {
        let mut buyer_live: FxHashMap<BuyerId, (Arc<BuyerLive>, Arc<str>)> = FxHashMap::default();
        for b in &data.buyers {
            let live = registry.buyer(b.id);
            live.balance.store(b.balance.minor(), Ordering::Release);
            buyer_live.insert(b.id, (live, b.name.as_str().into()));
        }
        let mut targets_sorted = data.targets;
        targets_sorted.sort_by_key(|t| t.id);
        let mut targets = Vec::with_capacity(targets_sorted.len());
        let mut hot = Vec::with_capacity(targets_sorted.len());
        let mut regions: FxHashMap<String, u128> = FxHashMap::default();
        let mut schedules: Vec<Schedule> = Vec::new();
        let mut zones: Vec<Tz> = Vec::new();
        let mut schedule_ids: FxHashMap<(String, String), u32> = FxHashMap::default();
        let mut target_index = FxHashMap::default();
        let mut per_campaign: FxHashMap<CampaignId, Vec<u32>> = FxHashMap::default();
        for t in targets_sorted {
            let Some((buyer, buyer_name)) = buyer_live.get(&t.buyer).cloned() else {
                tracing::warn!(target = %t.id, "target's buyer missing; target skipped");
                continue;
            };
            let idx = targets.len() as u32;
            target_index.insert(t.id, idx);
            per_campaign.entry(t.campaign).or_default().push(idx);
            let mut region_mask = 0u128;
            for state in &t.states {
                // At most ~70 regions exist, well under 128 bits.
                let next = 1u128.checked_shl(regions.len() as u32).unwrap_or(0);
                region_mask |= *regions.entry(state.clone()).or_insert(next);
            }
            let tz = t.schedule.as_ref().map_or(Tz::UTC, |s| s.tz());
            let schedule = t.schedule.as_ref().map_or(u32::MAX, |s| {
                *schedule_ids
                    .entry((s.tz().name().to_string(), s.spec().to_string()))
                    .or_insert_with(|| {
                        schedules.push(s.clone());
                        schedules.len() as u32 - 1
                    })
            });
            let zone = match zones.iter().position(|z| *z == tz) {
                Some(i) => i as u16,
                None => {
                    zones.push(tz);
                    zones.len() as u16 - 1
                }
            };
            let live = registry.target(t.id);
            let flag = |on: bool, f: u8| if on { f } else { 0 };
            let caps = [t.caps.hourly, t.caps.daily, t.caps.monthly];
            hot.push(HotTarget {
                live: live.clone(),
                buyer: buyer.clone(),
                region_mask,
                bid: t.bid,
                daily_budget: t.daily_budget.map_or(i64::MAX, |b| b.minor()),
                concurrency: t.concurrency.unwrap_or(u32::MAX),
                caps: caps.map(|c| c.unwrap_or(u32::MAX)),
                priority: t.priority,
                weight: t.weight,
                tz,
                zone,
                schedule,
                flags: flag(t.enabled, HotTarget::ENABLED)
                    | flag(t.schedule.is_some(), HotTarget::SCHEDULE)
                    | flag(
                        !t.states.is_empty() || !t.area_codes.is_empty(),
                        HotTarget::GEO,
                    )
                    | flag(!t.area_codes.is_empty(), HotTarget::AREA_CODES)
                    | flag(caps.iter().any(Option::is_some), HotTarget::CAPS)
                    | flag(t.rtb_url.is_some(), HotTarget::RTB)
                    | flag(t.daily_budget.is_some(), HotTarget::BUDGET),
            });
            targets.push(TargetEntry {
                tz,
                live,
                buyer,
                buyer_name,
                target: t,
            });
        }
        let mut campaigns = Vec::with_capacity(data.campaigns.len());
        let mut by_number = FxHashMap::default();
        let mut campaign_index = FxHashMap::default();
        for c in data.campaigns {
            let idx = campaigns.len() as u32;
            for n in &c.numbers {
                by_number.insert(n.as_u64(), idx);
            }
            campaign_index.insert(c.id, idx);
            campaigns.push(CampaignEntry {
                targets: per_campaign.remove(&c.id).unwrap_or_default(),
                live: registry.campaign(c.id),
                campaign: c,
            });
        }
        let mut trunk_addrs = FxHashMap::default();
        let mut trunk_nets = Vec::new();
        let mut sellers = FxHashMap::default();
        for s in data.sellers {
            for net in &s.trunks {
                if net.prefix_len() == net.max_prefix_len() {
                    trunk_addrs.insert(net.addr(), s.id);
                } else {
                    trunk_nets.push((*net, s.id));
                }
            }
            sellers.insert(s.id, s);
        }
        // Most specific network first, so an overlap resolves to the narrower trunk.
        trunk_nets.sort_by_key(|(net, _)| std::cmp::Reverse(net.prefix_len()));
        let mut consents: FxHashMap<u64, Vec<Consent>> = FxHashMap::default();
        for c in data.consents {
            consents.entry(c.number.as_u64()).or_default().push(c);
        }
        Market {
            version: data.version,
            campaigns,
            targets,
            hot,
            schedules,
            zones,
            regions,
            by_number,
            target_index,
            campaign_index,
            sellers,
            trunk_addrs,
            trunk_nets,
            consents,
            lists,
            fraud,
        }
    }

    /// The store version this snapshot was built from.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// The campaign a dialed number reaches.
    pub fn campaign_for(&self, dialed: PhoneNumber) -> Option<&CampaignEntry> {
        self.by_number
            .get(&dialed.as_u64())
            .map(|i| &self.campaigns[*i as usize])
    }

    /// A campaign by id.
    pub fn campaign(&self, id: CampaignId) -> Option<&CampaignEntry> {
        self.campaign_index
            .get(&id)
            .map(|i| &self.campaigns[*i as usize])
    }

    /// Every campaign.
    pub fn campaigns(&self) -> &[CampaignEntry] {
        &self.campaigns
    }

    /// A target by id.
    pub fn target(&self, id: TargetId) -> Option<&TargetEntry> {
        self.target_index
            .get(&id)
            .map(|i| &self.targets[*i as usize])
    }

    /// A target by its index in a [`CampaignEntry`].
    pub fn target_at(&self, index: u32) -> &TargetEntry {
        &self.targets[index as usize]
    }

    pub(crate) fn hot_at(&self, index: u32) -> &HotTarget {
        &self.hot[index as usize]
    }

    pub(crate) fn schedule(&self, id: u32) -> &Schedule {
        &self.schedules[id as usize]
    }

    pub(crate) fn schedule_count(&self) -> usize {
        self.schedules.len()
    }

    pub(crate) fn zone_count(&self) -> usize {
        self.zones.len()
    }

    /// The bit a caller's region has in targets' region masks (0 when no
    /// target names that region).
    pub(crate) fn region_bit(&self, region: &str) -> u128 {
        self.regions.get(region).copied().unwrap_or(0)
    }

    /// The seller whose trunk `source` is, if any: the open-relay guard.
    pub fn seller_for_source(&self, source: IpAddr) -> Option<SellerId> {
        if let Some(s) = self.trunk_addrs.get(&source) {
            return Some(*s);
        }
        self.trunk_nets
            .iter()
            .find(|(net, _)| net.contains(&source))
            .map(|(_, s)| *s)
    }

    /// A seller by id.
    pub fn seller(&self, id: SellerId) -> Option<&Seller> {
        self.sellers.get(&id)
    }

    /// Whether `number` has consent on file for `campaign` at `now_ms`.
    pub fn has_consent(&self, number: PhoneNumber, campaign: CampaignId, now_ms: i64) -> bool {
        self.consents.get(&number.as_u64()).is_some_and(|list| {
            list.iter().any(|c| {
                c.campaign.is_none_or(|id| id == campaign)
                    && c.granted_at_ms <= now_ms
                    && c.expires_at_ms.is_none_or(|e| now_ms < e)
            })
        })
    }

    /// The compliance and fraud lists.
    pub fn lists(&self) -> &Lists {
        &self.lists
    }

    /// The shared handle to the lists (reused by the next snapshot).
    pub fn lists_arc(&self) -> Arc<Lists> {
        self.lists.clone()
    }

    /// The fraud policy in force.
    pub fn fraud(&self) -> &FraudPolicy {
        &self.fraud
    }

    /// Approximate heap bytes of the snapshot itself, without the lists.
    pub fn approx_heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let targets = self.targets.capacity() * (size_of::<TargetEntry>() + size_of::<HotTarget>())
            + self
                .targets
                .iter()
                .map(|t| {
                    t.target.destination.capacity()
                        + t.target.name.capacity()
                        + t.target.states.capacity() * size_of::<String>()
                        + size_of::<TargetLive>()
                })
                .sum::<usize>();
        let campaigns = self.campaigns.capacity() * size_of::<CampaignEntry>()
            + self
                .campaigns
                .iter()
                .map(|c| c.targets.capacity() * 4 + c.campaign.numbers.capacity() * 8)
                .sum::<usize>();
        let maps = (self.by_number.capacity()
            + self.target_index.capacity()
            + self.campaign_index.capacity())
            * 16;
        targets + campaigns + maps
    }
}

/// The current market, swapped atomically: readers never block, and a
/// decision keeps the snapshot it started with.
#[derive(Debug)]
pub struct MarketHandle {
    current: ArcSwap<Market>,
    registry: Arc<LiveRegistry>,
}

impl MarketHandle {
    /// A handle holding `market`, whose live state lives in `registry`.
    pub fn new(market: Market, registry: Arc<LiveRegistry>) -> MarketHandle {
        MarketHandle {
            current: ArcSwap::from_pointee(market),
            registry,
        }
    }

    /// The current snapshot (cheap; no lock).
    pub fn load(&self) -> Guard<Arc<Market>> {
        self.current.load()
    }

    /// The current snapshot as an owned `Arc`, to keep for a call's life.
    pub fn load_full(&self) -> Arc<Market> {
        self.current.load_full()
    }

    /// Replaces the snapshot.
    pub fn store(&self, market: Market) {
        self.current.store(Arc::new(market));
    }

    /// The registry snapshots take live state from.
    pub fn registry(&self) -> &Arc<LiveRegistry> {
        &self.registry
    }
}
