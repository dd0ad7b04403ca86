//! The command line: `serve`, `migrate`, `store create`, `owner create`, `keys generate`,
//! `keys rotate`, `migrate-legacy`. Every command loads the same settings; errors end the process with one line
//! on stderr and a non-zero status.

use std::io::{BufRead, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use omni_domain::{Email, PhoneNumber, StoreKind, StoreName};
use secrecy::{ExposeSecret, SecretString};

use crate::settings::Settings;

/// OmniPortal WhatsApp: multi-store WhatsApp commerce backend.
#[derive(Debug, Parser)]
#[command(name = "omniportal", version, about)]
pub struct Cli {
    /// Configuration file layered over the defaults (TOML). Also OMNI_CONFIG.
    #[arg(long, global = true, env = "OMNI_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (migrates first unless database.run_migrations is false).
    Serve(ServeArgs),
    /// Apply pending migrations to the central database and every store's tenant database.
    Migrate,
    /// Manage stores.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Manage owners.
    #[command(subcommand)]
    Owner(OwnerCommand),
    /// Manage the encryption keys of secrets at rest.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Create accounts for stores that still have the seed's single-number columns
    /// (whatsapp_business_number, whatsapp_business_id), with WHATSAPP_TOKEN and
    /// WHATSAPP_PHONE_ID. Running it again changes nothing.
    MigrateLegacy,
    /// Connect a number by hand (for example with a System User token): an active account.
    #[command(subcommand)]
    Account(crate::ops::AccountCommand),
    /// Look into the webhook inbox (dead and unroutable events) and put events back.
    #[command(subcommand)]
    Inbox(crate::ops::InboxCommand),
    /// Look into the outbox.
    #[command(subcommand)]
    Outbox(crate::ops::OutboxCommand),
    /// Scheduled account health jobs: their runs, or run one now.
    #[command(subcommand)]
    Jobs(crate::ops::jobs::JobsCommand),
}

/// `serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to bind (default from server.host: 127.0.0.1).
    #[arg(long)]
    pub bind: Option<String>,
    /// Port to bind (default from server.port: 8080; 0 picks a free port).
    #[arg(long)]
    pub port: Option<u16>,
    /// Let the sandbox (simulated Meta, no Meta app configured) listen on an address other
    /// than loopback. Without it such a bind is refused: the sandbox is a demo for one machine.
    #[arg(long)]
    pub sandbox_public: bool,
}

/// Store commands.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Create a store for an owner and provision its tenant database.
    Create {
        /// The owner's email.
        #[arg(long)]
        owner_email: String,
        /// Store name.
        #[arg(long)]
        name: String,
        /// restaurant or shop.
        #[arg(long, default_value = "restaurant")]
        kind: String,
    },
    /// Set (or clear) the store's auto-reply text: while set, every customer message is
    /// answered with it instead of the ordering agent (an away message).
    AutoReply {
        /// The store id.
        #[arg(long)]
        store: String,
        /// The text.
        #[arg(long, conflicts_with = "clear")]
        text: Option<String>,
        /// Remove the auto-reply.
        #[arg(long)]
        clear: bool,
    },
}

/// Owner commands.
#[derive(Debug, Subcommand)]
pub enum OwnerCommand {
    /// Create an owner. The password is read from stdin (first line) unless --password is given.
    Create {
        /// Login email.
        #[arg(long)]
        email: String,
        /// Password (visible to other users in the process list: prefer stdin).
        #[arg(long)]
        password: Option<String>,
        /// The owner's own WhatsApp number, for notifications (E.164 or local Pakistani form).
        #[arg(long)]
        whatsapp: Option<String>,
    },
}

/// Key commands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a new random key (`base64:...`) for APP_KEY.
    Generate,
    /// Re-encrypt every stored secret under the newest key. Safe to stop and run again.
    Rotate,
}

/// Parses the command line, runs it, and maps failure to one line and exit status 1
/// (2 for bad configuration).
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // One crypto provider for every rustls user in the process (Postgres now, HTTP clients
    // later), chosen before any TLS configuration is built; a second call is a harmless no-op.
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    // A new key needs no settings: it must work even while the configuration is broken.
    if let Command::Keys(KeysCommand::Generate) = cli.command {
        return report(keys_generate());
    }
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let sink = match cli.command {
        Command::Serve(_) => crate::telemetry::LogSink::Stdout,
        _ => crate::telemetry::LogSink::Stderr,
    };
    crate::telemetry::init(settings.log.format, &settings.log.level, sink);
    crate::data_files::private_by_default(&settings.database.data_dir);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    report(runtime.block_on(run(cli.command, settings)))
}

