//! The dataflow document, generated from the flows' own tables so it can never drift from
//! what the code does. RST (`list-table`) or Markdown (pipe tables); no timestamp, so the same
//! version always produces the same text.

use crate::engine::Flow;
use crate::error::{ErrorCode, Result, SyncError};

pub const TITLE: &str = "Customerp to Chargebee Dataflow";

pub const INTRODUCTION: &str = "This document describes how records flow between Customerp and Chargebee. Each \
section below covers one flow: the Customerp record type, the Chargebee resource it is kept in sync with, the \
properties mapped between them with their Chargebee data types and directions, how existing partners are found \
(merge criteria) and the rules special to the flow. Every flow is two-way: once a Customerp record and a \
Chargebee record are linked, an edit on either side reaches the other.";

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Rst,
    Markdown,
}

impl Format {
    pub fn parse(s: Option<&str>) -> Result<Format> {
        match s {
            None | Some("rst") => Ok(Format::Rst),
            Some("markdown") => Ok(Format::Markdown),
            Some(other) => Err(SyncError::new(
                ErrorCode::InvalidValue,
                "",
                format!("unknown document format {other:?}; use \"rst\" or \"markdown\""),
            )),
        }
    }
}

pub fn section_title(f: &dyn Flow) -> String {
    format!("Customerp {} to Chargebee {}", f.doc().customerp_type, f.doc().chargebee_resource)
}

fn rows(f: &dyn Flow) -> Vec<[String; 4]> {
    f.props()
        .iter()
        .map(|p| [p.cp_label(), p.cb.to_string(), p.cb_type.to_string(), p.dir.as_str().to_string()])
        .collect()
}

fn header(f: &dyn Flow) -> [String; 4] {
    [
        format!("Customerp {} Property", f.doc().customerp_type),
        format!("Chargebee {} Property", f.doc().chargebee_resource),
        "Chargebee Data Type".to_string(),
        "Direction".to_string(),
    ]
}

fn underline(text: &str, ch: char) -> String {
    ch.to_string().repeat(text.chars().count())
}

/// The document of these flows (the flows with their mapped rows, if the configuration has any).
pub fn document(format: Format, flows: &[&'static dyn Flow]) -> String {
    let mut out = String::new();
    match format {
        Format::Rst => {
            out += &format!("{}\n{TITLE}\n{}\n\n{INTRODUCTION}\n", underline(TITLE, '='), underline(TITLE, '='));
        }
        Format::Markdown => out += &format!("# {TITLE}\n\n{INTRODUCTION}\n"),
    }
    for &f in flows {
        let title = section_title(f);
        out.push('\n');
        match format {
            Format::Rst => out += &format!("{title}\n{}\n\n", underline(&title, '-')),
            Format::Markdown => out += &format!("## {title}\n\n"),
        }
        out += &format!("{}\n\n", f.doc().sentences);
        let head = header(f);
        match format {
            Format::Rst => {
                out += ".. list-table::\n   :header-rows: 1\n\n";
                let header = head.map(|h| h.to_string());
                let body = rows(f).into_iter().map(|r| r.map(|c| rst_cell(&c)));
                for row in std::iter::once(header).chain(body) {
                    for (i, cell) in row.iter().enumerate() {
                        let bullet = if i == 0 { "   * - " } else { "     - " };
                        out += &format!("{bullet}{cell}\n");
                    }
                }
            }
            Format::Markdown => {
                out += &format!("| {} |\n|---|---|---|---|\n", head.join(" | "));
                for row in rows(f) {
                    let cells: Vec<String> = row.iter().map(|c| md_cell(c)).collect();
                    out += &format!("| {} |\n", cells.join(" | "));
                }
            }
        }
        out += "\nMerge criteria:\n\n";
        for c in f.doc().merge_criteria {
            out += &format!("- {c}\n");
        }
        out += "\nSpecial rules:\n\n";
        for r in f.doc().rules {
            out += &format!("- {}\n", one_line(r));
        }
    }
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn rst_cell(s: &str) -> String {
    format!("``{s}``").replace("````", "")
}

fn md_cell(s: &str) -> String {
    if s.is_empty() { String::new() } else { format!("`{}`", s.replace('|', "\\|")) }
}
