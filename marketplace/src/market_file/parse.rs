//! TOML text to a validated [`MarketSpec`], every error with its line and field.

use super::spec::{BuyerSpec, CampaignSpec, MarketSpec, SellerSpec, TargetSpec};
use super::{FileError, MarketFileError};
use crate::domain::{
    nanp, Attestation, Caps, DuplicatePolicy, MediaMode, Money, PayoutModel, PhoneNumber, Ranking,
    Schedule,
};
use ipnet::IpNet;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::time::Duration;
use toml::Spanned;

type S<T> = Spanned<T>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    seller: Vec<S<RawSeller>>,
    #[serde(default)]
    buyer: Vec<S<RawBuyer>>,
    #[serde(default)]
    campaign: Vec<S<RawCampaign>>,
    #[serde(default)]
    target: Vec<S<RawTarget>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeller {
    name: S<String>,
    #[serde(default)]
    trunks: Vec<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBuyer {
    name: S<String>,
    balance: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCampaign {
    name: S<String>,
    seller: S<String>,
    numbers: S<Vec<S<String>>>,
    payout: Option<S<String>>,
    payout_share: Option<S<String>>,
    billable_after: Option<S<String>>,
    dedupe_window: Option<S<String>>,
    duplicate_policy: Option<S<String>>,
    media: Option<S<String>>,
    min_attestation: Option<S<String>>,
    recording: Option<bool>,
    ranking: Option<S<String>>,
    rtb_timeout: Option<S<String>>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    require_consent: Option<bool>,
    enabled: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    name: S<String>,
    buyer: S<String>,
    campaign: S<String>,
    destination: S<String>,
    bid: Option<S<String>>,
    priority: Option<S<i64>>,
    weight: Option<S<i64>>,
    concurrency: Option<S<i64>>,
    caps: Option<S<RawCaps>>,
    daily_budget: Option<S<String>>,
    schedule: Option<S<RawSchedule>>,
    #[serde(default)]
    states: Vec<S<String>>,
    #[serde(default)]
    area_codes: Vec<S<i64>>,
    rtb_url: Option<S<String>>,
    ring_timeout: Option<S<String>>,
    enabled: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCaps {
    hourly: Option<S<i64>>,
    daily: Option<S<i64>>,
    monthly: Option<S<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    tz: S<String>,
    open: S<String>,
}

/// Collects errors against the source text so each can name its line.
struct Checker<'a> {
    source: &'a str,
    errors: Vec<FileError>,
}

impl Checker<'_> {
    fn line(&self, offset: usize) -> usize {
        self.source[..offset.min(self.source.len())]
            .bytes()
            .filter(|b| *b == b'\n')
            .count()
            + 1
    }

    fn error<T>(&mut self, at: &S<T>, field: &str, message: impl Into<String>) {
        let line = self.line(at.span().start);
        self.errors.push(FileError {
            line,
            field: field.to_string(),
            message: message.into(),
        });
    }

    fn money(&mut self, v: &S<String>, field: &str) -> Option<Money> {
        match Money::parse(v.get_ref()) {
            Ok(m) if !m.is_negative() => Some(m),
            Ok(_) => {
                self.error(v, field, "must not be negative");
                None
            }
            Err(e) => {
                self.error(v, field, format!("{:?}: {e}", v.get_ref()));
                None
            }
        }
    }

    fn duration(&mut self, v: &Option<S<String>>, field: &str, default: Duration) -> Duration {
        match v {
            None => default,
            Some(v) => humantime::parse_duration(v.get_ref()).unwrap_or_else(|e| {
                self.error(
                    v,
                    field,
                    format!(
                        "{:?} is not a duration like \"90s\" or \"24h\": {e}",
                        v.get_ref()
                    ),
                );
                default
            }),
        }
    }

    fn count(&mut self, v: &S<i64>, field: &str, min: i64) -> u32 {
        let n = *v.get_ref();
        if n < min || n > i64::from(u32::MAX) {
            self.error(v, field, format!("{n} is out of range (at least {min})"));
            return 0;
        }
        n as u32
    }

    fn name(&mut self, v: &S<String>, field: &str, seen: &mut HashMap<String, usize>) -> String {
        let name = v.get_ref().trim().to_string();
        if name.is_empty() {
            self.error(v, field, "must not be empty");
        } else if let Some(first) = seen.get(&name) {
            self.error(
                v,
                field,
                format!("{name:?} is already defined on line {first}"),
            );
        } else {
            let line = self.line(v.span().start);
            seen.insert(name.clone(), line);
        }
        name
    }
}

/// Validates a market file. Names referenced but not defined in the file
/// (a target's buyer, say) are left for the importer to find in the store.
pub fn parse(source: &str) -> Result<MarketSpec, MarketFileError> {
    let raw: RawFile = toml::from_str(source).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let line = source[..offset.min(source.len())]
            .bytes()
            .filter(|b| *b == b'\n')
            .count()
            + 1;
        let text = source.lines().nth(line - 1).unwrap_or("");
        let field = text
            .split_once('=')
            .map(|(k, _)| k.trim().to_string())
            .unwrap_or_else(|| text.trim().to_string());
        MarketFileError {
            errors: vec![FileError {
                line,
                field,
                message: e.message().to_string(),
            }],
        }
    })?;
    let mut c = Checker {
        source,
        errors: Vec::new(),
    };
    let spec = MarketSpec {
        sellers: sellers(&mut c, &raw.seller),
        buyers: buyers(&mut c, &raw.buyer),
        campaigns: campaigns(&mut c, &raw.campaign),
        targets: targets(&mut c, &raw.target),
    };
    if c.errors.is_empty() {
        Ok(spec)
    } else {
        c.errors.sort_by_key(|e| e.line);
        Err(MarketFileError { errors: c.errors })
    }
}

