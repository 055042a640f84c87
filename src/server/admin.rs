//! `beyazmasa admin`: users and tokens, straight against the database.

use std::io::Read;

use clap::{Args, Subcommand};
use uuid::Uuid;

use super::auth::{hash_password, new_token, token_hash};
use super::store::{self, NewUser};
use crate::domain::status::Role;

#[derive(Debug, Args)]
pub struct AdminArgs {
    /// Database URL.
    #[arg(long, env = "BEYAZMASA_DB", default_value = "sqlite://beyazmasa.db")]
    pub db: String,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a user. The password is read from stdin unless --password is given.
    CreateUser {
        username: String,
        #[arg(long)]
        full_name: Option<String>,
        /// agent, unit_rep, lead or admin.
        #[arg(long)]
        role: String,
        /// Unit code (repeatable) for unit representatives.
        #[arg(long = "unit")]
        units: Vec<String>,
        /// Phone extension, for CTI screen pops.
        #[arg(long)]
        extension: Option<String>,
        #[arg(long)]
        password: Option<String>,
    },
    /// List users.
    ListUsers,
    /// Issue a token for a user (for integrations such as the phone system).
    IssueToken {
        username: String,
        #[arg(long, default_value = "integration")]
        device_name: String,
    },
    /// List tokens (never the tokens themselves: only an id prefix).
    ListTokens,
    /// Revoke a user's tokens, or one token by its id prefix.
    RevokeToken {
        #[arg(long, conflicts_with = "id")]
        user: Option<String>,
        #[arg(long)]
        id: Option<String>,
    },
}

pub fn run(args: AdminArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let store = store::open(&args.db).await?;
        match args.command {
            AdminCommand::CreateUser { username, full_name, role, units, extension, password } => {
                let role = Role::parse(&role)
                    .ok_or_else(|| anyhow::anyhow!("unknown role '{role}': use agent, unit_rep, lead or admin"))?;
                if role == Role::UnitRep && units.is_empty() {
                    anyhow::bail!("a unit representative needs at least one --unit");
                }
                let taxonomy = crate::domain::reference::shipped_taxonomy();
                if let Some(u) = units.iter().find(|u| taxonomy.unit(u).is_none()) {
                    anyhow::bail!("unknown unit '{u}'");
                }
                let password = match password {
                    Some(p) => p,
                    None => {
                        let mut s = String::new();
                        std::io::stdin().read_to_string(&mut s)?;
                        s.trim_end_matches(['\n', '\r']).to_string()
                    }
                };
                if password.chars().count() < 8 {
                    anyhow::bail!("the password must have at least 8 characters");
                }
                let user = store
                    .create_user(NewUser {
                        full_name: full_name.unwrap_or_else(|| username.clone()),
                        username,
                        password_hash: hash_password(&password)?,
                        role,
                        units,
                        extension,
                    })
                    .await?;
                println!("created user {} ({}) id {}", user.username, user.role.as_str(), user.id);
            }
            AdminCommand::ListUsers => {
                for u in store.list_users().await? {
                    println!(
                        "{:<20} {:<9} {:<30} units={} ext={}",
                        u.username,
                        u.role.as_str(),
                        u.full_name,
                        u.units.join(","),
                        u.extension.unwrap_or_default()
                    );
                }
            }
            AdminCommand::IssueToken { username, device_name } => {
                let user = store
                    .user_by_username(&username)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("no user named '{username}'"))?;
                let token = new_token();
                let hash = token_hash(&token);
                store.insert_token(&hash, user.info.id, Uuid::now_v7(), &device_name).await?;
                eprintln!("token id {} issued for {username}; it is shown once:", &hash[..12]);
                println!("{token}");
            }
            AdminCommand::ListTokens => {
                for t in store.list_tokens().await? {
                    println!(
                        "{}  {:<20} {:<20} {} {}",
                        t.hash_prefix,
                        t.username,
                        t.device_name,
                        t.created_at.format("%Y-%m-%d %H:%M"),
                        if t.revoked { "revoked" } else { "active" }
                    );
                }
            }
            AdminCommand::RevokeToken { user, id } => {
                let n = store.revoke_tokens(user.as_deref(), id.as_deref()).await?;
                println!("revoked {n} token(s)");
            }
        }
        anyhow::Ok(())
    })
}
