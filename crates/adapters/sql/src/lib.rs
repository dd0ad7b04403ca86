//! The SQL adapter: diesel + diesel_async on Postgres (production) and embedded SQLite (the
//! default), one central database and one database per store. Queries are written once for
//! both engines (see [`db`]); tenant pools open lazily and are capped (see [`tenant`]).

mod account_events;
mod admin;
mod analytics;
mod central;
mod convert;
pub mod db;
mod health;
mod inbox;
mod legacy;
pub mod migrate;
mod outbox;
mod owner_auth;
mod schema;
pub mod tenant;
mod tenant_data;
pub mod tls;

pub use account_events::SqlAccountEventRepo;
pub use admin::{PgAdmin, database_url_with_name};
pub use central::SqlCentralRepo;
pub use db::{DbPool, DbTarget};
pub use health::SqlHealthRepo;
pub use inbox::SqlInboxRepo;
pub use legacy::SqlLegacyStoreRepo;
pub use migrate::{Schema, revert_all_migrations, run_migrations};
pub use outbox::SqlOutboxRepo;
pub use owner_auth::SqlOwnerAuthRepo;
pub use tenant::{SqlTenantRepo, TenantConfig};
