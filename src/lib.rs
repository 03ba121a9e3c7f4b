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
pub mod checks;
pub mod cli;
pub mod codes;
pub mod config;
pub mod datetime;
pub mod exit;
pub mod generate;
pub mod inputs;
pub mod inspect;
pub mod latency;
pub mod listen;
pub mod locate;
pub mod messages;
pub mod parse;
pub mod pipeline;
pub mod reader;
pub mod records;
pub mod render;
pub mod report;
pub mod run;
pub mod schemas;
pub mod send;
pub mod validate;
