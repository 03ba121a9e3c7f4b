//! The `listen --save` file: one line per acknowledged payload, holding the body's own bytes.
//!
//! A line is the body with only the whitespace outside strings removed, so every token (number
//! lexemes such as `1E2` or 30-digit integers, escapes, duplicate keys, key order) is what VCS
//! sent. The file only ever ends in whole lines: a write that fails (a full disk) is cut back to
//! the last complete line before the error is returned, so the payload is answered 5xx and the
//! next one starts its own line.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use anyhow::{Context, Result};

/// Where capture lines go: a file, or in tests a writer that fails on demand.
pub(crate) trait Sink: Write {
    /// Shortens the sink to `len` bytes.
    fn cut(&mut self, len: u64) -> io::Result<()>;
    /// Makes what was written durable.
    fn sync(&mut self) -> io::Result<()>;
}

impl Sink for File {
    fn cut(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)
    }

    fn sync(&mut self) -> io::Result<()> {
        self.sync_data()
    }
}

/// An append-only file of whole JSON lines.
pub(crate) struct Capture<S> {
    sink: S,
    /// Length of the file up to its last complete line.
    len: u64,
    /// Sync after every line (`--fsync`).
    fsync: bool,
    /// A failed write could not be cut back; try again before the next line.
    dirty: bool,
}

impl Capture<File> {
    /// Opens (or creates) `path` for appending. A file left ending in half a line (by a crash
    /// of another program) gets a newline first, so our lines start clean.
    pub(crate) fn open(path: &Path, fsync: bool) -> Result<Self> {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .with_context(|| format!("{}: cannot open the save file", path.display()))?;
        let mut len = file
            .metadata()
            .with_context(|| format!("{}", path.display()))?
            .len();
        if len > 0 && file.metadata()?.is_file() {
            let mut last = [0u8];
            file.seek(SeekFrom::Start(len - 1))
                .and_then(|_| file.read_exact(&mut last))
                .with_context(|| format!("{}: cannot read the save file", path.display()))?;
            if last[0] != b'\n' {
                file.write_all(b"\n")
                    .with_context(|| format!("{}: cannot write the save file", path.display()))?;
                len += 1;
            }
        }
        Ok(Capture::new(file, len, fsync))
    }
}

impl<S: Sink> Capture<S> {
    /// A capture appending to `sink`, which holds `len` bytes of whole lines.
    pub(crate) fn new(sink: S, len: u64, fsync: bool) -> Self {
        Capture {
            sink,
            len,
            fsync,
            dirty: false,
        }
    }

    /// Appends `body` (one JSON document, already parsed once) as one line. On error the sink
    /// is cut back to its last complete line and nothing of this payload remains.
    pub(crate) fn append(&mut self, body: &[u8]) -> io::Result<()> {
        if self.dirty {
            self.sink.cut(self.len)?;
            self.dirty = false;
        }
        let mut line = compact(body);
        line.push(b'\n');
        let written = self
            .sink
            .write_all(&line)
            .and_then(|()| self.sink.flush())
            .and_then(|()| if self.fsync { self.sink.sync() } else { Ok(()) });
        match written {
            Ok(()) => {
                self.len += line.len() as u64;
                Ok(())
            }
            Err(error) => {
                if let Err(cut) = self.sink.cut(self.len) {
                    self.dirty = true;
                    return Err(io::Error::new(
                        error.kind(),
                        format!("{error}; cutting back the half-written line failed too: {cut}"),
                    ));
                }
                Err(error)
            }
        }
    }

    /// Syncs everything written so far to disk.
    pub(crate) fn sync(&mut self) -> io::Result<()> {
        self.sink.flush()?;
        self.sink.sync()
    }
}

