//! Operator commands: connect a number by hand, set a store's auto-reply, and look into the
//! inbox and outbox (the operator listing of unroutable and dead webhook events); [`jobs`]
//! lists and runs the shared scheduled jobs.

pub mod jobs;

use std::io::BufRead;

use chrono::Utc;
use clap::Subcommand;
use omni_domain::{PhoneNumber, PhoneNumberId, StoreId, WabaId};
use omni_ports::{InboxState, OutboxState};
use secrecy::SecretString;

use crate::startup::Services;

/// `account` commands.
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Add an active, verified account to a store. The access token is read from stdin (first
    /// line) unless --token is given.
    Add {
        /// The store id.
        #[arg(long)]
        store: String,
        /// Meta's phone_number_id.
        #[arg(long)]
        phone_number_id: String,
        /// The WABA id.
        #[arg(long)]
        waba: String,
        /// The number (E.164 or local Pakistani form).
        #[arg(long)]
        phone: String,
        /// Access token (visible in the process list: prefer stdin).
        #[arg(long)]
        token: Option<String>,
        /// Make it the store's default number.
        #[arg(long)]
        default: bool,
    },
}

/// `inbox` commands.
#[derive(Debug, Subcommand)]
pub enum InboxCommand {
    /// Events per state.
    Stats,
    /// The newest events in a state (default: unroutable).
    List {
        /// pending, leased, done, dead or unroutable.
        #[arg(long, default_value = "unroutable")]
        state: String,
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Put a dead or unroutable event back in the queue (after fixing its cause).
    Requeue {
        /// The event id.
        id: i64,
    },
}

/// `outbox` commands.
#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Messages per state.
    Stats,
    /// The newest messages, optionally in one state.
    List {
        /// pending, sending, sent or failed.
        #[arg(long)]
        state: Option<String>,
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Put parked (failed) messages back in the queue, after a long Meta outage or once a
    /// number is reconnected. Only messages Meta never accepted; at least one filter, or --all.
    Requeue {
        /// One message (its id in `outbox list`).
        #[arg(long)]
        id: Option<i64>,
        /// Only from this phone_number_id.
        #[arg(long)]
        sender: Option<String>,
        /// Only those parked with this error code (`timeout`, `temporary`, `reauth_required`,
        /// Meta's numeric code, ...).
        #[arg(long)]
        code: Option<String>,
        /// Only those parked at or after this time (RFC 3339, e.g. 2026-11-30T09:00:00Z).
        #[arg(long)]
        since: Option<String>,
        /// Every parked message.
        #[arg(long, conflicts_with_all = ["id", "sender", "code", "since"])]
        all: bool,
    },
}

fn store_id(raw: &str) -> anyhow::Result<StoreId> {
    StoreId::parse(raw).map_err(|e| anyhow::anyhow!("--store: {e}"))
}

/// `store auto-reply`.
///
/// # Errors
/// A bad store id, an unknown store, or storage failure.
#[expect(clippy::print_stdout, reason = "a CLI command's result")]
pub async fn auto_reply(
    services: &Services,
    store: &str,
    text: Option<&str>,
    clear: bool,
) -> anyhow::Result<()> {
    let store = store_id(store)?;
    services
        .ports
        .central
        .find_store(store)
        .await?
        .ok_or_else(|| anyhow::anyhow!("--store: no such store"))?;
    let text = match (text, clear) {
        (Some(t), false) if !t.trim().is_empty() => Some(t),
        (None, true) => None,
        _ => anyhow::bail!("give --text with a non-empty text, or --clear"),
    };
    services
        .ports
        .tenants
        .set_auto_reply(store, text, services.ports.clock.now())
        .await?;
    match text {
        Some(_) => println!("auto-reply set for store {store}"),
        None => println!("auto-reply cleared for store {store}"),
    }
    Ok(())
}

/// `account ...`.
///
/// # Errors
/// Bad arguments, a number already connected, or storage failure.
#[expect(clippy::print_stdout, reason = "a CLI command's result")]
pub async fn account(services: &Services, cmd: AccountCommand) -> anyhow::Result<()> {
    let AccountCommand::Add {
        store,
        phone_number_id,
        waba,
        phone,
        token,
        default,
    } = cmd;
    let store = store_id(&store)?;
    services
        .ports
        .central
        .find_store(store)
        .await?
        .ok_or_else(|| anyhow::anyhow!("--store: no such store"))?;
    let number = PhoneNumberId::parse(&phone_number_id)
        .map_err(|e| anyhow::anyhow!("--phone-number-id: {e}"))?;
    let waba = WabaId::parse(&waba).map_err(|e| anyhow::anyhow!("--waba: {e}"))?;
    let phone = PhoneNumber::parse(&phone).map_err(|e| anyhow::anyhow!("--phone: {e}"))?;
    let token = match token {
        Some(t) => SecretString::from(t),
        None => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            let line = line.trim().to_owned();
            anyhow::ensure!(!line.is_empty(), "no access token on stdin");
            SecretString::from(line)
        }
    };
    let account = omni_usecases::sealed_account(
        services.ports.cipher.as_ref(),
        store,
        phone,
        number,
        waba,
        &token,
        services.ports.clock.now(),
    )?;
    match services.ports.central.insert_account(&account).await {
        Ok(()) => {}
        Err(omni_ports::RepoError::Conflict { .. }) => {
            anyhow::bail!("--phone-number-id: this number is already connected to a store")
        }
        Err(e) => return Err(e.into()),
    }
    if default {
        services
            .ports
            .central
            .set_default_account(store, Some(account.id))
            .await?;
    }
    println!(
        "account {} added: {} ({}) for store {store}",
        account.id,
        account.phone_number.as_str(),
        account.phone_number_id.as_str()
    );
    Ok(())
}

