//! `gauntlet serve`: run the reference A2A server until Ctrl-C or SIGTERM.

use std::net::SocketAddr;

use gauntlet_reference::{Fault, Server};

/// Arguments of `gauntlet serve`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7420")]
    pub addr: String,
    /// Declare and serve no streaming (capabilities.streaming = false).
    #[arg(long)]
    pub no_streaming: bool,
    /// Declare and serve no push notifications.
    #[arg(long)]
    pub no_push: bool,
    /// Declare no extended agent card.
    #[arg(long)]
    pub no_extended_card: bool,
    /// Require `Authorization: Bearer TOKEN`; repeat for several identities.
    #[arg(long = "bearer", value_name = "TOKEN")]
    pub bearer: Vec<String>,
    /// Allow webhooks on loopback and private addresses (turns the SSRF guard off).
    #[arg(long)]
    pub allow_private_webhooks: bool,
    /// Trust the CA certificates in this PEM file for https:// webhooks, besides the webpki roots.
    #[arg(long, value_name = "FILE")]
    pub webhook_ca: Option<std::path::PathBuf>,
    /// Declare an extension every request must activate.
    #[arg(long, value_name = "URI")]
    pub required_extension: Option<String>,
    /// Largest accepted request body, in bytes.
    #[arg(long, value_name = "N")]
    pub max_body_bytes: Option<usize>,
    /// Byte budget of the task store (default 512 MiB); the oldest finished tasks are evicted
    /// to stay within it.
    #[arg(long, value_name = "N")]
    pub max_store_bytes: Option<usize>,
    /// Open connections beyond which new ones get an immediate 503.
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Inject a deliberate bug (for testing the suite).
    #[arg(long, value_name = "NAME", hide = true)]
    pub fault: Option<Fault>,
}

/// Runs the subcommand; returns the process exit code.
pub async fn run(args: Args) -> u8 {
    let addr: SocketAddr = match args.addr.parse() {
        Ok(a) => a,
        Err(_) => {
            eprintln!(
                "gauntlet serve: `{}` is not a socket address (expected e.g. 127.0.0.1:7420)",
                args.addr
            );
            return crate::EXIT_USAGE;
        }
    };
    let mut builder = Server::builder()
        .streaming(!args.no_streaming)
        .push_notifications(!args.no_push)
        .extended_card(!args.no_extended_card)
        .allow_private_webhooks(args.allow_private_webhooks)
        .fault(args.fault);
    for token in args.bearer {
        builder = builder.bearer(token);
    }
    if let Some(n) = args.max_body_bytes {
        builder = builder.max_body_bytes(n);
    }
    if let Some(n) = args.max_connections {
        builder = builder.max_connections(n);
    }
    builder.config_mut().required_extension = args.required_extension;
    if let Some(path) = &args.webhook_ca {
        let added = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|pem| builder.config_mut().trust_webhook_ca_pem(&pem));
        if let Err(e) = added {
            eprintln!("gauntlet serve: --webhook-ca {}: {e}", path.display());
            return crate::EXIT_USAGE;
        }
    }
    if let Some(n) = args.max_store_bytes {
        builder.config_mut().max_store_bytes = n;
    }
    let server = match builder.bind(addr).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("gauntlet serve: cannot listen on {addr}: {e}");
            return crate::EXIT_USAGE;
        }
    };
    println!("A2A reference server listening on {}/", server.base_url());
    wait_for_signal().await;
    tracing::info!("shutting down");
    server.shutdown().await;
    tracing::info!("stopped");
    crate::EXIT_OK
}

/// Resolves on Ctrl-C, or on SIGTERM where there is one.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                return;
            }
            Err(e) => tracing::warn!(error = %e, "cannot watch SIGTERM; Ctrl-C only"),
        }
    }
    if let Err(e) = tokio::signal::ctrl_c().await {
        tracing::warn!(error = %e, "cannot watch Ctrl-C");
        std::future::pending::<()>().await;
    }
}
