//! `authctl`: the operator API of the auth service, for people and scripts.
//!
//! ```text
//! authctl tenant create --product admin --name "Demo Shop"
//! authctl user create --tenant <id> --email ada@example.com
//! authctl key mint --tenant <id> [--user <id>] --name ci --scopes customers:read,orders:read
//! authctl --json key list --tenant <id>
//! ```
//! `--json` prints the API's JSON body unchanged (one object per command), so
//! scripts can rely on the operator API's field names. Exit status: 0 on
//! success, 1 when the API refused (the error envelope is printed on stderr),
//! 2 on usage errors.

use clap::{Args, Parser, Subcommand};
use serde_json::{Value, json};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "authctl",
    about = "Manage tenants, users, API keys and signing keys of the auth service"
)]
struct Cli {
    /// Base URL of the auth service's HTTP listener.
    #[arg(
        long,
        global = true,
        env = "AUTHCTL_URL",
        default_value = "http://127.0.0.1:8181"
    )]
    url: String,
    /// Operator token.
    #[arg(
        long,
        global = true,
        env = "AUTH_OPERATOR_TOKEN",
        default_value = "dev-operator-token",
        hide_env_values = true
    )]
    token: String,
    /// Print the API's JSON response instead of a human summary.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Tenants: shops (admin), projects (partner), workspaces (generation).
    #[command(subcommand)]
    Tenant(TenantCmd),
    /// Users of a generation workspace.
    #[command(subcommand)]
    User(UserCmd),
    /// API keys.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Signing keys of internal JWTs.
    #[command(subcommand, name = "signing-key")]
    SigningKey(SigningKeyCmd),
}

#[derive(Subcommand)]
enum TenantCmd {
    Create {
        #[arg(long)]
        product: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        tier: Option<String>,
    },
    List {
        #[arg(long)]
        product: Option<String>,
        #[command(flatten)]
        page: Page,
    },
    Get {
        id: String,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
    },
    List {
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        page: Page,
    },
}

#[derive(Subcommand)]
enum KeyCmd {
    /// Mint a key; the plaintext is shown once.
    Mint {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        name: String,
        /// Comma-separated scopes, e.g. customers:read,orders:read
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        #[arg(long)]
        tier: Option<String>,
        /// live or test
        #[arg(long)]
        env: Option<String>,
        #[arg(long)]
        expires_in_days: Option<u64>,
    },
    List {
        #[arg(long)]
        tenant: Option<String>,
        #[command(flatten)]
        page: Page,
    },
    Get {
        id: String,
    },
    Revoke {
        id: String,
    },
    /// Replace a key; the old one keeps working for --grace-seconds.
    Roll {
        id: String,
        #[arg(long, default_value_t = 0)]
        grace_seconds: u64,
    },
}

#[derive(Subcommand)]
enum SigningKeyCmd {
    /// Make a new signing key active; the old one stays in the JWKS for the rollover period.
    Rotate,
    List,
}

#[derive(Args)]
struct Page {
    #[arg(long)]
    limit: Option<u32>,
    #[arg(long)]
    cursor: Option<String>,
}