fn sellers(c: &mut Checker<'_>, raw: &[S<RawSeller>]) -> Vec<SellerSpec> {
    let mut names = HashMap::new();
    let mut trunks_seen = HashMap::new();
    raw.iter()
        .map(|s| {
            let line = c.line(s.span().start);
            let s = s.get_ref();
            let name = c.name(&s.name, "seller.name", &mut names);
            let trunks = s
                .trunks
                .iter()
                .filter_map(|t| {
                    let net = parse_net(t.get_ref());
                    if net.is_none() {
                        c.error(t, "seller.trunks", format!("{:?} is not an IP address or network (\"192.0.2.10\", \"192.0.2.0/24\")", t.get_ref()));
                    }
                    if let Some(n) = net {
                        if let Some(first) = trunks_seen.insert(n, line) {
                            c.error(t, "seller.trunks", format!("{n} is already a trunk (line {first})"));
                        }
                    }
                    net
                })
                .collect();
            SellerSpec { line, name, trunks }
        })
        .collect()
}

fn parse_net(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
        .map(|n| n.trunc())
}

fn buyers(c: &mut Checker<'_>, raw: &[S<RawBuyer>]) -> Vec<BuyerSpec> {
    let mut names = HashMap::new();
    raw.iter()
        .map(|b| {
            let line = c.line(b.span().start);
            let b = b.get_ref();
            BuyerSpec {
                line,
                name: c.name(&b.name, "buyer.name", &mut names),
                opening_balance: b
                    .balance
                    .as_ref()
                    .and_then(|v| c.money(v, "buyer.balance"))
                    .unwrap_or(Money::ZERO),
            }
        })
        .collect()
}

