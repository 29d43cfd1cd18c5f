//! `soilwatch`: the command line of the soil environment information platform.
//!
//! Thin: clap parses a [`Command`] and dispatches to the crates. Exit codes: 0 ok, 1 failure,
//! 2 input rejected (with a report written).

mod bench;
mod classify;
mod db;
mod db_backup;
mod demo;
mod evaluate;
mod import;
mod interpolate;
mod limits_args;
mod package;
mod plot_boundaries;
mod progress;
mod report;
mod serve;
mod user;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// 土壤环境信息化管理平台 / soil environment information platform.
#[derive(Debug, Parser)]
#[command(name = "soilwatch", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the web platform (pages, JSON API) on the database; creates, migrates and seeds it
    /// on first start.
    Serve(serve::ServeArgs),
    /// Database maintenance: migrate, seed, backup, restore, copy.
    Db {
        #[command(subcommand)]
        command: db::DbCommand,
    },
    /// Import a file of points or results into the database: all or nothing, with a report.
    /// Exit 0 imported or unchanged, 2 rejected (nothing stored), 1 failure.
    Import(import::ImportArgs),
    /// Check a file without a database (the rules that need stored data are skipped).
    Validate(import::ValidateArgs),
    /// Write an import template (XLSX with drop-down lists, or CSV).
    Template(import::TemplateArgs),
    /// Evaluate a CSV file of soil results against GB 15618-2018 or GB 36600-2018 (no database).
    Evaluate(evaluate::EvaluateArgs),
    /// Load a generated demonstration dataset (points, ten years of samples, codes DEMO-…) into
    /// an empty database.
    Demo(demo::DemoArgs),
    /// Interpolate point values (IDW or ordinary kriging) to target points or a grid
    /// (ESRI ASCII or GeoTIFF), with kriging variance and cross-validation (no database).
    Interpolate(interpolate::InterpolateArgs),
    /// Accounts: add a user with a role, set a password, disable or enable, list, create an API
    /// token. Passwords are read from the terminal or standard input, never from arguments.
    User {
        #[command(subcommand)]
        command: user::UserCommand,
    },
    /// Classify farmland units (parcels from a GeoJSON file, or a grid clipped to each county
    /// without parcels) for a year into priority protection / safe utilization / strict control,
    /// store the run with its evidence, print the classification list and write it (CSV, GeoJSON).
    Classify(classify::ClassifyArgs),
    /// Write the annual soil-environment report (network and samples, exceedances, classification
    /// and its changes, plots and remediation, enterprises, indicators against targets) as HTML,
    /// XLSX or DOCX.
    Report(report::ReportArgs),
    /// Write a year's exchange package (zip: CSV per table, GeoJSON of the points, a manifest with
    /// row counts, SHA-256 per file and the schema version) for the prefecture or the province.
    ExportPackage(package::ExportPackageArgs),
    /// Load an exchange package: checksums and row counts verified, a tampered or truncated
    /// package refused with nothing stored, the same package twice changes nothing.
    /// Exit 0 imported or unchanged, 2 refused, 1 failure.
    ImportPackage(package::ImportPackageArgs),
    /// Replace the boundaries of registered contaminated plots from a GeoJSON or GeoPackage file
    /// (CGCS2000 or WGS 84), all or nothing; each changed plot gets a new version.
    /// Exit 0 stored or unchanged, 2 rejected (nothing stored), 1 failure.
    PlotBoundaries(plot_boundaries::PlotBoundariesArgs),
    /// Measure the platform on a generated dataset of a chosen size (import into SQLite and
    /// PostgreSQL, evaluation, classification, kriging, API latency under concurrent load, peak
    /// memory), each figure beside a baseline measured in the same run.
    Bench(bench::BenchArgs),
}

/// Where the database is: shared by every command that needs one.
#[derive(Debug, clap::Args, Clone)]
pub struct DbArgs {
    /// Database URL: a SQLite file (`soilwatch.db`, `sqlite://path`) or `postgres://user@host/db`.
    #[arg(long, env = "SOILWATCH_DB", default_value = "sqlite://soilwatch.db")]
    pub db: String,
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SOILWATCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Db { command } => db::run(command).await,
            Command::Evaluate(args) => evaluate::run(args),
            Command::Demo(args) => demo::run(args).await,
            Command::Interpolate(args) => interpolate::run(args),
            Command::User { command } => user::run(command).await,
            Command::Classify(args) => classify::run(args).await,
            Command::Report(args) => report::run(args).await,
            Command::ExportPackage(args) => package::run_export(args).await,
            Command::ImportPackage(args) => package::run_import(args).await,
            Command::PlotBoundaries(args) => plot_boundaries::run(args).await,
            Command::Import(args) => import::run_import(args).await,
            Command::Bench(args) => bench::run(args).await,
            Command::Validate(args) => import::run_validate(args).await,
            Command::Template(args) => import::run_template(args),
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_cli() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
