//! Printing results in the chosen `-o` format: `table` (aligned, for
//! people), `json` (proto3 JSON; a list is a JSON array), `jsonl` (one
//! compact object a line) and `name` (one resource name a line).

use std::io::Write;

use clap::ValueEnum;
use serde_json::Value;

use crate::error::{CliError, Result};
use crate::table;
use crate::views::Resource;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns (lists) or a field list (one resource).
    Table,
    /// Proto3 JSON; a list prints one JSON array.
    Json,
    /// One compact JSON object per line.
    Jsonl,
    /// One resource name per line.
    Name,
}

/// Writes `text` to standard output; a closed pipe (`| head`) ends quietly.
pub fn write(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(CliError::other(format!("cannot write to standard output: {e}"))),
    }
}

pub fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

pub fn compact(v: &Value) -> String {
    let mut s = v.to_string();
    s.push('\n');
    s
}

/// One resource: a field list, JSON, or its name.
pub fn one<R: Resource>(format: Format, r: &R) -> Result<()> {
    write(&render_one(format, r))
}

pub fn render_one<R: Resource>(format: Format, r: &R) -> String {
    match format {
        Format::Table => table::fields(&r.details()),
        Format::Json => pretty(&r.json()),
        Format::Jsonl => compact(&r.json()),
        Format::Name => format!("{}\n", r.name()),
    }
}

/// A list: a table, a JSON array, JSON lines, or names.
pub fn list<R: Resource>(format: Format, items: &[R]) -> Result<()> {
    if format == Format::Table && items.is_empty() {
        eprintln!("No {} found.", R::PLURAL);
        return Ok(());
    }
    write(&render_list(format, items))
}

pub fn render_list<R: Resource>(format: Format, items: &[R]) -> String {
    match format {
        Format::Table => {
            let rows: Vec<Vec<String>> = items.iter().map(Resource::row).collect();
            table::render(R::header(), &rows)
        }
        Format::Json => pretty(&Value::Array(items.iter().map(Resource::json).collect())),
        Format::Jsonl => items.iter().map(|r| compact(&r.json())).collect(),
        Format::Name => items.iter().map(|r| format!("{}\n", r.name())).collect(),
    }
}

/// One item of a stream, as soon as it arrives: a table line (no header),
/// or a compact JSON line for both `json` and `jsonl`, or its name.
pub fn stream_item<R: Resource>(format: Format, r: &R) -> Result<()> {
    let text = match format {
        Format::Table => {
            let cells = r.row();
            format!("{}\n", cells.join("  ").trim_end())
        }
        Format::Json | Format::Jsonl => compact(&r.json()),
        Format::Name => format!("{}\n", r.name()),
    };
    write(&text)
}