impl Page {
    fn query(&self, mut q: Vec<(&'static str, String)>) -> Vec<(&'static str, String)> {
        if let Some(l) = self.limit {
            q.push(("limit", l.to_string()));
        }
        if let Some(c) = &self.cursor {
            q.push(("cursor", c.clone()));
        }
        q
    }
}

enum Call {
    Get(String, Vec<(&'static str, String)>),
    Post(String, Value),
}

fn call_of(command: &Command) -> Call {
    match command {
        Command::Tenant(TenantCmd::Create {
            product,
            name,
            tier,
        }) => {
            let mut body = json!({ "product": product, "name": name });
            if let Some(t) = tier {
                body["tier"] = json!(t);
            }
            Call::Post("/v1/tenants".into(), body)
        }
        Command::Tenant(TenantCmd::List { product, page }) => {
            let q = product.iter().map(|p| ("product", p.clone())).collect();
            Call::Get("/v1/tenants".into(), page.query(q))
        }
        Command::Tenant(TenantCmd::Get { id }) => Call::Get(format!("/v1/tenants/{id}"), vec![]),
        Command::User(UserCmd::Create { tenant, email }) => Call::Post(
            format!("/v1/tenants/{tenant}/users"),
            json!({ "email": email }),
        ),
        Command::User(UserCmd::List { tenant, page }) => {
            Call::Get(format!("/v1/tenants/{tenant}/users"), page.query(vec![]))
        }
        Command::Key(KeyCmd::Mint {
            tenant,
            user,
            name,
            scopes,
            tier,
            env,
            expires_in_days,
        }) => {
            let mut body = json!({ "tenant_id": tenant, "name": name, "scopes": scopes });
            if let Some(u) = user {
                body["user_id"] = json!(u);
            }
            if let Some(t) = tier {
                body["tier"] = json!(t);
            }
            if let Some(e) = env {
                body["env"] = json!(e);
            }
            if let Some(d) = expires_in_days {
                body["expires_in_days"] = json!(d);
            }
            Call::Post("/v1/keys".into(), body)
        }
        Command::Key(KeyCmd::List { tenant, page }) => {
            let q = tenant.iter().map(|t| ("tenant_id", t.clone())).collect();
            Call::Get("/v1/keys".into(), page.query(q))
        }
        Command::Key(KeyCmd::Get { id }) => Call::Get(format!("/v1/keys/{id}"), vec![]),
        Command::Key(KeyCmd::Revoke { id }) => {
            Call::Post(format!("/v1/keys/{id}/revoke"), json!({}))
        }
        Command::Key(KeyCmd::Roll { id, grace_seconds }) => Call::Post(
            format!("/v1/keys/{id}/roll"),
            json!({ "grace_seconds": grace_seconds }),
        ),
        Command::SigningKey(SigningKeyCmd::Rotate) => {
            Call::Post("/v1/signing-keys/rotate".into(), json!({}))
        }
        Command::SigningKey(SigningKeyCmd::List) => Call::Get("/v1/signing-keys".into(), vec![]),
    }
}

/// `field=value` lines for one object (nested objects as JSON).
fn summary(v: &Value) -> String {
    match v {
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}: {s}"),
                Value::Array(items) if items.iter().all(Value::is_string) => format!(
                    "{k}: {}",
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

fn human(v: &Value) -> String {
    if let Some(items) = v.get("data").and_then(Value::as_array) {
        let mut out: Vec<String> = items.iter().map(summary).collect();
        if let Some(next) = v.pointer("/pagination/next_cursor").and_then(Value::as_str) {
            out.push(format!("(more: --cursor {next})"));
        }
        return out.join("\n\n");
    }
    let mut out = summary(v);
    if v.get("key").is_some() {
        out.push_str("\n\nThe key is shown only once: store it now.");
    }
    out
}

async fn run(cli: Cli) -> Result<Value, String> {
    let base = cli.url.trim_end_matches('/');
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let request = match call_of(&cli.command) {
        Call::Get(path, query) => client.get(format!("{base}{path}")).query(&query),
        Call::Post(path, body) => client.post(format!("{base}{path}")).json(&body),
    };
    let res = request
        .bearer_auth(&cli.token)
        .send()
        .await
        .map_err(|e| format!("cannot reach the auth service at {base}: {e}"))?;
    let status = res.status();
    let body: Value = res
        .json()
        .await
        .map_err(|e| format!("unreadable response ({status}): {e}"))?;
    if status.is_success() {
        Ok(body)
    } else if cli.json {
        Err(body.to_string())
    } else {
        let code = body
            .pointer("/error/code")
            .and_then(Value::as_str)
            .unwrap_or("error");
        let message = body
            .pointer("/error/message")
            .and_then(Value::as_str)
            .unwrap_or("");
        Err(format!("{status}: {code}: {message}"))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let json_out = cli.json;
    match run(cli).await {
        Ok(body) => {
            if json_out {
                println!("{body}");
            } else {
                println!("{}", human(&body));
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