/// Exit status 0, or 1 after the error and its causes on one line of stderr.
fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
            eprintln!("error: {}", chain.join(": "));
            ExitCode::FAILURE
        }
    }
}

#[expect(clippy::print_stdout, reason = "the command's output is its result")]
fn keys_generate() -> anyhow::Result<()> {
    let key = omni_crypto::DataKey::generate()?;
    println!("{}", key.to_text().expose_secret());
    Ok(())
}

#[expect(clippy::print_stdout, reason = "the command's output is its result")]
async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve(settings, args).await,
        Command::Migrate => {
            let ran = crate::startup::migrate_central(&settings).await?;
            let mut migrate_settings = settings;
            migrate_settings.database.run_migrations = false;
            let services = crate::startup::services(&migrate_settings).await?;
            let stores = services.ports.central.list_stores().await?;
            for store in &stores {
                // Opening a tenant migrates it; provisioning also creates a missing database.
                services.ports.tenants.provision(store.id).await?;
            }
            println!(
                "central: {ran} migration(s) applied; {} tenant database(s) up to date",
                stores.len()
            );
            Ok(())
        }
        Command::Owner(OwnerCommand::Create {
            email,
            password,
            whatsapp,
        }) => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let whatsapp = whatsapp
                .map(|w| PhoneNumber::parse(&w).map_err(|e| anyhow::anyhow!("--whatsapp: {e}")))
                .transpose()?;
            let password = match password {
                Some(p) => SecretString::from(p),
                None => read_password_from_stdin()?,
            };
            let services = crate::startup::services(&settings).await?;
            let owner = services
                .registry
                .create_owner(email, &password, whatsapp)
                .await?;
            println!("owner {} created: {}", owner.id, owner.email);
            Ok(())
        }
        Command::Store(StoreCommand::Create {
            owner_email,
            name,
            kind,
        }) => {
            let email =
                Email::parse(&owner_email).map_err(|e| anyhow::anyhow!("--owner-email: {e}"))?;
            let name = StoreName::parse(&name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
            let kind: StoreKind = kind.parse().map_err(|e| anyhow::anyhow!("--kind: {e}"))?;
            let services = crate::startup::services(&settings).await?;
            let owner = services
                .ports
                .central
                .find_owner_by_email(&email)
                .await?
                .ok_or_else(|| anyhow::anyhow!("--owner-email: no owner with email {email}"))?;
            let store = services.registry.create_store(owner.id, name, kind).await?;
            println!(
                "store {} created: {} ({})",
                store.id,
                store.name.as_str(),
                store.kind
            );
            Ok(())
        }
        Command::Store(StoreCommand::AutoReply { store, text, clear }) => {
            let services = crate::startup::services(&settings).await?;
            crate::ops::auto_reply(&services, &store, text.as_deref(), clear).await
        }
        Command::Account(cmd) => {
            let services = crate::startup::services(&settings).await?;
            crate::ops::account(&services, cmd).await
        }
        Command::Inbox(cmd) => {
            let services = crate::startup::services(&settings).await?;
            crate::ops::inbox(&services, cmd).await
        }
        Command::Outbox(cmd) => {
            let services = crate::startup::services(&settings).await?;
            crate::ops::outbox(&services, cmd).await
        }
        Command::Jobs(cmd) => {
            let services = crate::startup::services(&settings).await?;
            crate::ops::jobs::jobs(&services, cmd).await
        }
        Command::Keys(KeysCommand::Rotate) => {
            let services = crate::startup::services(&settings).await?;
            let report = omni_usecases::rotate_secrets(
                services.ports.central.as_ref(),
                services.ports.cipher.as_ref(),
                200,
            )
            .await?;
            println!(
                "scanned {} account(s): {} re-encrypted, {} changed concurrently, {} failed",
                report.scanned,
                report.rotated,
                report.raced,
                report.failed.len()
            );
            if report.failed.is_empty() {
                Ok(())
            } else {
                anyhow::bail!(
                    "{} account(s) could not be decrypted with any configured key",
                    report.failed.len()
                )
            }
        }
        Command::Keys(KeysCommand::Generate) => keys_generate(),
        Command::MigrateLegacy => migrate_legacy(settings).await,
    }
}

