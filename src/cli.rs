//! The command line: every command, its flags, and how flags override the config.

use crate::config::{Config, Secret};
use crate::{app, billing_cmd, decide_cmd, lists_cmd, user_cmd};
use anyhow::Context;
use clap::{Parser, Subcommand};
use dce_marketplace::market_file;
use dce_marketplace::store::{ImportError, Store};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// DCE, the Dependable Call Exchange: a SIP switch with an embedded pay-per-call marketplace.
#[derive(Parser, Debug)]
#[command(name = "dce", version)]
pub struct Cli {
    /// Configuration file [default: config/dce.toml when present].
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://FILE or postgres://… (overrides database.url).
    #[arg(long, global = true, value_name = "URL")]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the switch.
    Serve(ServeArgs),
    /// Create or upgrade the database schema.
    Migrate,
    /// Validate a market file and upsert it into the database.
    Import {
        /// The market file (TOML; see docs/market-file.md).
        file: PathBuf,
        /// Only validate; write nothing.
        #[arg(long)]
        check: bool,
    },
    /// Show how the market would route a call.
    Decide(decide_cmd::DecideArgs),
    /// Manage the DNC list (and the litigator, suppression and block lists).
    Dnc {
        #[command(subcommand)]
        command: lists_cmd::ListCommand,
    },
    /// Verify the ledger.
    Ledger {
        #[command(subcommand)]
        command: billing_cmd::LedgerCommand,
    },
    /// Call records.
    Cdr {
        #[command(subcommand)]
        command: billing_cmd::CdrCommand,
    },
    /// Print the effective configuration (secrets redacted).
    Config,
    /// Management API users (the first admin among them).
    User {
        #[command(subcommand)]
        command: user_cmd::UserCommand,
    },
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// SIP over UDP and TCP [config: sip.listen].
    #[arg(long, value_name = "ADDR")]
    sip_listen: Option<SocketAddr>,
    /// SIP over TLS [config: sip.tls_listen].
    #[arg(long, value_name = "ADDR")]
    sip_tls_listen: Option<SocketAddr>,
    /// HTTP: health checks (and the management API) [config: http.listen].
    #[arg(long, value_name = "ADDR")]
    http_listen: Option<SocketAddr>,
    /// A market file imported at start [config: market.file].
    #[arg(long, value_name = "FILE")]
    market: Option<PathBuf>,
    /// UDP ports of the RTP relay, FIRST-LAST [config: media.ports].
    #[arg(long, value_name = "RANGE")]
    rtp_ports: Option<crate::config::PortRange>,
}

impl Cli {
    /// The configuration with this command line's flags applied.
    pub fn config(&self) -> anyhow::Result<Config> {
        let mut config = Config::load(self.config.as_deref(), std::env::vars())?;
        if let Some(url) = &self.database {
            config.database.url = Secret(url.clone());
        }
        if let Command::Serve(args) = &self.command {
            if let Some(a) = args.sip_listen {
                config.sip.listen = a;
            }
            if let Some(a) = args.sip_tls_listen {
                config.sip.tls_listen = Some(a);
            }
            if let Some(a) = args.http_listen {
                config.http.listen = a;
            }
            if let Some(f) = &args.market {
                config.market.file = Some(f.clone());
            }
            if let Some(r) = args.rtp_ports {
                config.media.ports = r;
            }
        }
        Ok(config)
    }
}

pub async fn run(cli: Cli, config: Config) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(_) => app::serve(config).await.map(|()| ExitCode::SUCCESS),
        Command::Migrate => {
            Store::open(&config.database.url.0).await?;
            println!("database is up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { file, check } => import(&config, &file, check).await,
        Command::Decide(args) => decide_cmd::run(&config, args).await,
        Command::Dnc { command } => lists_cmd::run(&config, command).await,
        Command::Ledger { command } => billing_cmd::ledger(&config, command).await,
        Command::Cdr { command } => billing_cmd::cdr(&config, command).await,
        Command::User { command } => user_cmd::run(&config, command).await,
        Command::Config => {
            println!("{config:#?}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Validates and imports a market file; errors go to stderr, one per line.
pub async fn import(
    config: &Config,
    file: &std::path::Path,
    check: bool,
) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let spec = match market_file::parse(&text) {
        Ok(spec) => spec,
        Err(e) => {
            for err in &e.errors {
                eprintln!("{}:{err}", file.display());
            }
            return Ok(ExitCode::from(1));
        }
    };
    if check {
        println!("{}: valid", file.display());
        return Ok(ExitCode::SUCCESS);
    }
    let store = Store::open(&config.database.url.0).await?;
    match store.import(&spec).await {
        Ok(summary) => {
            println!(
                "{}: {} created, {} updated",
                file.display(),
                summary.created,
                summary.updated
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(ImportError::Invalid(e)) => {
            for err in &e.errors {
                eprintln!("{}:{err}", file.display());
            }
            Ok(ExitCode::from(1))
        }
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}