fn campaigns(c: &mut Checker<'_>, raw: &[S<RawCampaign>]) -> Vec<CampaignSpec> {
    let mut names = HashMap::new();
    let mut numbers_seen: HashMap<PhoneNumber, usize> = HashMap::new();
    raw.iter()
        .map(|k| {
            let line = c.line(k.span().start);
            let k = k.get_ref();
            let name = c.name(&k.name, "campaign.name", &mut names);
            if k.numbers.get_ref().is_empty() {
                c.error(
                    &k.numbers,
                    "campaign.numbers",
                    "a campaign needs at least one number",
                );
            }
            let mut numbers = Vec::new();
            for n in k.numbers.get_ref() {
                match PhoneNumber::parse(n.get_ref()) {
                    Ok(num) => {
                        if let Some(first) = numbers_seen.insert(num, c.line(n.span().start)) {
                            c.error(
                                n,
                                "campaign.numbers",
                                format!("{num} is already a number of a campaign on line {first}"),
                            );
                        }
                        numbers.push(num);
                    }
                    Err(e) => c.error(n, "campaign.numbers", format!("{:?}: {e}", n.get_ref())),
                }
            }
            let choice = |c: &mut Checker<'_>,
                          v: &Option<S<String>>,
                          field: &str,
                          names: &str,
                          ok: Option<bool>| {
                if let (Some(v), Some(false)) = (v, ok) {
                    c.error(v, field, format!("{:?} is not one of {names}", v.get_ref()));
                }
            };
            let duplicate_policy = k
                .duplicate_policy
                .as_ref()
                .map(|v| DuplicatePolicy::parse(v.get_ref()));
            choice(
                c,
                &k.duplicate_policy,
                "campaign.duplicate_policy",
                "reject, route_unbilled",
                duplicate_policy.map(|p| p.is_some()),
            );
            let media = k.media.as_ref().map(|v| MediaMode::parse(v.get_ref()));
            choice(
                c,
                &k.media,
                "campaign.media",
                "relay, bypass",
                media.map(|m| m.is_some()),
            );
            let ranking = k.ranking.as_ref().map(|v| Ranking::parse(v.get_ref()));
            choice(
                c,
                &k.ranking,
                "campaign.ranking",
                "highest_bid, priority_weighted, round_robin",
                ranking.map(|r| r.is_some()),
            );
            let min_attestation = k
                .min_attestation
                .as_ref()
                .map(|v| Attestation::parse(v.get_ref()));
            choice(
                c,
                &k.min_attestation,
                "campaign.min_attestation",
                "A, B, C",
                min_attestation.map(|a| a.is_some()),
            );
            let rtb_timeout = c.duration(
                &k.rtb_timeout,
                "campaign.rtb_timeout",
                Duration::from_millis(100),
            );
            if rtb_timeout > Duration::from_secs(5) {
                if let Some(v) = &k.rtb_timeout {
                    c.error(
                        v,
                        "campaign.rtb_timeout",
                        "at most 5s: the caller is waiting",
                    );
                }
            }
            CampaignSpec {
                line,
                name,
                seller: k.seller.get_ref().trim().to_string(),
                numbers,
                payout: payout(c, k, line),
                billable_after: c.duration(
                    &k.billable_after,
                    "campaign.billable_after",
                    Duration::ZERO,
                ),
                dedupe_window: k.dedupe_window.as_ref().map(|_| {
                    c.duration(&k.dedupe_window, "campaign.dedupe_window", Duration::ZERO)
                }),
                duplicate_policy: duplicate_policy.flatten().unwrap_or_default(),
                min_attestation: min_attestation.flatten(),
                recording: k.recording.unwrap_or(false),
                ranking: ranking.flatten().unwrap_or_default(),
                rtb_timeout,
                tags: k.tags.iter().map(|(a, b)| (a.clone(), b.clone())).collect(),
                require_consent: k.require_consent.unwrap_or(false),
                media: media.flatten().unwrap_or_default(),
                enabled: k.enabled.unwrap_or(true),
            }
        })
        .collect()
}

/// `payout = "8.00"` (fixed) or `payout_share = "40%"`: exactly one of them.
fn payout(c: &mut Checker<'_>, k: &RawCampaign, line: usize) -> PayoutModel {
    let fallback = PayoutModel::Fixed(Money::ZERO);
    match (&k.payout, &k.payout_share) {
        (Some(fixed), None) => c
            .money(fixed, "campaign.payout")
            .map_or(fallback, PayoutModel::Fixed),
        (None, Some(share)) => match parse_share(share.get_ref()) {
            Some(basis_points) => PayoutModel::Share { basis_points },
            None => {
                c.error(
                    share,
                    "campaign.payout_share",
                    format!(
                        "{:?} is not a share like \"40%\" or \"12.5%\" (0% to 100%, at most two decimals)",
                        share.get_ref()
                    ),
                );
                fallback
            }
        },
        (Some(_), Some(share)) => {
            c.error(
                share,
                "campaign.payout_share",
                "give either payout (a fixed amount) or payout_share, not both",
            );
            fallback
        }
        (None, None) => {
            c.errors.push(FileError {
                line,
                field: "campaign.payout".into(),
                message: "a campaign needs payout (\"8.00\") or payout_share (\"40%\")".into(),
            });
            fallback
        }
    }
}

