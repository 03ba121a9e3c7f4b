//! Any bytes through the reader and the validator: no panic, a record for every piece, and
//! every reported position inside the input.
#![no_main]

use std::sync::LazyLock;

use jerahook::reader::{Piece, Splitter};
use jerahook::schemas::SchemaSet;
use jerahook::validate::{self, Options};
use libfuzzer_sys::fuzz_target;

static SCHEMAS: LazyLock<SchemaSet> = LazyLock::new(SchemaSet::built_in);

fuzz_target!(|data: &[u8]| {
    let options = Options {
        allow_unknown: data.first().is_some_and(|b| b & 1 == 1),
        undocumented: true,
        now: Some(1_800_000_000),
        ..Options::default()
    };
    let lines = data.iter().filter(|&&b| b == b'\n' || b == b'\r').count() + 1;
    for (index, piece) in Splitter::new(data).enumerate() {
        let piece = piece.expect("reading from memory cannot fail");
        if let Piece::Value { bytes, .. } = &piece {
            assert!(!bytes.is_empty(), "empty value piece");
        }
        let (record, _) = validate::judge(piece, "-", index, &SCHEMAS, options)
            .expect("built-in schemas compile");
        assert_eq!(record.valid, record.errors.is_empty());
        for issue in record.errors.iter().chain(&record.warnings) {
            assert!(issue.line >= 1 && issue.line <= lines, "line {} of {lines}", issue.line);
            assert!(issue.column >= 1);
        }
    }
});
