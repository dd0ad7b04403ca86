//! `omniportal jobs ...`: what the shared scheduler ran, and running a job by hand.

use clap::Subcommand;
use omni_usecases::account_health::Health;

use crate::startup::Services;

/// `jobs` commands.
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// The runs of a job (refresh_accounts, check_tokens), oldest first.
    Runs {
        /// The job.
        name: String,
    },
    /// Runs a job now in this process (outside the schedule, which stays as it is).
    Run {
        /// The job.
        name: String,
    },
}

/// Runs a `jobs` command.
///
/// # Errors
/// An unknown job, or storage failure.
#[expect(clippy::print_stdout, reason = "a CLI command's result")]
pub async fn jobs(services: &Services, cmd: JobsCommand) -> anyhow::Result<()> {
    let known = |name: &str| {
        if Health::jobs().contains(&name) {
            Ok(())
        } else {
            Err(anyhow::anyhow!(
                "unknown job {name}: {}",
                Health::jobs().join(", ")
            ))
        }
    };
    match cmd {
        JobsCommand::Runs { name } => {
            known(&name)?;
            for r in services.ports.health_repo.job_runs(&name).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    r.started_at.to_rfc3339(),
                    r.finished_at.to_rfc3339(),
                    r.owner,
                    r.result
                );
            }
        }
        JobsCommand::Run { name } => {
            known(&name)?;
            println!("{}", services.health.run_job(&name).await);
        }
    }
    Ok(())
}
