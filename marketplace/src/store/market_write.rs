//! Writes to the market tables made one at a time (by the management API),
//! inside the caller's transaction so an audit record commits with them.
//!
//! Every function that changes sellers, buyers, campaigns or targets is
//! followed, in the same transaction, by [`bump_market`]; the number lists
//! by [`bump_lists`]. The running switch polls those counters and rebuilds
//! its snapshot within one reload interval.

use super::{bump, now_ms};
use crate::domain::ListKind;
use ipnet::IpNet;
use sqlx::AnyConnection;
use std::net::IpAddr;

/// Rows per INSERT: well under SQLite's 32766-parameter limit.
const BATCH_ROWS: usize = 1000;

/// Moves the market's change counter: call after any change to sellers,
/// trunks, buyers, campaigns, numbers or targets.
pub async fn bump_market(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    bump(conn, "market").await.map(|_| ())
}

/// Moves the number lists' change counter.
pub async fn bump_lists(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    bump(conn, "lists").await.map(|_| ())
}

/// Adds numbers (as [`crate::domain::PhoneNumber::as_u64`]) to a list,
/// keeping those already there; how many were new. Does not bump.
pub async fn add_list_numbers(
    conn: &mut AnyConnection,
    kind: ListKind,
    numbers: &[u64],
) -> Result<u64, sqlx::Error> {
    let now = now_ms();
    let mut added = 0;
    for chunk in numbers.chunks(BATCH_ROWS) {
        let mut sql = String::from("INSERT INTO number_lists (list, number, added_at) VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("($1, ${}, $2)", i + 3));
        }
        sql.push_str(" ON CONFLICT (list, number) DO NOTHING");
        let mut q = sqlx::query(&sql).bind(kind.as_str()).bind(now);
        for n in chunk {
            q = q.bind(*n as i64);
        }
        added += q.execute(&mut *conn).await?.rows_affected();
    }
    Ok(added)
}

/// Removes one number from a list; whether it was there. Does not bump.
pub async fn remove_list_number(
    conn: &mut AnyConnection,
    kind: ListKind,
    number: u64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("DELETE FROM number_lists WHERE list = $1 AND number = $2")
        .bind(kind.as_str())
        .bind(number as i64)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() > 0)
}

/// A trunk as the market file reads it: an address (`192.0.2.10`, a /32)
/// or a network (`192.0.2.0/24`), host bits cleared.
pub fn parse_trunk(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
        .map(|n| n.trunc())
}

/// Whether two trunks share an address: then a call from that address
/// could be credited to either seller.
pub fn trunks_overlap(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunks_read_like_the_market_file_and_overlaps_are_seen() {
        let a = parse_trunk("192.0.2.10").unwrap();
        assert_eq!(a.to_string(), "192.0.2.10/32");
        let net = parse_trunk("192.0.2.77/24").unwrap();
        assert_eq!(net.to_string(), "192.0.2.0/24");
        assert!(trunks_overlap(&a, &net) && trunks_overlap(&net, &a));
        assert!(!trunks_overlap(
            &a,
            &parse_trunk("198.51.100.0/24").unwrap()
        ));
        assert!(parse_trunk("10.0.0.300").is_none());
    }
}
