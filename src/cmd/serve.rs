//! `gauntlet serve`: run the reference A2A server until Ctrl-C or SIGTERM. Its `--help` lists
//! the fault switches under their own heading, each fault with its doc comment, read from the
//! `Fault` enum's source so the list cannot fall behind it.

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
    /// Inject a deliberate bug, to prove that the suite catches it (each names the checklist
    /// group that must).
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Fault switches (a deliberately broken server, for testing the suite)",
        value_parser = fault_parser()
    )]
    pub fault: Option<Fault>,
}

/// The source of the `Fault` enum: its doc comments are the faults' help.
const FAULT_SOURCE: &str = include_str!("../../reference/src/config.rs");

/// `LowercaseEnum` → `lowercase-enum`, `Legacy03Method` → `legacy-03-method`: the names of
/// [`Fault::name`].
fn kebab(ident: &str) -> String {
    let mut out = String::new();
    let mut prev: Option<char> = None;
    for c in ident.chars() {
        let boundary = match prev {
            None => false,
            Some(p) => {
                c.is_ascii_uppercase()
                    || (c.is_ascii_digit() && !p.is_ascii_digit())
                    || (c.is_ascii_alphabetic() && p.is_ascii_digit())
            }
        };
        if boundary {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
        prev = Some(c);
    }
    out
}

/// Each fault's name with its doc comment (joined into one line), in declaration order.
pub fn fault_docs() -> Vec<(String, String)> {
    let Some(start) = FAULT_SOURCE.find("pub enum Fault {") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut doc: Vec<&str> = Vec::new();
    for line in FAULT_SOURCE[start..].lines().skip(1) {
        let line = line.trim();
        if line == "}" {
            break;
        }
        if let Some(text) = line.strip_prefix("///") {
            doc.push(text.trim());
        } else if let Some(ident) = line.strip_suffix(',') {
            if ident.chars().all(|c| c.is_ascii_alphanumeric()) && !ident.is_empty() {
                out.push((kebab(ident), doc.join(" ")));
            }
            doc.clear();
        }
    }
    out
}

/// `--fault`: one of [`Fault::ALL`] by name, each listed in `--help` with its doc comment.
fn fault_parser() -> impl clap::builder::TypedValueParser<Value = Fault> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser as _};
    let docs = fault_docs();
    let values = Fault::ALL.iter().map(|f| {
        let help = docs
            .iter()
            .find(|(name, _)| name == f.name())
            .map(|(_, doc)| doc.clone())
            .unwrap_or_default();
        PossibleValue::new(f.name()).help(help)
    });
    PossibleValuesParser::new(values).map(|name: String| {
        // The parser admits only the names of `Fault::ALL`.
        name.parse::<Fault>().unwrap_or(Fault::ALL[0])
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_has_its_doc_comment_as_help() {
        let docs = fault_docs();
        for f in Fault::ALL {
            let doc = docs.iter().find(|(n, _)| n == f.name());
            assert!(
                doc.is_some_and(|(_, d)| !d.is_empty()),
                "{} has no doc comment in reference/src/config.rs",
                f.name()
            );
        }
        assert_eq!(
            kebab("Legacy03MethodInternalError"),
            "legacy-03-method-internal-error"
        );
    }
}
