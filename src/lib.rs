//! jerahook: schemas, validation and inspection for JeraSoft VCS Provisioning API payloads.
//!
//! The modules follow the data:
//! - `records` and `catalog` describe the 27 events and the records they carry;
//! - `generate` turns the catalog into JSON Schema, `schemas` compiles it (or a user's copy);
//! - `inputs` finds the files to read, `reader` splits them into documents as they stream in;
//! - `parse` reads each document, `validate` judges it into a `report::Record` (with sentences
//!   from `messages`, domain checks from `checks`, stable codes from `codes`, and positions in
//!   the input from `locate`);
//! - `pipeline` runs reading and judging on one thread or several, keeping input order;
//! - `inspect` picks out what a person wants to see of a payload;
//! - `listen` and `send` carry payloads over HTTP (with `latency` for their summaries);
//! - `render` is the only place that writes output;
//! - `cli` and `config` read the command line, `run` drives each command, `exit` maps the
//!   outcome to a process exit code.

pub mod catalog;
pub mod cli;
pub mod config;
pub mod exit;
pub mod http;
pub mod input;
pub mod judge;
pub mod output;
pub mod pipeline;
pub mod run;

// The paths tests, benches and the fuzz target use.
pub use catalog::{generate, records};
pub use input::reader;
pub use judge::{codes, report, schemas, validate};
pub use output::render;
