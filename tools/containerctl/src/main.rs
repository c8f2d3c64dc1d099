//! containerctl: the administrator's command for task containers
//! (`Documentation/tools.rst`). Each subcommand is a thin layer over the
//! kernel's files, through the `containerfs` library.

mod cli;
mod commands;
mod process;
mod table;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("containerctl: {e}");
            ExitCode::from(1)
        }
    }
}
