//! The same store tests on SQLite and on PostgreSQL.

use crate::services::{postgres_store, sqlite_store};
use crate::support::*;
use dce_marketplace::compliance::Lists;
use dce_marketplace::counters::LiveRegistry;
use dce_marketplace::domain::*;
use dce_marketplace::fraud::FraudPolicy;
use dce_marketplace::market_file;
use dce_marketplace::store::{ImportError, Store};
use dce_marketplace::{decide, Market};
use std::sync::Arc;
use std::time::Duration;

const EXAMPLE: &str = include_str!("../../../config/market.example.toml");

async fn each_backend<F, Fut>(test: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (sqlite, _dir) = sqlite_store().await;
    test(sqlite).await;
    if let Some(pg) = postgres_store().await {
        test(pg).await;
    }
}

#[tokio::test]
async fn imports_the_example_and_reads_it_back() {
    each_backend(|store| async move {
        let spec = market_file::parse(EXAMPLE).unwrap();
        let summary = store.import(&spec).await.unwrap();
        assert_eq!(summary.created, 1 + 2 + 1 + 3);
        let data = store.load_market().await.unwrap();
        assert_eq!(data.sellers.len(), 1);
        assert_eq!(data.sellers[0].trunks[0].to_string(), "127.0.0.1/32");
        let a = data
            .buyers
            .iter()
            .find(|b| b.name == "callcenter-a")
            .unwrap();
        assert_eq!(a.balance, Money::from_minor(50_000));
        let c = &data.campaigns[0];
        assert_eq!(c.numbers, vec![n("+18005550100")]);
        assert_eq!(c.payout, PayoutModel::Fixed(Money::from_minor(800)));
        assert_eq!(c.billable_after, Duration::from_secs(90));
        assert_eq!(c.dedupe_window, Some(Duration::from_secs(86_400)));
        assert!(c.recording);
        let east = data.targets.iter().find(|t| t.name == "cc-a-east").unwrap();
        assert_eq!(east.bid, Money::from_minor(1250));
        assert_eq!(east.caps.monthly, Some(3000));
        assert_eq!(east.concurrency, Some(10));
        assert_eq!(east.states, ["NY", "NJ", "CA"]);
        assert_eq!(
            east.schedule.as_ref().unwrap().spec(),
            "Mon-Fri 08:00-20:00, Sat 10:00-14:00"
        );
        let west = data.targets.iter().find(|t| t.name == "cc-a-west").unwrap();
        assert_eq!(west.area_codes, [213, 310, 415, 212]);
        assert_eq!(west.daily_budget, Some(Money::from_minor(20_000)));
        let b = data
            .targets
            .iter()
            .find(|t| t.name == "cc-b-anywhere")
            .unwrap();
        assert_eq!(b.ring_timeout, Duration::from_secs(20));

        // The imported market decides: Monday noon in New York, a NY caller.
        let market = Market::build(
            data,
            Arc::new(Lists::default()),
            &LiveRegistry::default(),
            FraudPolicy::default(),
        );
        let d = decide(&market, &facts(NY_CALLER), monday_noon_ny());
        let bids: Vec<_> = d.ranked.iter().map(|r| r.bid.to_string()).collect();
        assert_eq!(bids, ["12.50", "11.00", "9.75"]);
    })
    .await;
}

#[tokio::test]
async fn import_is_idempotent_and_never_resets_a_balance() {
    each_backend(|store| async move {
        let spec = market_file::parse(EXAMPLE).unwrap();
        store.import(&spec).await.unwrap();
        let v1 = store.market_version().await.unwrap();
        let first = store.load_market().await.unwrap();
        let again = store.import(&spec).await.unwrap();
        assert_eq!(again.created, 0);
        assert_eq!(again.updated, 7);
        assert!(
            store.market_version().await.unwrap() > v1,
            "a write moves the version"
        );
        let second = store.load_market().await.unwrap();
        assert_eq!(
            format!("{:?}", first.targets),
            format!("{:?}", second.targets)
        );
        assert_eq!(first.campaigns, second.campaigns);

        let changed = EXAMPLE
            .replace("balance = \"500.00\"", "balance = \"1.00\"")
            .replace("bid = \"12.50\"", "bid = \"13.00\"");
        store
            .import(&market_file::parse(&changed).unwrap())
            .await
            .unwrap();
        let third = store.load_market().await.unwrap();
        let a = third
            .buyers
            .iter()
            .find(|b| b.name == "callcenter-a")
            .unwrap();
        assert_eq!(
            a.balance,
            Money::from_minor(50_000),
            "balance is opening only"
        );
        let east = third
            .targets
            .iter()
            .find(|t| t.name == "cc-a-east")
            .unwrap();
        assert_eq!(east.bid, Money::from_minor(1300), "a bid change is applied");
    })
    .await;
}

