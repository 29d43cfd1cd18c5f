//! `soilwatch user add|passwd|disable|enable|list|token` (issue 7), and what `serve` says and
//! does about accounts at start-up: how to create the first administrator, and with `--demo` one
//! demo account per role with a one-time password printed once.
//!
//! Passwords are read from the terminal (without echo, twice) or from the first line of standard
//! input when it is not a terminal; never from the command line.

use std::io::{BufRead, IsTerminal};

use anyhow::{bail, Context};
use clap::Subcommand;
use soilwatch_store::auth::{NewApiToken, NewUser};
use soilwatch_store::auth_secret::{check_password, hash_password, new_api_token, secret_hash};
use soilwatch_store::{AuthStore, Role, SqlStore, User};
use soilwatch_web::auth::AuthConfig;

use crate::DbArgs;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from the terminal or standard input.
    Add {
        /// Username: letters, digits or . _ - @.
        username: String,
        /// administrator, data_officer, reviewer or viewer (or 系统管理员, 数据专员, 审核员, 查看者).
        #[arg(long)]
        role: String,
        /// Department code (data officers and reviewers), e.g. `eco-env-513400`.
        #[arg(long)]
        department: Option<String>,
        /// Full name shown on pages (default: the username).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Set a new password (read from the terminal or standard input); ends the user's sessions.
    Passwd {
        username: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Disable a user: sessions end, tokens stop working, sign-in is refused.
    Disable {
        username: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Enable a disabled user again.
    Enable {
        username: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List the users.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Create an API token for a user (printed once; only its hash is kept).
    Token {
        username: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// Sign-in settings of `serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct AuthArgs {
    /// Mark session cookies `Secure` (set when the platform is served over HTTPS).
    #[arg(long, env = "SOILWATCH_SECURE_COOKIES")]
    pub secure_cookies: bool,
}

fn read_password(confirm: bool) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let password = if stdin.is_terminal() {
        let p = rpassword::prompt_password("密码 / password: ").context("read the password")?;
        if confirm {
            let again =
                rpassword::prompt_password("再次输入 / again: ").context("read the password")?;
            if again != p {
                bail!("两次输入的密码不一致 / the passwords differ");
            }
        }
        p
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    check_password(&password)?;
    Ok(password)
}

async fn audit(store: &SqlStore, action: &str, target: &str) {
    let e = soilwatch_store::auth::NewAuditEntry {
        actor: "cli".into(),
        action: action.into(),
        target: target.into(),
        outcome: "ok".into(),
        status: None,
        ip: None,
        detail: "soilwatch user".into(),
    };
    if let Err(e) = store.append_audit(&e).await {
        tracing::warn!(error = %e, "cannot write the audit log");
    }
}

async fn set_disabled(db: &DbArgs, username: &str, disabled: bool) -> anyhow::Result<()> {
    let store = crate::db::open(&db.db, false).await?;
    store.set_user_disabled(username, disabled).await?;
    let what = if disabled { "disabled" } else { "enabled" };
    audit(&store, &format!("user_{what}"), username).await;
    println!("{username} {what}");
    store.close().await;
    Ok(())
}

pub async fn run(cmd: UserCommand) -> anyhow::Result<u8> {
    match cmd {
        UserCommand::Add {
            username,
            role,
            department,
            name,
            db,
        } => {
            let role: Role = role.parse()?;
            let store = crate::db::open(&db.db, true).await?;
            let password = read_password(true)?;
            let user = store
                .create_user(&NewUser {
                    display_name: name.unwrap_or_else(|| username.clone()),
                    username,
                    role,
                    department,
                    password_hash: hash_password(&password)?,
                })
                .await?;
            audit(&store, "user_added", &user.username).await;
            println!(
                "created {} ({} {})",
                user.username,
                role.name_cn(),
                role.code()
            );
            store.close().await;
        }
        UserCommand::Passwd { username, db } => {
            let store = crate::db::open(&db.db, false).await?;
            store.get_user(&username).await?;
            let password = read_password(true)?;
            store
                .set_password(&username, &hash_password(&password)?)
                .await?;
            audit(&store, "password_set", &username).await;
            println!("password of {username} changed; its sessions ended");
            store.close().await;
        }
        UserCommand::Disable { username, db } => set_disabled(&db, &username, true).await?,
        UserCommand::Enable { username, db } => set_disabled(&db, &username, false).await?,
        UserCommand::List { db } => {
            let store = crate::db::open(&db.db, false).await?;
            for u in store.list_users().await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    u.username,
                    u.role,
                    u.department.as_deref().unwrap_or("-"),
                    if u.disabled { "disabled" } else { "active" }
                );
            }
            store.close().await;
        }
        UserCommand::Token { username, name, db } => {
            let store = crate::db::open(&db.db, false).await?;
            let user = store.get_user(&username).await?;
            let token = issue_token(&store, &user, name).await?;
            audit(&store, "token_created", &username).await;
            println!("{token}");
            store.close().await;
        }
    }
    Ok(0)
}

/// Create an API token for a user and return it (shown once: only its hash is kept).
pub async fn issue_token(store: &SqlStore, user: &User, name: String) -> anyhow::Result<String> {
    let token = new_api_token()?;
    store
        .create_api_token(&NewApiToken {
            user_id: user.id,
            name,
            token_hash: secret_hash(&token),
            prefix: token.chars().take(10).collect(),
        })
        .await?;
    Ok(token)
}

/// A one-time password: 16 characters from an alphabet without look-alikes.
fn one_time_password() -> anyhow::Result<String> {
    Ok(soilwatch_store::auth_secret::one_time_password()?)
}

/// The demo accounts: one per role.
const DEMO_USERS: [(&str, Role, Option<&str>); 4] = [
    ("demo-admin", Role::Administrator, None),
    ("demo-officer", Role::DataOfficer, Some("agri-513400")),
    ("demo-reviewer", Role::Reviewer, Some("eco-env-513400")),
    ("demo-viewer", Role::Viewer, None),
];

/// At `serve` start-up: with `demo`, create (or reset) one demo account per role and print its
/// one-time password; without an administrator, print how to create the first one. Returns the
/// sign-in settings.
pub async fn on_serve(store: &SqlStore, args: &AuthArgs, demo: bool) -> anyhow::Result<AuthConfig> {
    if demo {
        println!(
            "演示账户（一次性密码，只显示这一次）/ demo accounts (one-time passwords, shown once):"
        );
        for (name, role, dept) in DEMO_USERS {
            let password = one_time_password()?;
            let hash = hash_password(&password)?;
            if store.get_user(name).await.is_ok() {
                store.set_password(name, &hash).await?;
                store.set_user_disabled(name, false).await?;
            } else {
                store
                    .create_user(&NewUser {
                        username: name.into(),
                        display_name: format!("演示 {}", role.name_cn()),
                        role,
                        department: dept.map(str::to_owned),
                        password_hash: hash,
                    })
                    .await?;
            }
            println!("  {name:<14} {:<14} {password}", role.code());
        }
    }
    if store.count_administrators().await? == 0 {
        println!(
            "还没有管理员账户。创建第一个管理员 / no administrator yet; create the first one with:\n  \
             soilwatch user add admin --role administrator\n\
             （密码从终端或标准输入读取，没有默认密码 / the password is read from the terminal or \
             standard input; there is no default password)"
        );
    }
    Ok(AuthConfig {
        secure_cookies: args.secure_cookies,
        ..AuthConfig::default()
    })
}