/// The body with the whitespace outside strings removed and a leading byte order mark dropped;
/// every other byte is kept as it came. `body` must be one JSON document.
pub(crate) fn compact(body: &[u8]) -> Vec<u8> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut out = Vec::with_capacity(body.len());
    let mut in_string = false;
    let mut escaped = false;
    for &byte in body {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            out.push(byte);
        } else if !matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
            in_string = byte == b'"';
            out.push(byte);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_keeps_every_token_as_sent() {
        let body = "{\n  \"event\": {\"dt\": \"a b\\\" \\n\\u0041\"},\n  \"n\": 123456789012345678901234567890,\r\n\t\"e\": 1E2, \"big\": 18446744073709551616, \"a\": 1, \"a\": 2, \"s\": \"x  y\"\n}\n";
        assert_eq!(
            String::from_utf8(compact(body.as_bytes())).unwrap(),
            "{\"event\":{\"dt\":\"a b\\\" \\n\\u0041\"},\"n\":123456789012345678901234567890,\"e\":1E2,\"big\":18446744073709551616,\"a\":1,\"a\":2,\"s\":\"x  y\"}"
        );
        // An escaped backslash ends before the quote that closes the string.
        assert_eq!(compact(b"[\"\\\\\" , 1]"), b"[\"\\\\\",1]");
        assert_eq!(compact(b"\xEF\xBB\xBF {} "), b"{}");
        assert_eq!(compact("\"é ü\"".as_bytes()), "\"é ü\"".as_bytes());
    }

    /// An in-memory sink that accepts `room` bytes, then fails like a full disk.
    struct Disk {
        data: Vec<u8>,
        room: usize,
        syncs: usize,
        cut_fails: bool,
    }

    impl Disk {
        fn with_room(room: usize) -> Self {
            Disk {
                data: Vec::new(),
                room,
                syncs: 0,
                cut_fails: false,
            }
        }
    }

    impl Write for Disk {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let free = self.room.saturating_sub(self.data.len());
            if free == 0 {
                return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
            }
            let n = free.min(buf.len());
            self.data.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Sink for Disk {
        fn cut(&mut self, len: u64) -> io::Result<()> {
            if self.cut_fails {
                return Err(io::Error::other("cannot truncate"));
            }
            self.data.truncate(len as usize);
            Ok(())
        }

        fn sync(&mut self) -> io::Result<()> {
            self.syncs += 1;
            Ok(())
        }
    }

    #[test]
    fn a_failed_write_is_cut_back_and_the_next_line_is_whole() {
        let mut capture = Capture::new(Disk::with_room(20), 0, false);
        capture.append(b"{\"a\": 1}").unwrap();
        assert_eq!(capture.sink.data, b"{\"a\":1}\n");
        let error = capture.append(b"{\"bbbbbbbbbbbb\": 2}").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::StorageFull);
        assert_eq!(
            capture.sink.data, b"{\"a\":1}\n",
            "half a line was cut back"
        );
        capture.sink.room = 100;
        capture.append(b"{\"c\": 3}").unwrap();
        assert_eq!(capture.sink.data, b"{\"a\":1}\n{\"c\":3}\n");
    }

    #[test]
    fn a_cut_that_fails_is_retried_before_the_next_line() {
        let mut capture = Capture::new(Disk::with_room(12), 0, false);
        capture.append(b"{\"a\":1}").unwrap();
        capture.sink.cut_fails = true;
        let error = capture.append(b"{\"bbbbbbbbbbbb\":2}").unwrap_err();
        assert!(error.to_string().contains("cutting back"), "{error}");
        assert!(capture.append(b"{}").is_err(), "cannot cut yet: refused");
        capture.sink.cut_fails = false;
        capture.sink.room = 100;
        capture.append(b"{\"c\":3}").unwrap();
        assert_eq!(capture.sink.data, b"{\"a\":1}\n{\"c\":3}\n");
    }

    #[test]
    fn fsync_syncs_every_line() {
        let mut capture = Capture::new(Disk::with_room(100), 0, true);
        capture.append(b"{}").unwrap();
        capture.append(b"[]").unwrap();
        assert_eq!(capture.sink.syncs, 2);
        let mut lazy = Capture::new(Disk::with_room(100), 0, false);
        lazy.append(b"{}").unwrap();
        assert_eq!(lazy.sink.syncs, 0);
        lazy.sync().unwrap();
        assert_eq!(lazy.sink.syncs, 1);
    }

    #[test]
    fn a_file_ending_in_half_a_line_gets_a_newline_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("capture.ndjson");
        std::fs::write(&path, "{\"a\":1}\n{\"cut").unwrap();
        let mut capture = Capture::open(&path, true).unwrap();
        capture.append(b"{ \"b\" : 2 }").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"a\":1}\n{\"cut\n{\"b\":2}\n"
        );
    }
}