/// `"40%"`, `"12.5%"`, `"0.25%"` to basis points; at most 100%, never rounded.
fn parse_share(text: &str) -> Option<u32> {
    let number = text.trim().strip_suffix('%')?.trim_end();
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 3 || !digits(whole) || !digits(frac) || frac.len() > 2 {
        return None;
    }
    if number.contains('.') && frac.is_empty() {
        return None;
    }
    let frac_bp: u32 = format!("{frac:0<2}").parse().ok()?;
    let bp = whole.parse::<u32>().ok()? * 100 + frac_bp;
    (bp <= PayoutModel::FULL_SHARE).then_some(bp)
}

fn targets(c: &mut Checker<'_>, raw: &[S<RawTarget>]) -> Vec<TargetSpec> {
    let mut names = HashMap::new();
    raw.iter()
        .map(|t| {
            let line = c.line(t.span().start);
            let t = t.get_ref();
            let name = c.name(&t.name, "target.name", &mut names);
            let destination = t.destination.get_ref().trim().to_string();
            if !valid_sip_uri(&destination) {
                c.error(
                    &t.destination,
                    "target.destination",
                    format!("{destination:?} is not a SIP URI like \"sip:sales@192.0.2.20:5060\""),
                );
            }
            let rtb_url = t.rtb_url.as_ref().map(|u| {
                let url = u.get_ref().trim().to_string();
                if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
                    c.error(
                        u,
                        "target.rtb_url",
                        format!("{url:?} is not an http(s) URL"),
                    );
                }
                url
            });
            let bid = match &t.bid {
                Some(v) => c.money(v, "target.bid").unwrap_or(Money::ZERO),
                None if rtb_url.is_some() => Money::ZERO,
                None => {
                    c.error(
                        &t.name,
                        "target.bid",
                        "required (unless the target has an rtb_url)",
                    );
                    Money::ZERO
                }
            };
            let caps = t.caps.as_ref().map_or(Caps::default(), |caps| {
                let caps = caps.get_ref();
                let mut one = |v: &Option<S<i64>>, f: &str| v.as_ref().map(|v| c.count(v, f, 0));
                Caps {
                    hourly: one(&caps.hourly, "target.caps.hourly"),
                    daily: one(&caps.daily, "target.caps.daily"),
                    monthly: one(&caps.monthly, "target.caps.monthly"),
                }
            });
            let schedule = t.schedule.as_ref().and_then(|s| {
                let raw = s.get_ref();
                match Schedule::parse(raw.tz.get_ref(), raw.open.get_ref()) {
                    Ok(s) => Some(s),
                    Err(e @ crate::domain::ScheduleError::TimeZone(_)) => {
                        c.error(&raw.tz, "target.schedule.tz", e.to_string());
                        None
                    }
                    Err(e) => {
                        c.error(&raw.open, "target.schedule.open", e.to_string());
                        None
                    }
                }
            });
            let states = t
                .states
                .iter()
                .map(|s| {
                    let code = s.get_ref().trim().to_ascii_uppercase();
                    if !nanp::is_known_region(&code) {
                        c.error(
                            s,
                            "target.states",
                            format!(
                                "{:?} is not a US state or Canadian province code",
                                s.get_ref()
                            ),
                        );
                    }
                    code
                })
                .collect();
            let area_codes = t
                .area_codes
                .iter()
                .map(|a| {
                    let npa = *a.get_ref();
                    if !(200..=999).contains(&npa) || nanp::npa_info(npa as u16).is_none() {
                        c.error(
                            a,
                            "target.area_codes",
                            format!("{npa} is not a geographic NANP area code"),
                        );
                    }
                    npa.clamp(0, 999) as u16
                })
                .collect();
            let ring_timeout = c.duration(
                &t.ring_timeout,
                "target.ring_timeout",
                Duration::from_secs(30),
            );
            if ring_timeout.is_zero() || ring_timeout > Duration::from_secs(300) {
                if let Some(v) = &t.ring_timeout {
                    c.error(v, "target.ring_timeout", "between 1s and 300s");
                }
            }
            TargetSpec {
                line,
                name,
                buyer: t.buyer.get_ref().trim().to_string(),
                campaign: t.campaign.get_ref().trim().to_string(),
                destination,
                bid,
                priority: t
                    .priority
                    .as_ref()
                    .map_or(1, |v| c.count(v, "target.priority", 0)),
                weight: t
                    .weight
                    .as_ref()
                    .map_or(100, |v| c.count(v, "target.weight", 0)),
                concurrency: t
                    .concurrency
                    .as_ref()
                    .map(|v| c.count(v, "target.concurrency", 1)),
                caps,
                daily_budget: t
                    .daily_budget
                    .as_ref()
                    .and_then(|v| c.money(v, "target.daily_budget")),
                schedule,
                states,
                area_codes,
                rtb_url,
                ring_timeout,
                enabled: t.enabled.unwrap_or(true),
            }
        })
        .collect()
}