/// `inbox ...`.
///
/// # Errors
/// A bad state name or storage failure.
#[expect(clippy::print_stdout, reason = "a CLI command's result")]
pub async fn inbox(services: &Services, cmd: InboxCommand) -> anyhow::Result<()> {
    match cmd {
        InboxCommand::Stats => {
            for (s, n) in services.ports.inbox.counts().await? {
                println!("{:<11} {n}", s.as_str());
            }
        }
        InboxCommand::List {
            state: which,
            limit,
        } => {
            let which = InboxState::parse(&which).ok_or_else(|| {
                anyhow::anyhow!("--state: pending, leased, done, dead or unroutable")
            })?;
            for e in services.ports.inbox.list(which, limit).await? {
                println!(
                    "{}\t{}\t{}\t{}:{}\tattempts={}\treceived={}\t{}",
                    e.id,
                    e.state.as_str(),
                    e.field,
                    e.route_kind,
                    e.route_id,
                    e.attempts,
                    e.received_at.to_rfc3339(),
                    e.last_error.unwrap_or_default()
                );
            }
        }
        InboxCommand::Requeue { id } => {
            if services
                .ports
                .inbox
                .requeue(id, services.ports.clock.now())
                .await?
            {
                println!("event {id} queued again");
            } else {
                anyhow::bail!("event {id} is not dead or unroutable (or does not exist)");
            }
        }
    }
    Ok(())
}

/// `outbox ...`.
///
/// # Errors
/// A bad state name or storage failure.
#[expect(clippy::print_stdout, reason = "a CLI command's result")]
pub async fn outbox(services: &Services, cmd: OutboxCommand) -> anyhow::Result<()> {
    match cmd {
        OutboxCommand::Stats => {
            for (s, n) in services.ports.outbox.counts().await? {
                println!("{:<8} {n}", s.as_str());
            }
        }
        OutboxCommand::List {
            state: which,
            limit,
        } => {
            let which = which
                .map(|w| {
                    OutboxState::parse(&w)
                        .ok_or_else(|| anyhow::anyhow!("--state: pending, sending, sent or failed"))
                })
                .transpose()?;
            for m in services.ports.outbox.list(None, which, limit).await? {
                println!(
                    "{}\t{}\t{}\tfrom={}\tattempts={}\twamid={}\t{}",
                    m.id,
                    m.state.as_str(),
                    m.idempotency_key,
                    m.sender.as_str(),
                    m.attempts,
                    m.wamid.unwrap_or_default(),
                    m.error.unwrap_or_default()
                );
            }
        }
        OutboxCommand::Requeue {
            id,
            sender,
            code,
            since,
            all,
        } => {
            let filter = omni_ports::RequeueFilter {
                id,
                sender: sender
                    .map(|s| PhoneNumberId::parse(&s).map_err(|e| anyhow::anyhow!("--sender: {e}")))
                    .transpose()?,
                error_code: code
                    .map(|c| {
                        omni_ports::SendFailure::parse(&c).ok_or_else(|| {
                            anyhow::anyhow!(
                                "--code: {c:?} is not an error code we record (Meta's numeric code such as 131047, or ours such as outside_window, reauth_required, messaging_limit)"
                            )
                        })
                    })
                    .transpose()?,
                failed_since: since
                    .map(|s| {
                        chrono::DateTime::parse_from_rfc3339(&s)
                            .map(|t| t.with_timezone(&Utc))
                            .map_err(|e| anyhow::anyhow!("--since: {e} (RFC 3339 expected)"))
                    })
                    .transpose()?,
            };
            if !all && filter == omni_ports::RequeueFilter::default() {
                anyhow::bail!(
                    "give --id, --sender, --code or --since (or --all for every parked message)"
                );
            }
            let (requeued, not_reopened) = omni_usecases::outbound::requeue_failed(
                services.ports.outbox.as_ref(),
                services.ports.tenants.as_ref(),
                &filter,
                services.ports.clock.now(),
            )
            .await?;
            for m in &requeued {
                println!(
                    "{}\t{}\tfrom={}",
                    m.id,
                    m.idempotency_key,
                    m.sender.as_str()
                );
            }
            println!(
                "{} message(s) queued again{}",
                requeued.len(),
                if not_reopened > 0 {
                    format!("; {not_reopened} store copy(ies) still show failed")
                } else {
                    String::new()
                }
            );
        }
    }
    Ok(())
}
