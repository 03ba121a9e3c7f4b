//! Input: from paths and streams to documents. `inputs` finds the files to read, `reader` splits
//! a stream into documents as it arrives (with their positions), `parse` turns one document into
//! a JSON value. It hands pieces of bytes with positions to the judge.

pub mod inputs;
pub mod parse;
pub mod reader;
