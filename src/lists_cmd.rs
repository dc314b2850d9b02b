//! `dce dnc …`: the number lists, fed from CSV files.

use crate::app;
use crate::config::Config;
use anyhow::Context;
use dce_marketplace::domain::{ListKind, PhoneNumber};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand, Debug)]
pub enum ListCommand {
    /// Add the numbers of a CSV file (a number per line, in its first column) to a list.
    Import {
        /// The CSV file; a header line and `#` comments are skipped.
        file: PathBuf,
        /// Which list: dnc, litigator, suppression or blocklist.
        #[arg(long, default_value = "dnc")]
        list: String,
    },
}

pub async fn run(config: &Config, command: ListCommand) -> anyhow::Result<ExitCode> {
    match command {
        ListCommand::Import { file, list } => {
            let kind = ListKind::parse(&list).with_context(|| {
                format!("--list {list:?}: use dnc, litigator, suppression or blocklist")
            })?;
            let reader = std::io::BufReader::new(
                std::fs::File::open(&file)
                    .with_context(|| format!("cannot open {}", file.display()))?,
            );
            let (numbers, rejected) = read_numbers(reader)?;
            let store = app::open_store(config).await?;
            let added = store.add_to_list(kind, &numbers).await?;
            println!(
                "{}: {} numbers read, {added} new on the {} list",
                file.display(),
                numbers.len(),
                kind.as_str()
            );
            if !rejected.is_empty() {
                let shown: Vec<String> = rejected.iter().take(10).map(|l| l.to_string()).collect();
                eprintln!(
                    "{}: {} lines are not phone numbers (lines {}{})",
                    file.display(),
                    rejected.len(),
                    shown.join(", "),
                    if rejected.len() > 10 { ", …" } else { "" }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Numbers from a CSV (first column); returns them and the lines that were not numbers.
pub fn read_numbers(reader: impl BufRead) -> anyhow::Result<(Vec<u64>, Vec<usize>)> {
    let mut numbers = Vec::new();
    let mut rejected = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line?;
        let field = line
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if field.is_empty() || field.starts_with('#') {
            continue;
        }
        match PhoneNumber::normalize(field) {
            Ok(n) => numbers.push(n.as_u64()),
            // A first line that is not a number is a header.
            Err(_) if i == 0 => {}
            Err(_) => rejected.push(i + 1),
        }
    }
    Ok((numbers, rejected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_first_column_skipping_header_and_comments() {
        let csv = "phone,name\n+12125551234,a\n(310) 555-0000,b\n# note\n\nnot-a-number\n";
        let (numbers, rejected) = read_numbers(csv.as_bytes()).unwrap();
        assert_eq!(numbers, vec![12125551234, 13105550000]);
        assert_eq!(rejected, vec![6]);
    }
}
