//! `regcheck serve`: the embedded reference registry, standalone until Ctrl-C or SIGTERM, over http or
//! TLS (`--tls`).

use crate::registry::{self, AuthMode, Fault, RegistryConfig, Surface, TlsSetup};
use anyhow::{Context, Result};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

/// `regcheck serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Listen address (loopback by default).
    #[arg(long, default_value = "127.0.0.1:5000")]
    pub addr: std::net::SocketAddr,
    /// Authentication: none, basic or token.
    #[arg(long, default_value = "none")]
    pub auth: AuthMode,
    /// Keep blobs and metadata in this directory (default: memory).
    #[arg(long)]
    pub storage: Option<PathBuf>,
    /// Answer blob GETs with 307 to a signed URL on a second loopback listener.
    #[arg(long)]
    pub redirect_blobs: bool,
    /// Offer only what OCI distribution-spec 1.1.1 requires: no Docker-* headers, JSON errors,
    /// ranges, deletes, catalog, ACR or token endpoints (auth none or basic only).
    #[arg(long)]
    pub minimal: bool,
    /// Answer one request at a time, each after DELAY (`20ms`): a registry of known capacity,
    /// 1/DELAY requests a second, for testing `load --find-max`.
    #[arg(long, value_name = "DELAY", value_parser = parse_delay)]
    pub one_at_a_time: Option<std::time::Duration>,
    /// A minimum chunk size (`5MiB`, as on S3 storage): announced in `OCI-Chunk-Min-Length`;
    /// an upload whose chunks before the last are shorter is refused when it is closed.
    #[arg(long, value_name = "SIZE", value_parser = parse_chunk_min)]
    pub chunk_min_length: Option<u64>,
    /// Inject a named contract violation (repeatable).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<Fault>,
    /// Requests the hostile faults answer: any, blob-get, manifest-get, tags-list or
    /// path:<text> (default: each fault's own operation, see `regcheck list --faults`).
    #[arg(long, value_name = "TRIGGER")]
    pub fault_on: Option<registry::FaultTrigger>,
    /// Username accepted for Basic auth and `GET /oauth2/token`.
    #[arg(long, env = "REGCHECK_SERVE_USERNAME")]
    pub username: Option<String>,
    /// Password accepted with the username.
    #[arg(long, env = "REGCHECK_SERVE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// AAD access token accepted by `/oauth2/exchange`.
    #[arg(long, env = "REGCHECK_SERVE_AAD_TOKEN", hide_env_values = true)]
    pub aad_token: Option<String>,
    /// AAD refresh token accepted by `/oauth2/exchange` (grant_type refresh_token and
    /// access_token_refresh_token).
    #[arg(long, env = "REGCHECK_SERVE_AAD_REFRESH_TOKEN", hide_env_values = true)]
    pub aad_refresh_token: Option<String>,
    /// Serve https: with a throwaway CA and a certificate for 127.0.0.1/localhost generated at
    /// start (the CA file's path is printed; clients pass it to --ca-cert), or with
    /// --tls-cert/--tls-key.
    #[arg(long)]
    pub tls: bool,
    /// Server certificate chain (PEM) for --tls.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

pub async fn serve(args: ServeArgs) -> Result<i32> {
    let defaults = registry::Credentials::default();
    let credentials = registry::Credentials {
        username: args.username.unwrap_or(defaults.username),
        password: args.password.unwrap_or(defaults.password),
        aad_token: args.aad_token.unwrap_or(defaults.aad_token),
        aad_refresh_token: args.aad_refresh_token.unwrap_or(defaults.aad_refresh_token),
    };
    let config = RegistryConfig {
        credentials,
        addr: args.addr,
        auth: args.auth,
        storage: args.storage,
        redirect_blobs: args.redirect_blobs,
        faults: args.faults,
        fault_on: args.fault_on,
        one_at_a_time: args.one_at_a_time,
        chunk_min_length: args.chunk_min_length,
        surface: if args.minimal {
            Surface::Minimal
        } else {
            Surface::Full
        },
        tls: match (args.tls_cert, args.tls_key) {
            (Some(cert), Some(key)) => Some(TlsSetup::Files { cert, key }),
            _ if args.tls => Some(TlsSetup::Generate),
            _ => None,
        },
    };
    let reg = registry::start(config)
        .await
        .with_context(|| format!("cannot start the registry on {}", args.addr))?;
    let c = &reg.config().credentials;
    println!("regcheck registry listening on {}", reg.url());
    println!("auth: {}", reg.config().auth);
    println!("surface: {}", reg.config().surface);
    if let Some(ca) = reg.ca_cert_path() {
        println!(
            "tls: CA certificate {} (pass it to --ca-cert)",
            ca.display()
        );
    } else if reg.config().tls.is_some() {
        println!("tls: with the given certificate");
    }
    if reg.config().auth != AuthMode::None {
        println!("username: {}", c.username);
        println!("password: {}", c.password);
        println!("aad token: {}", c.aad_token);
        println!("aad refresh token: {}", c.aad_refresh_token);
    }
    for f in &reg.config().faults {
        println!("fault: {} ({})", f.name(), f.description());
    }
    let _ = std::io::stdout().flush();
    wait_for_stop().await?;
    reg.shutdown().await;
    Ok(0)
}

/// Waits for Ctrl-C or SIGTERM, so a killed registry still removes its throwaway CA.
#[cfg(unix)]
async fn wait_for_stop() -> Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("listening for SIGTERM")?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.context("waiting for Ctrl-C")?,
        _ = term.recv() => {}
    }
    Ok(())
}

/// Waits for Ctrl-C.
#[cfg(not(unix))]
async fn wait_for_stop() -> Result<()> {
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")
}

fn parse_chunk_min(s: &str) -> Result<u64, String> {
    match crate::load::units::parse_size(s) {
        Ok(0) => Err("the minimum chunk size must be positive".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

fn parse_delay(s: &str) -> Result<std::time::Duration, String> {
    crate::load::units::parse_duration(s).map_err(|e| e.to_string())
}
