//! `meta-sim`: runs the Meta WhatsApp Cloud API simulator as a standalone server, so
//! developers can point the product (or curl) at it instead of graph.facebook.com.
//!
//! Standard output (one line each, stable for scripts):
//!
//! ```text
//! meta-sim listening on http://ADDR
//! demo WABA 102290129340398, phone number 106540352242922      (with --demo)
//! demo token: EAA...                                           (with --demo)
//! try: curl -H 'Authorization: Bearer EAA...' http://ADDR/v25.0/102290129340398/phone_numbers
//! ```
//!
//! With `--webhook-url`, accepted sends produce signed `sent` / `delivered` status webhooks,
//! and `POST /_sim/webhooks/messages` plays the customer. SIGTERM or Ctrl-C stops it.

use std::time::Duration;

use clap::Parser;
use omni_meta_sim::webhook::RetrySchedule;
use omni_meta_sim::{MetaSim, SeedNumber, SeedTemplate, SeedWaba, SimConfig, TokenSeed};

/// A stateful simulator of Meta's WhatsApp Cloud API (Graph API).
#[derive(Debug, Parser)]
#[command(name = "meta-sim", version, about, after_help = AFTER_HELP)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port (0 = a random free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Graph API version segment served.
    #[arg(long, default_value = "v25.0")]
    graph_version: String,
    /// The simulated Meta app id.
    #[arg(long, default_value = "1234567890")]
    app_id: String,
    /// The simulated app secret.
    #[arg(
        long,
        env = "META_SIM_APP_SECRET",
        default_value = "sim-app-secret",
        hide_env_values = true
    )]
    app_secret: String,
    /// A registered OAuth redirect URI (repeatable; none = accept any).
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// Require `appsecret_proof` on calls made with business tokens.
    #[arg(long)]
    require_appsecret_proof: bool,
    /// Seed a demo WABA (102290129340398) with number 106540352242922 and print a token for it.
    #[arg(long)]
    demo: bool,
    /// The product's webhook callback URL: status webhooks of accepted sends and injected
    /// customer messages (`POST /_sim/webhooks/messages`) are delivered there, signed.
    #[arg(long, env = "META_SIM_WEBHOOK_URL")]
    webhook_url: Option<String>,
    /// Do not send automatic `sent` / `delivered` status webhooks for accepted sends.
    #[arg(long)]
    no_auto_statuses: bool,
    /// Milliseconds between the `sent` and the `delivered` webhook of a send.
    #[arg(long, default_value_t = 500)]
    delivered_delay_ms: u64,
    /// Also send `read`, this many milliseconds after `delivered`.
    #[arg(long)]
    read_delay_ms: Option<u64>,
    /// Wait before the first webhook redelivery (doubling after each), in milliseconds.
    #[arg(long, default_value_t = 1000)]
    webhook_retry_ms: u64,
    /// Webhook delivery attempts in all, the first included.
    #[arg(long, default_value_t = 12)]
    webhook_attempts: u32,
    /// Pair rate limit: messages one number may send one user at once before 131056 (one
    /// more comes back every 6 s); 0 turns it off.
    #[arg(long, default_value_t = 45)]
    pair_rate_burst: u32,
}

const AFTER_HELP: &str = "\
Output: the first line is `meta-sim listening on http://ADDR`; with --demo it is followed by
`demo WABA <waba_id>, phone number <phone_number_id>` and `demo token: <token>` (a business
token for the demo WABA). Control API under /_sim (state, messages, faults, tokens, windows,
clock/advance, wabas, webhooks/messages, webhooks/raw, webhooks/deliveries, webhooks/target).";

const DEMO_WABA: &str = "102290129340398";
const DEMO_NUMBER: &str = "106540352242922";

#[expect(
    clippy::print_stdout,
    reason = "the CLI reports its address and demo token on stdout"
)]
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let config = SimConfig {
        graph_version: args.graph_version,
        app_id: args.app_id,
        app_secret: args.app_secret,
        redirect_uris: args.redirect_uris,
        require_appsecret_proof: args.require_appsecret_proof,
        webhook_url: args.webhook_url,
        auto_statuses: !args.no_auto_statuses,
        delivered_delay: Duration::from_millis(args.delivered_delay_ms),
        read_delay: args.read_delay_ms.map(Duration::from_millis),
        webhook_retry: RetrySchedule {
            initial_delay: Duration::from_millis(args.webhook_retry_ms),
            factor: 2,
            max_delay: Duration::from_secs(600),
            max_attempts: args.webhook_attempts.max(1),
        },
        pair_rate_burst: args.pair_rate_burst,
        ..SimConfig::default()
    };
    let sim = MetaSim::start_on(config, &format!("{}:{}", args.host, args.port)).await?;
    let addr = sim.base_url();
    println!("meta-sim listening on {addr}");
    tracing::info!(
        base_url = %sim.openai_base_url(),
        api_key = omni_meta_sim::openai::DEFAULT_API_KEY,
        "OpenAI-compatible API (simulated key)"
    );
    if let Some(url) = sim.handle().webhook_target() {
        tracing::info!(%url, "delivering webhooks");
    }
    if args.demo {
        let h = sim.handle();
        h.seed_waba(
            SeedWaba::new(DEMO_WABA, "2729063490586005").number(
                SeedNumber::new(DEMO_NUMBER, "+92 300 1112233").verified_name("Demo Store"),
            ),
        );
        h.seed_template(
            DEMO_WABA,
            SeedTemplate::new(
                "order_update",
                "en_US",
                "Hi {{1}}, your order {{2}} is on its way.",
            ),
        );
        let token = h.issue_token(TokenSeed::business(&[DEMO_WABA]));
        println!("demo WABA {DEMO_WABA}, phone number {DEMO_NUMBER}");
        println!("demo token: {token}");
        println!(
            "try: curl -H 'Authorization: Bearer {token}' {}/{DEMO_WABA}/phone_numbers",
            sim.graph_url()
        );
    }
    shutdown_signal().await;
    tracing::info!("meta-sim stopping");
    tokio::time::timeout(Duration::from_secs(5), sim.stop())
        .await
        .ok();
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = term => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
