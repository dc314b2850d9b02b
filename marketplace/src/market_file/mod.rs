//! The market file: sellers, buyers, campaigns and targets kept as code.
//!
//! [`parse`] validates a TOML text into a [`MarketSpec`], naming the line
//! and field of every error; [`crate::store::Store::import`] upserts it.
//! The format is documented in `docs/market-file.md`.

mod parse;
mod spec;

pub use parse::parse;
pub use spec::{BuyerSpec, CampaignSpec, MarketSpec, SellerSpec, TargetSpec};

use std::fmt;

/// One problem in a market file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    /// 1-based line.
    pub line: usize,
    /// Which field, as `table.field` (e.g. `target.bid`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.message)
    }
}

/// Every problem found in a market file (validation does not stop at the first).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct MarketFileError {
    /// The problems, in file order.
    pub errors: Vec<FileError>,
}

impl fmt::Display for MarketFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}
