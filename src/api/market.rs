//! What the market resources (`sellers`, `buyers`, `campaigns`, `targets`,
//! `lists`) share: parsing money and durations the way the market file
//! does, list queries with filters and a sort order, and the "still in
//! use" check before a delete.
//!
//! Every write to the market tables runs in a transaction from
//! [`begin_write`], which moves the market's change counter: the running
//! switch rebuilds its snapshot within one reload interval.

use super::error::ApiError;
use super::page::PageParams;
use super::ApiState;
use dce_marketplace::domain::{Money, PhoneNumber};
use dce_marketplace::store::market_write;
use serde::{Deserialize, Deserializer};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, AnyPool, Transaction};

/// For `PATCH` bodies: a field absent (`None`), set to `null`
/// (`Some(None)`) or to a value (`Some(Some(v))`). Use with
/// `#[serde(default, deserialize_with = "nullable")]`.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Begins a transaction that changes the market, moving the market's
/// change counter first. The counter row is then locked until commit (a
/// row lock on PostgreSQL, the write lock on SQLite), so market writes
/// run one after another: a handler that reads an object inside this
/// transaction, changes it and writes it back never loses a concurrent
/// change. A rollback (any error) takes the bump back with it.
pub async fn begin_write(api: &ApiState) -> Result<Transaction<'static, Any>, ApiError> {
    let mut tx = api.store.pool().begin().await?;
    market_write::bump_market(&mut tx).await?;
    Ok(tx)
}

/// Renames row `id` of `table` (a market table with a unique `name`):
/// 400 naming `name` for an invalid one, 409 with `taken` when another
/// row has it.
pub async fn rename(
    conn: &mut AnyConnection,
    table: &'static str,
    id: i64,
    text: &str,
    taken: &'static str,
) -> Result<(), ApiError> {
    sqlx::query(&format!("UPDATE {table} SET name = $1 WHERE id = $2"))
        .bind(name("name", text)?)
        .bind(id)
        .execute(conn)
        .await
        .map_err(ApiError::unique("name", taken))?;
    Ok(())
}

/// An E.164 number like `"+12125551234"`; 400 naming `field` otherwise.
pub fn phone(field: &str, text: &str) -> Result<PhoneNumber, ApiError> {
    PhoneNumber::parse(text.trim()).map_err(|e| ApiError::invalid(field, format!("{text:?}: {e}")))
}

/// A non-negative amount like `"12.50"`; 400 naming `field` otherwise.
pub fn money(field: &str, text: &str) -> Result<Money, ApiError> {
    match Money::parse(text.trim()) {
        Ok(m) if !m.is_negative() => Ok(m),
        Ok(_) => Err(ApiError::invalid(field, "must not be negative")),
        Err(e) => Err(ApiError::invalid(field, format!("{text:?}: {e}"))),
    }
}

/// A name: trimmed, 1 to 200 characters.
pub fn name(field: &str, text: &str) -> Result<String, ApiError> {
    let n = text.trim();
    if n.is_empty() || n.chars().count() > 200 {
        return Err(ApiError::invalid(field, "must be 1 to 200 characters"));
    }
    plain(field, n)?;
    Ok(n.to_string())
}

/// 400 naming `field` when `text` holds control characters (PostgreSQL
/// refuses NUL in text; none belongs in a name, URI or filter).
pub fn plain(field: &str, text: &str) -> Result<(), ApiError> {
    if text.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// A text filter of a list query (`?name=…`), checked by [`plain`].
pub fn text_arg(field: &str, text: Option<String>) -> Result<Option<Arg>, ApiError> {
    text.map(|t| plain(field, &t).map(|()| Arg::Text(t)))
        .transpose()
}

/// A stored flag column (0/1) as a bool.
pub fn flag(v: i64) -> bool {
    v != 0
}

/// One bound value of a dynamically built query.
#[derive(Clone, Debug)]
pub enum Arg {
    /// An integer.
    Int(i64),
    /// A text.
    Text(String),
}

/// A sortable column of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortColumn {
    /// The name clients pass in `sort` (prefix `-` for descending).
    pub name: &'static str,
    /// The SQL column.
    pub column: &'static str,
    /// Whether the column is text (else an integer).
    pub text: bool,
}

/// The ordering of a list: a column, its direction, and `id` as tiebreak.
#[derive(Clone, Copy, Debug)]
pub struct Sort {
    column: SortColumn,
    desc: bool,
}

impl Sort {
    /// The sort column's client name (to build an item's cursor key).
    pub fn key(&self) -> &'static str {
        self.column.name
    }

    /// Reads `sort` (`name`, `-bid`, …) among `columns` (the first is the
    /// default); 400 naming `sort` for another.
    pub fn parse(sort: Option<&str>, columns: &[SortColumn]) -> Result<Sort, ApiError> {
        let Some(text) = sort else {
            return Ok(Sort {
                column: columns[0],
                desc: false,
            });
        };
        let (desc, name) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let column = columns.iter().find(|c| c.name == name).ok_or_else(|| {
            let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
            ApiError::invalid(
                "sort",
                format!(
                    "{text:?} is not one of {} (prefix - for descending)",
                    names.join(", ")
                ),
            )
        })?;
        Ok(Sort {
            column: *column,
            desc,
        })
    }
}

