//! The command line every service shares: `serve` (the default), `migrate`,
//! and the service's own subcommands (`seed`, `openapi`, `policies`…) flattened
//! beside them.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
pub struct Cli<E: Subcommand> {
    #[command(subcommand)]
    pub command: Option<Command<E>>,
}

#[derive(Debug, Subcommand)]
pub enum Command<E: Subcommand> {
    /// Run the service (the default).
    Serve,
    /// Create the database if missing, run pending migrations, then exit.
    Migrate,
    #[command(flatten)]
    Service(E),
}

/// For services without subcommands of their own.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum NoExtra {}
