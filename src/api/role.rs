//! Who is calling: the [`Caller`] extractor, its [`Role`], and the tenancy
//! rules every resource module applies.
//!
//! - An admin sees and changes everything.
//! - A buyer or seller sees only what belongs to its own buyer or seller id.
//! - An endpoint only admins may use answers `403` to anyone else
//!   ([`Caller::require_admin`]).
//! - An object of another tenant answers `404`, exactly as a missing one
//!   would: never `403`, never its data ([`Caller::check_account`],
//!   [`Caller::check_buyer`], [`Caller::check_seller`]).

use super::audit::Actor;
use super::error::ApiError;
use super::limit::Principal;
use super::store;
use super::ApiState;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use dce_marketplace::domain::{BuyerId, SellerId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Instant;
use utoipa::ToSchema;

/// What an account may do, with the market id it acts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The house: everything.
    Admin,
    /// One buyer's own targets, bids, calls, charges and balance.
    Buyer(BuyerId),
    /// One seller's own campaigns, calls and payouts.
    Seller(SellerId),
}

/// An account's kind, as stored and shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    /// The house.
    Admin,
    /// A buyer (call center).
    Buyer,
    /// A seller (publisher).
    Seller,
}

impl AccountKind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Admin => "admin",
            AccountKind::Buyer => "buyer",
            AccountKind::Seller => "seller",
        }
    }

    /// Reads the stored spelling.
    pub fn parse(s: &str) -> Option<AccountKind> {
        match s {
            "admin" => Some(AccountKind::Admin),
            "buyer" => Some(AccountKind::Buyer),
            "seller" => Some(AccountKind::Seller),
            _ => None,
        }
    }
}

impl Role {
    /// The role of a stored account (`kind`, `buyer_id`, `seller_id`).
    pub fn from_account(
        kind: &str,
        buyer: Option<i64>,
        seller: Option<i64>,
    ) -> Result<Role, ApiError> {
        match (AccountKind::parse(kind), buyer, seller) {
            (Some(AccountKind::Admin), None, None) => Ok(Role::Admin),
            (Some(AccountKind::Buyer), Some(b), None) => Ok(Role::Buyer(BuyerId(b))),
            (Some(AccountKind::Seller), None, Some(s)) => Ok(Role::Seller(SellerId(s))),
            _ => Err(ApiError::internal(format!(
                "stored account of kind {kind:?} is inconsistent"
            ))),
        }
    }

    /// The account kind.
    pub fn kind(self) -> AccountKind {
        match self {
            Role::Admin => AccountKind::Admin,
            Role::Buyer(_) => AccountKind::Buyer,
            Role::Seller(_) => AccountKind::Seller,
        }
    }

    /// Reads the `role` claim: `admin`, `buyer:ID` or `seller:ID`.
    pub fn parse_claim(s: &str) -> Option<Role> {
        match s.split_once(':') {
            None if s == "admin" => Some(Role::Admin),
            Some(("buyer", id)) => id.parse().ok().map(|id| Role::Buyer(BuyerId(id))),
            Some(("seller", id)) => id.parse().ok().map(|id| Role::Seller(SellerId(id))),
            _ => None,
        }
    }
}

/// The `role` claim's spelling.
impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Admin => f.write_str("admin"),
            Role::Buyer(b) => write!(f, "buyer:{b}"),
            Role::Seller(s) => write!(f, "seller:{s}"),
        }
    }
}

/// The authenticated caller of a request: a user (access token) or a
/// machine client (API key), acting for one account.
///
/// Put it in a handler's arguments to require authentication; it also
/// counts the request against the caller's rate limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The account acted for.
    pub account_id: i64,
    /// The user, when authenticated by an access token.
    pub user_id: Option<i64>,
    /// The API key, when authenticated by one.
    pub api_key_id: Option<i64>,
    /// What the account may do.
    pub role: Role,
}

impl Caller {
    /// Whether the caller is the house.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// `403` unless the caller is an admin: for endpoints only the house uses.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// `404` unless the caller may see the account (admin, or its own).
    pub fn check_account(&self, account_id: i64) -> Result<(), ApiError> {
        if self.is_admin() || self.account_id == account_id {
            Ok(())
        } else {
            Err(ApiError::NotFound)
        }
    }

    /// `404` unless the caller may see this buyer's objects.
    pub fn check_buyer(&self, buyer: BuyerId) -> Result<(), ApiError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Buyer(b) if b == buyer => Ok(()),
            _ => Err(ApiError::NotFound),
        }
    }

    /// `404` unless the caller may see this seller's objects.
    pub fn check_seller(&self, seller: SellerId) -> Result<(), ApiError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Seller(s) if s == seller => Ok(()),
            _ => Err(ApiError::NotFound),
        }
    }

    /// For list queries: `None` for an admin (every account), else the
    /// caller's own account.
    pub fn account_scope(&self) -> Option<i64> {
        (!self.is_admin()).then_some(self.account_id)
    }

    /// Who to name in the audit log.
    pub fn actor(&self) -> Actor {
        Actor {
            account_id: Some(self.account_id),
            user_id: self.user_id,
            api_key_id: self.api_key_id,
        }
    }

    fn principal(&self) -> Principal {
        match (self.api_key_id, self.user_id) {
            (Some(k), _) => Principal::Key(k),
            (None, Some(u)) => Principal::User(u),
            (None, None) => Principal::Account(self.account_id),
        }
    }
}

/// API keys start with this, which tells them from access tokens.
pub const API_KEY_PREFIX: &str = "dce_";

impl<S: Send + Sync> FromRequestParts<S> for Caller
where
    ApiState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let api = ApiState::from_ref(state);
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or(ApiError::Unauthenticated("missing bearer token"))?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .ok_or(ApiError::Unauthenticated("expected Authorization: Bearer"))?;
        let caller = if token.starts_with(API_KEY_PREFIX) {
            store::caller_for_key(api.store.pool(), token)
                .await?
                .ok_or(ApiError::Unauthenticated("invalid or revoked API key"))?
        } else {
            api.tokens.verify(token)?
        };
        api.limiter
            .check(caller.principal(), Instant::now())
            .map_err(|retry_after| ApiError::RateLimited { retry_after })?;
        Ok(caller)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_claims_round_trip() {
        for r in [
            Role::Admin,
            Role::Buyer(BuyerId(7)),
            Role::Seller(SellerId(3)),
        ] {
            assert_eq!(Role::parse_claim(&r.to_string()), Some(r));
        }
        assert_eq!(Role::parse_claim("root"), None);
        assert_eq!(Role::parse_claim("buyer:x"), None);
    }

    #[test]
    fn another_tenant_is_not_found_and_admin_only_is_forbidden() {
        let buyer = Caller {
            account_id: 2,
            user_id: Some(5),
            api_key_id: None,
            role: Role::Buyer(BuyerId(1)),
        };
        assert!(matches!(
            buyer.check_buyer(BuyerId(2)),
            Err(ApiError::NotFound)
        ));
        assert!(matches!(buyer.check_account(3), Err(ApiError::NotFound)));
        assert!(matches!(
            buyer.check_seller(SellerId(1)),
            Err(ApiError::NotFound)
        ));
        assert!(matches!(buyer.require_admin(), Err(ApiError::Forbidden)));
        assert!(buyer.check_buyer(BuyerId(1)).is_ok());
        assert_eq!(buyer.account_scope(), Some(2));
    }
}