#[tokio::test]
async fn unresolved_references_are_refused_whole_with_lines() {
    each_backend(|store| async move {
        let text = "[[buyer]]\nname = \"b\"\n\n[[target]]\nname = \"t\"\nbuyer = \"nobody\"\ncampaign = \"none\"\ndestination = \"sip:a@127.0.0.1\"\nbid = \"1.00\"\n";
        let v = store.market_version().await.unwrap();
        let err = store.import(&market_file::parse(text).unwrap()).await.unwrap_err();
        let ImportError::Invalid(e) = err else { panic!("{err}") };
        let got: Vec<_> = e.errors.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(got, [(4, "target.buyer"), (4, "target.campaign")]);
        assert_eq!(store.market_version().await.unwrap(), v);
        assert!(store.load_market().await.unwrap().buyers.is_empty(), "nothing written");
    })
    .await;
}

#[tokio::test]
async fn a_number_belongs_to_one_campaign() {
    each_backend(|store| async move {
        store.import(&market_file::parse(EXAMPLE).unwrap()).await.unwrap();
        let thief = "[[campaign]]\nname = \"other\"\nseller = \"acme-leads\"\nnumbers = [\"+18005550100\"]\npayout = \"1.00\"\n";
        let err = store.import(&market_file::parse(thief).unwrap()).await.unwrap_err();
        let ImportError::Invalid(e) = err else { panic!("{err}") };
        assert_eq!((e.errors[0].line, e.errors[0].field.as_str()), (1, "campaign.numbers"));
        // Moving it by editing both campaigns in one file works.
        let moved = EXAMPLE.replace("numbers = [\"+18005550100\"]", "numbers = [\"+18005550101\"]")
            + "\n[[campaign]]\nname = \"other\"\nseller = \"acme-leads\"\nnumbers = [\"+18005550100\"]\npayout = \"1.00\"\n";
        store.import(&market_file::parse(&moved).unwrap()).await.unwrap();
        let data = store.load_market().await.unwrap();
        let other = data.campaigns.iter().find(|c| c.name == "other").unwrap();
        assert_eq!(other.numbers, [n("+18005550100")]);
    })
    .await;
}

#[tokio::test]
async fn lists_and_consents() {
    each_backend(|store| async move {
        let nums = [
            n("+12125551234").as_u64(),
            n("+13105550000").as_u64(),
            n("+12125551234").as_u64(),
        ];
        assert_eq!(store.add_to_list(ListKind::Dnc, &nums).await.unwrap(), 2);
        assert_eq!(store.add_to_list(ListKind::Dnc, &nums).await.unwrap(), 0);
        let many: Vec<u64> = (0..2500).map(|i| 14155550000 + i).collect();
        assert_eq!(
            store.add_to_list(ListKind::Litigator, &many).await.unwrap(),
            2500
        );
        let lists = store.load_lists().await.unwrap();
        assert!(lists.get(ListKind::Dnc).contains(n("+13105550000")));
        assert_eq!(lists.get(ListKind::Litigator).len(), 2500);
        assert_eq!(
            store
                .remove_from_list(ListKind::Dnc, &nums[..1])
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store.load_lists().await.unwrap().find(n("+12125551234")),
            None
        );

        store
            .import(&market_file::parse(EXAMPLE).unwrap())
            .await
            .unwrap();
        let campaign = store.campaign_id("auto-insurance").await.unwrap();
        store
            .add_consent(&Consent {
                number: n(NY_CALLER),
                campaign,
                granted_at_ms: 1,
                expires_at_ms: None,
                source: "web form".into(),
            })
            .await
            .unwrap();
        let data = store.load_market().await.unwrap();
        assert_eq!(data.consents.len(), 1);
        assert_eq!(data.consents[0].campaign, campaign);
    })
    .await;
}