/// A light check that a destination is a SIP URI with a host; the SIP
/// layer parses it fully when it sends the INVITE.
fn valid_sip_uri(uri: &str) -> bool {
    let rest = uri
        .strip_prefix("sip:")
        .or_else(|| uri.strip_prefix("sips:"));
    match rest {
        Some(rest) => {
            let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
            !host.is_empty() && !host.starts_with(':') && !rest.contains(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../../config/market.example.toml");

    #[test]
    fn the_shipped_example_is_valid() {
        let spec = parse(EXAMPLE).unwrap();
        assert!(!spec.targets.is_empty());
    }

    #[test]
    fn the_issue_example_parses_to_domain_values() {
        let spec = parse(
            r#"
[[seller]]
name = "acme-leads"
trunks = ["127.0.0.1"]

[[buyer]]
name = "callcenter-a"
balance = "500.00"

[[campaign]]
name = "auto-insurance"
seller = "acme-leads"
numbers = ["+18005550100"]
payout = "8.00"
billable_after = "90s"
dedupe_window = "24h"

[[target]]
name = "cc-a-east"
buyer = "callcenter-a"
campaign = "auto-insurance"
destination = "sip:sales@127.0.0.1:5090"
bid = "12.50"
priority = 1
weight = 100
concurrency = 10
caps = { hourly = 50, daily = 200, monthly = 3000 }
schedule = { tz = "America/New_York", open = "Mon-Fri 08:00-20:00" }
states = ["NY", "NJ", "CA"]
"#,
        )
        .unwrap();
        let t = &spec.targets[0];
        assert_eq!(t.bid, Money::from_minor(1250));
        assert_eq!(t.caps.daily, Some(200));
        assert_eq!(t.states, ["NY", "NJ", "CA"]);
        assert_eq!(spec.buyers[0].opening_balance, Money::from_minor(50_000));
        assert_eq!(spec.campaigns[0].billable_after, Duration::from_secs(90));
        assert_eq!(
            spec.campaigns[0].dedupe_window,
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(spec.sellers[0].trunks[0].to_string(), "127.0.0.1/32");
    }

    fn errors(text: &str) -> Vec<(usize, String)> {
        parse(text)
            .unwrap_err()
            .errors
            .into_iter()
            .map(|e| (e.line, e.field))
            .collect()
    }

    #[test]
    fn every_error_names_line_and_field() {
        let text = r#"[[seller]]
name = "s"
trunks = ["10.0.0.300"]

[[campaign]]
name = "c"
seller = "s"
numbers = ["8005550100"]
payout = "8.001"
billable_after = "soon"
ranking = "cheapest"

[[target]]
name = "t"
buyer = "b"
campaign = "c"
destination = "http://example.com"
bid = "-1.00"
schedule = { tz = "Mars/Base", open = "Mon-Fri 08:00-20:00" }
states = ["ZZ"]
area_codes = [555]
caps = { hourly = -1 }
"#;
        assert_eq!(
            errors(text),
            vec![
                (3, "seller.trunks".into()),
                (8, "campaign.numbers".into()),
                (9, "campaign.payout".into()),
                (10, "campaign.billable_after".into()),
                (11, "campaign.ranking".into()),
                (17, "target.destination".into()),
                (18, "target.bid".into()),
                (19, "target.schedule.tz".into()),
                (20, "target.states".into()),
                (21, "target.area_codes".into()),
                (22, "target.caps.hourly".into()),
            ]
        );
    }

    #[test]
    fn unknown_fields_and_wrong_types_name_their_line() {
        assert_eq!(
            errors("[[buyer]]\nname = \"b\"\nbalanse = \"1.00\"\n"),
            vec![(3, "balanse".into())]
        );
        assert_eq!(
            errors("[[seller]]\nname = \"s\"\n\n[[target]]\nname = \"t\"\nbuyer = \"b\"\ncampaign = \"c\"\ndestination = \"sip:a@b\"\nbid = \"1.00\"\npriority = \"high\"\n"),
            vec![(10, "priority".into())]
        );
    }

    #[test]
    fn duplicates_are_errors() {
        let text = "[[buyer]]\nname = \"b\"\n[[buyer]]\nname = \"b\"\n";
        assert_eq!(errors(text), vec![(4, "buyer.name".into())]);
        let text = "[[campaign]]\nname = \"a\"\nseller = \"s\"\nnumbers = [\"+18005550100\"]\npayout = \"1\"\n[[campaign]]\nname = \"b\"\nseller = \"s\"\nnumbers = [\"+18005550100\"]\npayout = \"1\"\n";
        assert_eq!(errors(text), vec![(9, "campaign.numbers".into())]);
    }

    #[test]
    fn payout_is_fixed_or_a_share_never_both() {
        let campaign = "[[campaign]]\nname = \"c\"\nseller = \"s\"\nnumbers = [\"+18005550100\"]\n";
        let payout =
            |extra: &str| parse(&format!("{campaign}{extra}")).map(|s| s.campaigns[0].payout);
        assert_eq!(
            payout("payout = \"8.00\"\n"),
            Ok(PayoutModel::Fixed(Money::from_minor(800)))
        );
        assert_eq!(
            payout("payout_share = \"40%\"\n"),
            Ok(PayoutModel::Share { basis_points: 4000 })
        );
        assert_eq!(
            payout("payout_share = \"12.25%\"\n"),
            Ok(PayoutModel::Share { basis_points: 1225 })
        );
        assert_eq!(
            payout("payout_share = \"100%\"\n"),
            Ok(PayoutModel::Share {
                basis_points: 10_000
            })
        );
        for bad in ["101%", "40", "4.125%", "-1%", "%", "1.%", "abc%"] {
            assert_eq!(
                errors(&format!("{campaign}payout_share = \"{bad}\"\n")),
                vec![(5, "campaign.payout_share".into())],
                "{bad}"
            );
        }
        assert_eq!(
            errors(&format!(
                "{campaign}payout = \"8.00\"\npayout_share = \"40%\"\n"
            )),
            vec![(6, "campaign.payout_share".into())]
        );
        assert_eq!(errors(campaign), vec![(1, "campaign.payout".into())]);
    }

    #[test]
    fn a_target_without_bid_needs_rtb() {
        let text = "[[target]]\nname = \"t\"\nbuyer = \"b\"\ncampaign = \"c\"\ndestination = \"sip:a@b\"\n";
        assert_eq!(errors(text), vec![(2, "target.bid".into())]);
        let rtb = format!("{text}rtb_url = \"http://127.0.0.1:9/bid\"\n");
        assert!(parse(&rtb).is_ok());
    }
}