/// The cursor of a sorted list: the last item's sort value and id.
pub type Cursor = (serde_json::Value, i64);

/// A `SELECT … WHERE … ORDER BY … LIMIT` built from optional filters, a
/// sort and a page, with `$n` parameters (both databases).
pub struct ListQuery {
    select: String,
    clauses: Vec<String>,
    args: Vec<Arg>,
}

impl ListQuery {
    /// Starts from `select` (`SELECT … FROM t`).
    pub fn new(select: impl Into<String>) -> ListQuery {
        ListQuery {
            select: select.into(),
            clauses: Vec::new(),
            args: Vec::new(),
        }
    }

    /// Adds `clause`, whose `?` is the next parameter, bound to `arg`.
    pub fn filter(&mut self, clause: &str, arg: Arg) -> &mut ListQuery {
        self.args.push(arg);
        self.clauses
            .push(clause.replace('?', &format!("${}", self.args.len())));
        self
    }

    /// Adds a filter only when `arg` is set.
    pub fn filter_opt(&mut self, clause: &str, arg: Option<Arg>) -> &mut ListQuery {
        if let Some(a) = arg {
            self.filter(clause, a);
        }
        self
    }

    /// Runs it for one page in `sort` order; returns the rows (at most
    /// `limit + 1`, for [`super::page::Page::from_rows`]) and the limit.
    pub async fn page(
        mut self,
        pool: &AnyPool,
        sort: Sort,
        page: &PageParams,
    ) -> Result<(Vec<AnyRow>, i64), ApiError> {
        let limit = page.limit()?;
        let dir = if sort.desc { "DESC" } else { "ASC" };
        let cmp = if sort.desc { "<" } else { ">" };
        let col = sort.column.column;
        if let Some((value, id)) = page.after::<Cursor>()? {
            let bad = || ApiError::invalid("cursor", "not a cursor from this list");
            if col == "id" {
                self.filter(&format!("id {cmp} ?"), Arg::Int(id));
            } else {
                let v = if sort.column.text {
                    let text = value.as_str().ok_or_else(bad)?;
                    plain("cursor", text)?;
                    Arg::Text(text.to_string())
                } else {
                    Arg::Int(value.as_i64().ok_or_else(bad)?)
                };
                self.args.push(v);
                self.args.push(Arg::Int(id));
                let n = self.args.len();
                self.clauses
                    .push(format!("({col}, id) {cmp} (${}, ${n})", n - 1));
            }
        }
        let mut sql = self.select.clone();
        if !self.clauses.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&self.clauses.join(" AND "));
        }
        if col == "id" {
            sql.push_str(&format!(" ORDER BY id {dir}"));
        } else {
            sql.push_str(&format!(" ORDER BY {col} {dir}, id {dir}"));
        }
        self.args.push(Arg::Int(limit + 1));
        sql.push_str(&format!(" LIMIT ${}", self.args.len()));
        let mut q = sqlx::query(&sql);
        for a in self.args {
            q = match a {
                Arg::Int(i) => q.bind(i),
                Arg::Text(t) => q.bind(t),
            };
        }
        Ok((q.fetch_all(pool).await?, limit))
    }
}

/// Whether `sql` (`SELECT COUNT(*) … WHERE x = $1`) counts any row for `id`.
pub async fn in_use(conn: &mut AnyConnection, sql: &str, id: i64) -> Result<bool, ApiError> {
    let (n,): (i64,) = sqlx::query_as(sql).bind(id).fetch_one(conn).await?;
    Ok(n > 0)
}

/// 409 unless none of `checks` (`(sql, what)`) finds a row for `id`.
pub async fn ensure_unused(
    conn: &mut AnyConnection,
    id: i64,
    checks: &[(&str, &str)],
) -> Result<(), ApiError> {
    for (sql, what) in checks {
        if in_use(conn, sql, id).await? {
            return Err(ApiError::Conflict {
                field: None,
                message: format!("still {what}: disable it instead, or remove those first"),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: [SortColumn; 2] = [
        SortColumn {
            name: "id",
            column: "id",
            text: false,
        },
        SortColumn {
            name: "name",
            column: "name",
            text: true,
        },
    ];

    #[test]
    fn sort_reads_direction_and_rejects_unknown_columns() {
        let s = Sort::parse(Some("-name"), &COLS).unwrap();
        assert!(s.desc && s.column.column == "name");
        assert_eq!(Sort::parse(None, &COLS).unwrap().column.name, "id");
        match Sort::parse(Some("bid"), &COLS) {
            Err(ApiError::Invalid { field, .. }) => assert_eq!(field.as_deref(), Some("sort")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn money_is_exact_and_non_negative() {
        assert_eq!(money("bid", "12.5").unwrap(), Money::from_minor(1250));
        assert!(money("bid", "-1.00").is_err());
        assert!(money("bid", "1.005").is_err());
    }
}
