//! The central registry, one port per aggregate: owners, stores, WhatsApp accounts, and the
//! database's liveness. The webhook inbox, the outbox, owner sessions, health data and
//! account events also live in the central database but are their own ports.
//!
//! [`CentralRepo`] is the bundle the use cases held before the split, implemented for every
//! type that implements the four parts.

mod accounts;
mod db;
mod owners;
mod stores;

pub use accounts::{AccountRepo, AccountSecrets};
pub use db::CentralDbRepo;
pub use owners::OwnerRepo;
pub use stores::StoreRepo;

/// Owners, stores and accounts together. A bundle: implemented for every type with all its
/// parts.
pub trait CentralRepo: CentralDbRepo + OwnerRepo + StoreRepo + AccountRepo {}

impl<T> CentralRepo for T where T: CentralDbRepo + OwnerRepo + StoreRepo + AccountRepo + ?Sized {}
