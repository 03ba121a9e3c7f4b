//! The ceiling a validator is measured against: parse every line of an NDJSON file into a
//! `serde_json::Value`, on one thread, and do nothing else.

#![allow(clippy::print_stdout)]

use std::io::{BufRead, BufReader};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: parse_lines FILE")?;
    let mut reader = BufReader::with_capacity(256 * 1024, std::fs::File::open(path)?);
    let (mut line, mut parsed) = (Vec::new(), 0usize);
    while reader.read_until(b'\n', &mut line)? > 0 {
        if serde_json::from_slice::<serde_json::Value>(&line).is_ok() {
            parsed += 1;
        }
        line.clear();
    }
    println!("{parsed}");
    Ok(())
}
