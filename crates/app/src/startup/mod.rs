//! Wiring, in three steps: [`Ports::from_settings`] chooses every adapter (the only code
//! that names one), [`Services::new`] builds every use case from the ports, and
//! [`crate::http::AppState`] adds the HTTP side's configuration (`AppState::build` runs the
//! three). A test that swaps a port calls [`prepare`], replaces a field of the [`Ports`], then
//! the other two. [`start_pipeline`] starts the background work from the services.

mod ports;
mod services;
mod workers;

use omni_sql::{DbTarget, Schema, run_migrations};

pub use ports::{Ports, SystemClock};
pub use services::Services;
pub use workers::start_pipeline;

use crate::settings::{CentralDatabase, Settings};

/// The central database target from the settings.
///
/// # Errors
/// When DATABASE_URL is invalid.
pub fn central_target(settings: &Settings) -> anyhow::Result<DbTarget> {
    Ok(match settings.central_database()? {
        CentralDatabase::Postgres(url) => DbTarget::Postgres(url),
        CentralDatabase::Sqlite(path) => DbTarget::Sqlite(path),
    })
}

/// Migrates the central database (tenant databases migrate when opened).
///
/// # Errors
/// When the database is unreachable or a migration fails.
pub async fn migrate_central(settings: &Settings) -> anyhow::Result<usize> {
    let target = central_target(settings)?;
    if let DbTarget::Sqlite(path) = &target
        && let Some(dir) = path.parent()
    {
        std::fs::create_dir_all(dir)?;
    }
    let ran = run_migrations(&target, Schema::Central).await?;
    if ran > 0 {
        tracing::info!(migrations = ran, "central database migrated");
    }
    Ok(ran)
}

/// [`prepare`] and [`Services::new`]: what the CLI's commands other than `serve` run on.
///
/// # Errors
/// A message naming what could not be set up.
pub async fn services(settings: &Settings) -> anyhow::Result<Services> {
    Ok(Services::new(&prepare(settings).await?, settings))
}

/// Creates the data directory, migrates the central database (unless disabled) and builds
/// the ports: what `AppState::build` does before the services, for callers (tests) that swap a port.
///
/// # Errors
/// A message naming what could not be set up.
pub async fn prepare(settings: &Settings) -> anyhow::Result<Ports> {
    std::fs::create_dir_all(&settings.database.data_dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot create data directory {}: {e}",
            settings.database.data_dir.display()
        )
    })?;
    if settings.database.run_migrations {
        migrate_central(settings).await?;
    }
    Ports::from_settings(settings)
}
