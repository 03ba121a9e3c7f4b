//! jerahook: schemas, validation and inspection for JeraSoft VCS Provisioning API payloads.
//!
//! The folders are the stages a payload goes through, and imports point down this list only:
//! - `catalog/`: the 27 events, the records they carry, their date-time forms, and the
//!   generator that turns them into JSON Schema (depends on nothing else);
//! - `input/`: finding the files to read, splitting streams into documents as they arrive,
//!   parsing one document;
//! - `judge/`: compiled schemas, validation into a `report::Record`, domain checks, messages,
//!   positions in the input and stable codes;
//! - `output/`: the only writer of the validator's output (text and JSON records, summaries)
//!   and the `inspect` views;
//! - `http/`: `listen` and `send`, what they share on the wire, and their own output lines.
//!
//! At the top: `cli` (clap only) and `config` read the command line once, `run` drives each
//! command, `pipeline` runs reading and judging on one thread or several in input order,
//! `exit` maps the outcome to a process exit code, and `manual` derives the completion scripts
//! and the man page from `cli`.

pub mod catalog;
pub mod cli;
pub mod config;
pub mod exit;
mod http;
mod input;
mod judge;
mod manual;
mod output;
mod pipeline;
pub mod run;

// The paths tests, benches and the fuzz target use.
pub use catalog::{generate, records};
pub use input::reader;
pub use judge::{codes, report, schemas, validate};
pub use output::render;