#[expect(clippy::print_stdout, reason = "the command's output is its result")]
async fn migrate_legacy(settings: Settings) -> anyhow::Result<()> {
    use omni_usecases::LegacyOutcome;
    let token = settings.whatsapp.token.clone().ok_or_else(|| {
        anyhow::anyhow!("migrate-legacy needs WHATSAPP_TOKEN (the legacy single-number token)")
    })?;
    let phone_id = settings.whatsapp.phone_id.clone().ok_or_else(|| {
        anyhow::anyhow!("migrate-legacy needs WHATSAPP_PHONE_ID (the legacy phone_number_id)")
    })?;
    let phone_id = omni_domain::PhoneNumberId::parse(&phone_id)
        .map_err(|e| anyhow::anyhow!("WHATSAPP_PHONE_ID: {e}"))?;
    let services = crate::startup::services(&settings).await?;
    let lines = omni_usecases::migrate_legacy(
        services.ports.central.as_ref(),
        services.ports.legacy.as_ref(),
        services.ports.cipher.as_ref(),
        services.ports.clock.as_ref(),
        &token,
        &phone_id,
    )
    .await?;
    let (mut created, mut done, mut skipped) = (0, 0, 0);
    for line in &lines {
        match &line.outcome {
            LegacyOutcome::Created { account, phone } => {
                created += 1;
                println!(
                    "store {}: created account {account} for {phone} (phone_number_id {phone_id}), active and verified",
                    line.store_id
                );
            }
            LegacyOutcome::AlreadyMigrated => {
                done += 1;
                println!("store {}: already migrated, unchanged", line.store_id);
            }
            LegacyOutcome::Skipped(reason) => {
                skipped += 1;
                println!("store {}: skipped: {reason}", line.store_id);
            }
        }
    }
    println!(
        "legacy stores: {} found, {created} account(s) created, {done} already migrated, {skipped} skipped",
        lines.len()
    );
    Ok(())
}

fn read_password_from_stdin() -> anyhow::Result<SecretString> {
    let mut line = String::new();
    std::io::stderr().write_all(b"password: ").ok();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        anyhow::bail!("no password given on stdin (or use --password)");
    }
    Ok(SecretString::from(password))
}

async fn serve(mut settings: Settings, args: ServeArgs) -> anyhow::Result<()> {
    let host = args.bind.unwrap_or_else(|| settings.server.host.clone());
    let port = args.port.unwrap_or(settings.server.port);
    let listener = TcpListener::bind((host.as_str(), port))
        .map_err(|e| anyhow::anyhow!("cannot listen on {host}:{port}: {e}"))?;
    let addr = listener.local_addr()?;
    if settings.sandbox_wanted() && !addr.ip().is_loopback() && !args.sandbox_public {
        anyhow::bail!(
            "refusing to run the sandbox on {addr}: with no Meta app configured (META_APP_ID) \
             Meta is simulated in this process, which is meant for one machine. Bind to \
             127.0.0.1, configure a Meta app, turn the sandbox off \
             (OMNI_SANDBOX__ENABLED=false), or pass --sandbox-public to expose it anyway"
        );
    }
    // How this process reaches itself: the bound address, or loopback when bound to all.
    let local = if addr.ip().is_unspecified() {
        format!("http://127.0.0.1:{}", addr.port())
    } else {
        format!("http://{addr}")
    };
    let sandbox = crate::sandbox::Sandbox::prepare(&mut settings, &local)?;
    let mut state = crate::http::AppState::build(&settings).await?;
    if let Some(sandbox) = &sandbox {
        state.sandbox = Some(sandbox.clone());
        let login_url = format!(
            "{}/owner",
            settings
                .app
                .url
                .as_deref()
                .unwrap_or(&local)
                .trim_end_matches('/')
        );
        sandbox.seed(&state.services, &login_url).await?;
    }
    let pipeline = crate::startup::start_pipeline(&state.services, &settings).await?;
    tracing::info!(
        address = %addr,
        database = if matches!(settings.central_database()?, crate::settings::CentralDatabase::Postgres(_)) { "postgres" } else { "sqlite" },
        meta = if sandbox.is_some() { "sandbox" } else if settings.meta_configured() { "configured" } else { "not configured" },
        "omniportal listening on http://{addr}"
    );
    crate::http::serve(
        state.clone(),
        listener,
        settings.server.workers,
        Duration::from_secs(settings.server.shutdown_timeout_secs),
    )
    .await?;
    pipeline
        .stop(Duration::from_secs(settings.server.shutdown_timeout_secs))
        .await;
    state.services.ports.close();
    tracing::info!("pipeline stopped");
    Ok(())
}
