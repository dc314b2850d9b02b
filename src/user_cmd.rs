//! `dce user create`: users from the command line, the first admin among
//! them. The password is read from standard input, never from a flag (flags
//! show in `ps` and shell history).

use crate::api::audit::Actor;
use crate::api::role::Role;
use crate::api::{describe, users};
use crate::config::Config;
use clap::Subcommand;
use dce_marketplace::domain::{BuyerId, SellerId};
use dce_marketplace::store::Store;
use std::io::BufRead;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user (and its account when the role has none yet).
    Create(CreateArgs),
}

#[derive(clap::Args, Debug)]
pub struct CreateArgs {
    /// Login email.
    #[arg(long)]
    email: String,
    /// Read the password from the first line of standard input.
    #[arg(long, required = true)]
    password_stdin: bool,
    #[command(flatten)]
    role: RoleArgs,
}

#[derive(clap::Args, Debug)]
#[group(required = true, multiple = false)]
struct RoleArgs {
    /// An admin: sees and changes everything.
    #[arg(long)]
    admin: bool,
    /// A user of this buyer's account.
    #[arg(long, value_name = "BUYER_ID")]
    buyer: Option<i64>,
    /// A user of this seller's account.
    #[arg(long, value_name = "SELLER_ID")]
    seller: Option<i64>,
}

pub async fn run(config: &Config, command: UserCommand) -> anyhow::Result<ExitCode> {
    match command {
        UserCommand::Create(args) => create(config, args).await,
    }
}

async fn create(config: &Config, args: CreateArgs) -> anyhow::Result<ExitCode> {
    let role = match (args.role.admin, args.role.buyer, args.role.seller) {
        (_, Some(b), _) => Role::Buyer(BuyerId(b)),
        (_, _, Some(s)) => Role::Seller(SellerId(s)),
        _ => Role::Admin,
    };
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']).to_string();
    let store = Store::open(&config.database.url.0).await?;
    let result = users::create_with_role(&store, &args.email, password, role, &Actor::SYSTEM).await;
    store.close().await;
    match result {
        Ok(user) => {
            println!(
                "user {} created: {} ({}, account {})",
                user.id,
                user.email,
                role.kind().as_str(),
                user.account_id
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("dce: {}", describe(&e));
            Ok(ExitCode::from(1))
        }
    }
}
