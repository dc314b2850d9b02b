//! Cursor pagination for list endpoints.
//!
//! A list takes `?limit=N&cursor=C` ([`PageParams`]) and answers
//! [`Page`]`{ items, next_cursor }`. The cursor is opaque to clients: it is
//! the sort key of the last item returned, JSON in base64url, so a page
//! stays stable while rows are added. Query `limit + 1` rows ordered by the
//! key, after the decoded key, and let [`Page::from_rows`] cut and encode.
//!
//! ```ignore
//! let after: Option<i64> = params.after()?;
//! let limit = params.limit()?;
//! let rows = store::list_things(pool, after.unwrap_or(0), limit + 1).await?;
//! Ok(Json(Page::from_rows(rows, limit, |t| t.id)))
//! ```

use super::error::ApiError;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Items per page when `limit` is absent.
pub const DEFAULT_LIMIT: i64 = 50;
/// The most items a page holds.
pub const MAX_LIMIT: i64 = 500;

/// `?limit` and `?cursor`. Take it as its own extractor,
/// `ApiQuery(page): ApiQuery<PageParams>`, beside an `ApiQuery` of the
/// list's filters (serde's `flatten` cannot read numbers from a query string).
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page; absent for the first.
    pub cursor: Option<String>,
}

impl PageParams {
    /// The page size; 400 on `limit` outside 1..=[`MAX_LIMIT`].
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::invalid(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            )),
        }
    }

    /// The sort key the page starts after; 400 on a cursor DCE did not make.
    pub fn after<K: DeserializeOwned>(&self) -> Result<Option<K>, ApiError> {
        let Some(c) = &self.cursor else {
            return Ok(None);
        };
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(c)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .map(Some)
            .ok_or_else(|| ApiError::invalid("cursor", "not a cursor from this list"))
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items, in the list's order.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The page from `rows` fetched with `LIMIT limit + 1`: more than
    /// `limit` rows means there is a next page, starting after the last kept.
    pub fn from_rows<K: Serialize>(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> K) -> Page<T> {
        let limit = usize::try_from(limit).unwrap_or(0);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| encode_cursor(&key(last)))
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

fn encode_cursor<K: Serialize>(key: &K) -> String {
    let json = serde_json::to_vec(key).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cut_and_cursors_round_trip() {
        let p = Page::from_rows(vec![1i64, 2, 3], 2, |x| *x);
        assert_eq!(p.items, vec![1, 2]);
        let params = PageParams {
            limit: Some(2),
            cursor: p.next_cursor,
        };
        assert_eq!(params.after::<i64>().unwrap(), Some(2));
        assert!(Page::from_rows(vec![1i64], 2, |x| *x).next_cursor.is_none());
        let bad = PageParams {
            limit: Some(0),
            cursor: Some("!!".into()),
        };
        assert!(bad.limit().is_err());
        assert!(bad.after::<i64>().is_err());
    }
}
