//! Number lists and consents in the store.

use super::{bump, now_ms, Store, StoreError};
use crate::compliance::{Lists, NumberSet};
use crate::domain::{CampaignId, Consent, ListKind};
use futures_util::TryStreamExt;

/// Rows per INSERT: well under SQLite's 32766-parameter limit.
const BATCH: usize = 1000;

impl Store {
    /// Adds numbers to a list (already present ones are kept); returns how many were new.
    pub async fn add_to_list(&self, kind: ListKind, numbers: &[u64]) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut added = 0;
        let now = now_ms();
        for chunk in numbers.chunks(BATCH) {
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
            added += q.execute(&mut *tx).await?.rows_affected();
        }
        super::bump(&mut *tx, "lists").await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Removes numbers from a list; returns how many were there.
    pub async fn remove_from_list(
        &self,
        kind: ListKind,
        numbers: &[u64],
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut removed = 0;
        for n in numbers {
            removed += sqlx::query("DELETE FROM number_lists WHERE list = $1 AND number = $2")
                .bind(kind.as_str())
                .bind(*n as i64)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        bump(&mut *tx, "lists").await?;
        tx.commit().await?;
        Ok(removed)
    }

    /// Loads every list into memory, streaming rows (ten million fit).
    pub async fn load_lists(&self) -> Result<Lists, StoreError> {
        let mut lists = Lists::default();
        for kind in ListKind::ALL {
            let mut numbers = Vec::new();
            let mut rows =
                sqlx::query_as::<_, (i64,)>("SELECT number FROM number_lists WHERE list = $1")
                    .bind(kind.as_str())
                    .fetch(&self.pool);
            while let Some((n,)) = rows.try_next().await? {
                numbers.push(n as u64);
            }
            lists.set(kind, NumberSet::from_numbers(numbers));
        }
        Ok(lists)
    }

    /// Records a consent.
    pub async fn add_consent(&self, consent: &Consent) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO consents (number, campaign_id, granted_at_ms, expires_at_ms, source) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(consent.number.as_u64() as i64)
        .bind(consent.campaign.map(|c| c.0))
        .bind(consent.granted_at_ms)
        .bind(consent.expires_at_ms)
        .bind(&consent.source)
        .execute(&mut *tx)
        .await?;
        bump(&mut *tx, "market").await?;
        tx.commit().await?;
        Ok(())
    }

    /// The id of a buyer by name.
    pub async fn buyer_id(&self, name: &str) -> Result<Option<crate::domain::BuyerId>, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM buyers WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| crate::domain::BuyerId(r.0)))
    }

    /// The id of a campaign by name.
    pub async fn campaign_id(&self, name: &str) -> Result<Option<CampaignId>, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM campaigns WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| CampaignId(r.0)))
    }
}
