//! Splits an input into JSON documents as it arrives, so captures of any length stream through
//! in memory bounded by the largest document.
//!
//! An input holds one document or many: NDJSON, or documents one after another, pretty-printed
//! or not. The splitter follows strings and brackets to find where each document ends, without
//! parsing it; `serde_json` parses each piece afterwards. Broken input must not hide what comes
//! after it, so the splitter resynchronises:
//! - a string never spans a line in valid JSON, so a line break inside one ends the string;
//! - a `{` in the first column of a line, while a document is still open, starts a new document
//!   (the open one was cut short) unless it can continue the open one: JSON expects a value
//!   there (after `:`, `[`, or `,` in an array) and the open document is laid out with nothing
//!   indented (`json.dumps(indent=0)`, an array of payloads one per line). A document whose
//!   first line held more than its bracket (NDJSON), or whose inner lines are indented (any
//!   pretty-printer), never has a nested `{` in the first column, so there it always cuts;
//! - a document larger than the limit (`--max-doc`) is not kept: its bytes are counted and
//!   dropped until it ends or is cut, and it becomes one piece that says so;
//! - text that cannot start a JSON value is reported up to the end of its line, and reading
//!   resumes on the next line.

use std::io::{self, BufRead};

/// A place in an input: 1-based line and column (in characters; CR, LF and CRLF each end a
/// line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// One piece of an input.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece {
    /// The bytes of what should be one JSON value (it may still fail to parse).
    Value { start: Position, bytes: Vec<u8> },
    /// Text that cannot start a JSON value, up to the end of its line (shortened).
    Stray { start: Position, text: String },
    /// A document larger than the limit: dropped as it streamed past, `size` bytes of it.
    TooLarge {
        start: Position,
        size: u64,
        limit: usize,
    },
    /// The input is not UTF-8 at all (a UTF-16 or UTF-32 byte order mark, or the NUL bytes
    /// those encodings put beside ASCII): nothing in it can be read, and this is the only piece.
    NotUtf8 {
        encoding: &'static str,
        /// Whether a byte order mark announced it (otherwise its NUL bytes gave it away).
        bom: bool,
    },
}

/// The default for `--max-doc`: far above any real payload, far below what hurts.
pub const DEFAULT_MAX_DOC: usize = 64 * 1024 * 1024;

/// How many levels of nesting the scanner remembers the kind of (`{` or `[`); deeper levels
/// are only counted. serde_json refuses documents nested deeper than 128 anyway.
const STACK_KEEP: usize = 1024;

/// How much of stray text a report keeps.
const STRAY_KEEP: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between documents.
    Idle,
    /// Inside an object or array, or a top-level string.
    Nested,
    /// Inside a top-level number or literal.
    Scalar,
    /// Skipping stray text to the end of the line.
    Stray,
}

/// An iterator over the pieces of a `BufRead`.
pub struct Splitter<R> {
    reader: R,
    scanner: Scanner,
    checked_bom: bool,
    done: bool,
    /// Bytes consumed from the reader so far.
    consumed: u64,
    /// Everything the reader had buffered has been used: the next bytes need a read, which on
    /// a pipe may wait for the writer.
    exhausted: bool,
    /// A piece was returned since the last read.
    yielded: bool,
    /// Documents that close on the line they open are found by a quick walk (off: the
    /// scanner alone, which the walk must agree with).
    whole_lines: bool,
}

impl Piece {
    /// The bytes of input this piece holds (shortened stray text counts as kept).
    pub fn len(&self) -> usize {
        match self {
            Piece::Value { bytes, .. } => bytes.len(),
            Piece::Stray { text, .. } => text.len(),
            Piece::TooLarge { .. } | Piece::NotUtf8 { .. } => 0,
        }
    }

    /// Whether the piece holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The splitter's state between bytes, apart from the reader it reads.
struct Scanner {
    state: State,
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// Position of the next byte.
    line: usize,
    column: usize,
    /// The previous byte was a CR, so a following LF belongs to the same line break.
    after_cr: bool,
    at_line_start: bool,
    start: Position,
    /// The open document's first line has ended...
    first_line_ended: bool,
    /// ...and held more than its opening bracket: an NDJSON line, which a `{` in the first
    /// column of a later line cuts short.
    first_line_content: bool,
    /// A later line of the open document started indented, as pretty-printers write them.
    indented_lines: bool,
    /// A later line started in the first column without closing the document (indent 0).
    flush_lines: bool,
    /// The last byte outside strings that was not white space (`"` for a string).
    last_significant: u8,
    /// The kinds of the open brackets, outermost first (up to [`STACK_KEEP`] levels).
    stack: Vec<u8>,
    /// The open document is over the limit: its bytes are counted, not kept.
    dropped: u64,
    limit: usize,
    buf: Vec<u8>,
    /// A buffer handed back by the consumer (`Splitter::recycle`) for the next document.
    spare: Option<Vec<u8>>,
    stray: String,
}

impl<R: BufRead> Splitter<R> {
    pub fn new(reader: R) -> Self {
        Splitter {
            reader,
            scanner: Scanner::new(DEFAULT_MAX_DOC),
            checked_bom: false,
            done: false,
            consumed: 0,
            exhausted: true,
            yielded: false,
            whole_lines: true,
        }
    }

    /// Documents over `limit` bytes are dropped as they stream past (one [`Piece::TooLarge`]).
    pub fn max_doc(mut self, limit: usize) -> Self {
        self.scanner.limit = limit;
        self
    }

    /// Hands back the bytes of a piece the consumer has copied elsewhere: the next document is
    /// read into them instead of a new allocation.
    pub fn recycle(&mut self, mut bytes: Vec<u8>) {
        if bytes.capacity() <= 1 << 20 {
            bytes.clear();
            self.scanner.spare = Some(bytes);
        }
    }

    /// Bytes consumed from the reader so far.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// Skips a UTF-8 byte order mark; names the encoding a UTF-16 or UTF-32 one announces, or
    /// that NUL bytes beside the first character betray (JSON text never holds a raw NUL).
    fn check_bom(&mut self) -> io::Result<Option<(&'static str, bool)>> {
        self.checked_bom = true;
        let head = self.reader.fill_buf()?;
        if head.starts_with(b"\xEF\xBB\xBF") {
            self.reader.consume(3);
            self.consumed += 3;
            return Ok(None);
        }
        // UTF-32 first: its little-endian mark begins with UTF-16's.
        let marked = if head.starts_with(b"\xFF\xFE\0\0") {
            Some("UTF-32LE")
        } else if head.starts_with(b"\0\0\xFE\xFF") {
            Some("UTF-32BE")
        } else if head.starts_with(b"\xFF\xFE") {
            Some("UTF-16LE")
        } else if head.starts_with(b"\xFE\xFF") {
            Some("UTF-16BE")
        } else {
            None
        };
        if let Some(encoding) = marked {
            return Ok(Some((encoding, true)));
        }
        // Without a mark: an ASCII character beside NUL bytes.
        let nul = |i: usize| head.get(i) == Some(&0);
        let unmarked = match head {
            [0, 0, 0, b, ..] if *b != 0 => Some("UTF-32BE"),
            [b, 0, 0, 0, ..] if *b != 0 => Some("UTF-32LE"),
            [0, b, ..] if *b != 0 && (head.len() < 4 || nul(2)) => Some("UTF-16BE"),
            [b, 0, ..] if *b != 0 && (head.len() < 4 || nul(3)) => Some("UTF-16LE"),
            _ => None,
        };
        Ok(unmarked.map(|encoding| (encoding, false)))
    }
}

impl Scanner {
    fn new(limit: usize) -> Self {
        Scanner {
            state: State::Idle,
            depth: 0,
            in_string: false,
            escaped: false,
            line: 1,
            column: 1,
            after_cr: false,
            at_line_start: true,
            start: Position { line: 1, column: 1 },
            first_line_ended: false,
            first_line_content: false,
            indented_lines: false,
            flush_lines: false,
            last_significant: 0,
            stack: Vec::new(),
            dropped: 0,
            limit,
            buf: Vec::new(),
            spare: None,
            stray: String::new(),
        }
    }

    fn begin(&mut self, state: State) {
        self.state = state;
        self.first_line_ended = false;
        self.first_line_content = false;
        self.indented_lines = false;
        self.flush_lines = false;
        self.stack.clear();
        self.dropped = 0;
        self.start = Position {
            line: self.line,
            column: self.column,
        };
    }

    fn take_value(&mut self) -> Piece {
        self.state = State::Idle;
        self.depth = 0;
        self.in_string = false;
        self.escaped = false;
        if self.dropped > 0 {
            let size = self.dropped + self.buf.len() as u64;
            self.dropped = 0;
            self.buf = Vec::new();
            return Piece::TooLarge {
                start: self.start,
                size,
                limit: self.limit,
            };
        }
        // A document cut short keeps the line breaks before the cut; without them the parser
        // reports the end where the document really stops.
        while self.buf.last().is_some_and(u8::is_ascii_whitespace) {
            self.buf.pop();
        }
        // The next piece is likely about as long as this one: one allocation, no regrowth,
        // unless the consumer handed a buffer back.
        let capacity = self.buf.len().min(1 << 20);
        let next = self
            .spare
            .take()
            .unwrap_or_else(|| Vec::with_capacity(capacity));
        Piece::Value {
            start: self.start,
            bytes: std::mem::replace(&mut self.buf, next),
        }
    }

    fn take_stray(&mut self) -> Piece {
        self.state = State::Idle;
        Piece::Stray {
            start: self.start,
            text: std::mem::take(&mut self.stray),
        }
    }

    /// Keeps bytes of the open document, or only counts them once it is over the limit.
    fn store(&mut self, bytes: &[u8]) {
        if self.dropped > 0 {
            self.dropped += bytes.len() as u64;
            return;
        }
        let len = self.buf.len() + bytes.len();
        if len > self.limit {
            self.dropped += len as u64;
            self.buf = Vec::new();
            return;
        }
        if len > self.buf.capacity() && self.buf.capacity() >= 1 << 20 {
            // Past a megabyte (no real payload is this large), reserve the limit at once:
            // pages count only as they fill, while doubling would hold old and new copies.
            self.buf.reserve_exact(self.limit - self.buf.len());
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Notes how a later line of the open document starts: indented, or in the first column.
    fn line_starts_with(&mut self, byte: u8) {
        if self.line > self.start.line {
            if matches!(byte, b' ' | b'\t') {
                self.indented_lines = true;
            } else if !matches!(byte, b'\n' | b'\r') {
                self.flush_lines = true;
            }
        }
    }

    /// Whether JSON expects a value at this point of the open document.
    fn expects_value(&self) -> bool {
        match self.last_significant {
            b':' | b'[' => true,
            b',' => self.depth <= STACK_KEEP && self.stack.last() == Some(&b'['),
            _ => false,
        }
    }

    /// Whether a `{` in the first column cuts the open document short (see the module doc).
    fn cuts(&self) -> bool {
        // The elements of a top-level array, one per line (`[{…},` then `{…},`): a batch
        // exported from logs, whatever its first line holds.
        let top_level_element =
            self.depth == 1 && self.stack.first() == Some(&b'[') && self.expects_value();
        !top_level_element
            && (!self.expects_value()
                || self.first_line_content
                || (self.indented_lines && !self.flush_lines))
    }

    /// Moves the position past `byte`.
    fn advance(&mut self, byte: u8) {
        match byte {
            // The LF of a CRLF: the line was already counted at the CR.
            b'\n' if self.after_cr => self.after_cr = false,
            b'\n' | b'\r' => {
                self.line += 1;
                self.column = 1;
                self.after_cr = byte == b'\r';
                self.at_line_start = true;
            }
            _ => {
                // Columns count characters: UTF-8 continuation bytes add none.
                if !is_continuation(byte) {
                    self.column += 1;
                }
                self.after_cr = false;
                self.at_line_start = false;
            }
        }
    }

    /// Feeds one byte; returns a finished piece, and whether the byte was consumed (a byte
    /// that ends a scalar or cuts an open document starts the next piece instead).
    fn feed(&mut self, byte: u8) -> (Option<Piece>, bool) {
        match self.state {
            State::Idle => {
                match byte {
                    b' ' | b'\t' | b'\n' | b'\r' => {}
                    b'{' | b'[' => {
                        self.begin(State::Nested);
                        self.depth = 1;
                        self.stack.push(byte);
                        self.last_significant = byte;
                        self.store(&[byte]);
                    }
                    b'"' => {
                        self.begin(State::Nested);
                        self.in_string = true;
                        self.last_significant = byte;
                        self.store(&[byte]);
                    }
                    b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
                        self.begin(State::Scalar);
                        self.store(&[byte]);
                    }
                    _ => {
                        self.begin(State::Stray);
                        return self.feed(byte);
                    }
                }
                (None, true)
            }
            State::Nested => {
                let line_break = byte == b'\n' || byte == b'\r';
                if line_break {
                    self.first_line_ended = true;
                } else if !self.first_line_ended && !matches!(byte, b' ' | b'\t') {
                    self.first_line_content = true;
                }
                if self.at_line_start {
                    if byte == b'{' && !self.in_string && self.cuts() {
                        // A new document in the first column while this one is open: this
                        // one was cut short.
                        return (Some(self.take_value()), false);
                    }
                    self.line_starts_with(byte);
                }
                if self.in_string {
                    if line_break {
                        // Strings cannot hold a raw line break: the string is broken, and the
                        // brackets after it still tell where the document ends.
                        self.in_string = false;
                        self.escaped = false;
                    } else if self.escaped {
                        self.escaped = false;
                    } else if byte == b'\\' {
                        self.escaped = true;
                    } else if byte == b'"' {
                        self.in_string = false;
                        if self.depth == 0 {
                            self.store(&[byte]);
                            return (Some(self.take_value()), true);
                        }
                    }
                    self.store(&[byte]);
                    return (None, true);
                }
                self.store(&[byte]);
                if !matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
                    self.last_significant = byte;
                }
                match byte {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => {
                        self.depth += 1;
                        if self.depth <= STACK_KEEP {
                            self.stack.push(byte);
                        }
                    }
                    b'}' | b']' => {
                        if self.depth <= STACK_KEEP {
                            self.stack.pop();
                        }
                        self.depth = self.depth.saturating_sub(1);
                        if self.depth == 0 {
                            return (Some(self.take_value()), true);
                        }
                    }
                    _ => {}
                }
                (None, true)
            }
            State::Scalar => match byte {
                b' ' | b'\t' | b'\n' | b'\r' | b'{' | b'}' | b'[' | b']' | b'"' | b',' | b':' => {
                    if self.dropped > 0 || is_scalar(&self.buf) {
                        return (Some(self.take_value()), false);
                    }
                    // Not a number or literal after all (`not json`): stray text, to the end
                    // of the line, reported once.
                    self.state = State::Stray;
                    self.stray = stray_text(&mut self.buf);
                    self.feed(byte)
                }
                _ => {
                    self.store(&[byte]);
                    (None, true)
                }
            },
            State::Stray => {
                if byte == b'\n' || byte == b'\r' {
                    return (Some(self.take_stray()), false);
                }
                if self.stray.len() < STRAY_KEEP {
                    self.stray.push(printable(byte));
                } else if !self.stray.ends_with('…') {
                    self.stray.push('…');
                }
                (None, true)
            }
        }
    }

    /// How many bytes from the start of `bytes` the state machine would pass over without
    /// doing more than copying them and moving the column.
    fn quiet_run(&self, bytes: &[u8]) -> usize {
        let table = match self.state {
            State::Nested if self.escaped => return 0,
            State::Nested if self.in_string => &STRING_SPECIAL,
            State::Nested => &NESTED_SPECIAL,
            State::Scalar => &SCALAR_END,
            State::Idle | State::Stray => return 0,
        };
        bytes
            .iter()
            .position(|&b| table[usize::from(b)])
            .unwrap_or(bytes.len())
    }

    /// Takes a run `quiet_run` found: the bytes join the piece, the column moves past them.
    fn take_run(&mut self, run: &[u8]) {
        let last = run.iter().rev().find(|b| !matches!(b, b' ' | b'\t'));
        if !self.first_line_ended && last.is_some() {
            self.first_line_content = true;
        }
        if self.state == State::Nested && !self.in_string {
            if self.at_line_start {
                self.line_starts_with(run[0]);
            }
            if let Some(&last) = last {
                self.last_significant = last;
            }
        }
        self.store(run);
        self.column += run.iter().filter(|&&b| !is_continuation(b)).count();
        self.after_cr = false;
        self.at_line_start = false;
    }

    /// Between documents, an object or array that closes before its line ends, as the scanner
    /// would cut it: the piece and its length in `bytes`.
    fn whole_line_document(&mut self, bytes: &[u8]) -> Option<(Piece, usize)> {
        if self.state != State::Idle || !matches!(bytes.first(), Some(b'{' | b'[')) {
            return None;
        }
        let line = &bytes[..memchr::memchr2(b'\n', b'\r', bytes).unwrap_or(bytes.len())];
        let len = bracket_end(line).filter(|&len| len <= self.limit)?;
        let document = &line[..len];
        self.begin(State::Nested);
        self.buf.reserve_exact(len);
        self.buf.extend_from_slice(document);
        // The column matters only if something other than a line break follows on this line.
        let line_ends =
            line.len() < bytes.len() && line[len..].iter().all(|&b| matches!(b, b' ' | b'\t'));
        if !line_ends {
            self.column += document.iter().filter(|&&b| !is_continuation(b)).count();
        }
        self.after_cr = false;
        self.at_line_start = false;
        Some((self.take_value(), len))
    }

    fn finish(&mut self) -> Option<Piece> {
        match self.state {
            State::Idle => None,
            State::Stray => Some(self.take_stray()),
            State::Scalar if self.dropped == 0 && !is_scalar(&self.buf) => {
                self.stray = stray_text(&mut self.buf);
                Some(self.take_stray())
            }
            State::Nested | State::Scalar => Some(self.take_value()),
        }
    }
}

/// The length of the object or array `bytes` starts with, if it closes within them: strings and
/// brackets followed exactly as [`Scanner::feed`] follows them.
pub fn bracket_end(bytes: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                at = string_end(bytes, at)?;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(at + 1);
                }
            }
            _ => {}
        }
        at += 1;
    }
    None
}

/// One past the closing quote of the string that opens at `at`, escaped bytes jumped over.
pub fn string_end(bytes: &[u8], at: usize) -> Option<usize> {
    let mut at = at + 1;
    loop {
        at += quote_or_backslash(bytes.get(at..)?)?;
        if bytes[at] == b'"' {
            return Some(at + 1);
        }
        at += 2;
    }
}

/// The offset of the first `"` or `\` in `bytes`. Eight bytes at a time within one register:
/// strings in payloads are short, and a search call per string costs more than the string.
fn quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of `word` equal to `byte`; the lowest one set is exact.
    let equal = |word: u64, byte: u8| {
        let x = word ^ (ONES * u64::from(byte));
        x.wrapping_sub(ONES) & !x & HIGH
    };
    let mut chunks = bytes.chunks_exact(8);
    for (index, chunk) in chunks.by_ref().enumerate() {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let hits = equal(word, b'"') | equal(word, b'\\');
        if hits != 0 {
            return Some(index * 8 + hits.trailing_zeros() as usize / 8);
        }
    }
    let rest = chunks.remainder();
    rest.iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|at| bytes.len() - rest.len() + at)
}

/// A byte table: `true` for the bytes in `set`.
const fn table(set: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < set.len() {
        table[set[i] as usize] = true;
        i += 1;
    }
    table
}

/// Bytes that matter inside an object or array, outside strings.
static NESTED_SPECIAL: [bool; 256] = table(b"\"{}[]\n\r");
/// Bytes that matter inside a string.
static STRING_SPECIAL: [bool; 256] = table(b"\"\\\n\r");
/// Bytes that end a top-level number or literal.
static SCALAR_END: [bool; 256] = table(b" \t\n\r{}[]\",:");

/// Stray bytes are shown one per character; control and non-ASCII bytes as `?`.
fn printable(byte: u8) -> char {
    if byte.is_ascii_graphic() || byte == b' ' {
        char::from(byte)
    } else {
        '?'
    }
}

/// Whether a top-level token is a JSON literal or a JSON number
/// (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`).
fn is_scalar(token: &[u8]) -> bool {
    if matches!(token, b"true" | b"false" | b"null") {
        return true;
    }
    let digits = |at: usize| {
        token[at.min(token.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut at = usize::from(token.first() == Some(&b'-'));
    let int = digits(at);
    if int == 0 || (int > 1 && token[at] == b'0') {
        return false;
    }
    at += int;
    if token.get(at) == Some(&b'.') {
        let fraction = digits(at + 1);
        if fraction == 0 {
            return false;
        }
        at += 1 + fraction;
    }
    if matches!(token.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(token.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let exponent = digits(at);
        if exponent == 0 {
            return false;
        }
        at += exponent;
    }
    at == token.len()
}

/// A token that turned out not to be JSON, as stray text, shortened like any.
fn stray_text(token: &mut Vec<u8>) -> String {
    let mut text: String = token
        .iter()
        .take(STRAY_KEEP)
        .map(|&b| printable(b))
        .collect();
    if token.len() > STRAY_KEEP {
        text.push('…');
    }
    token.clear();
    text
}

/// What the splitter does next.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// A piece of input.
    Piece(Piece),
    /// Pieces have been returned and the next one needs a read, which on a pipe may wait for
    /// the writer: the moment to pass on what has been read so far.
    WouldRead,
}

impl<R: BufRead> Iterator for Splitter<R> {
    type Item = io::Result<Piece>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.step()? {
                Ok(Step::WouldRead) => continue,
                Ok(Step::Piece(piece)) => return Some(Ok(piece)),
                Err(error) => return Some(Err(error)),
            }
        }
    }
}

impl<R: BufRead> Splitter<R> {
    /// The next piece, or [`Step::WouldRead`] once before a read that follows returned pieces.
    pub fn step(&mut self) -> Option<io::Result<Step>> {
        if self.done {
            return None;
        }
        if !self.checked_bom {
            match self.check_bom() {
                Ok(None) => {}
                Ok(Some((encoding, bom))) => {
                    self.done = true;
                    return Some(Ok(Step::Piece(Piece::NotUtf8 { encoding, bom })));
                }
                Err(error) => {
                    self.done = true;
                    return Some(Err(error));
                }
            }
        }
        loop {
            if self.exhausted && self.yielded {
                self.yielded = false;
                return Some(Ok(Step::WouldRead));
            }
            let chunk = match self.reader.fill_buf() {
                Ok(chunk) => chunk,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    self.done = true;
                    return Some(Err(error));
                }
            };
            if chunk.is_empty() {
                self.done = true;
                return self.scanner.finish().map(|piece| Ok(Step::Piece(piece)));
            }
            let mut used = 0;
            while used < chunk.len() {
                // A document that closes on the line it opens (NDJSON) is found by a quick
                // walk; one that does not is left to the scanner, which sees it afresh.
                let whole = if self.whole_lines {
                    self.scanner.whole_line_document(&chunk[used..])
                } else {
                    None
                };
                let piece = match whole {
                    Some((piece, len)) => {
                        used += len;
                        Some(piece)
                    }
                    None => {
                        // Most bytes change nothing but the column: take them as a run.
                        let run = self.scanner.quiet_run(&chunk[used..]);
                        if run > 0 {
                            self.scanner.take_run(&chunk[used..used + run]);
                            used += run;
                            continue;
                        }
                        let byte = chunk[used];
                        let (piece, consumed) = self.scanner.feed(byte);
                        if consumed {
                            self.scanner.advance(byte);
                            used += 1;
                        }
                        piece
                    }
                };
                if let Some(piece) = piece {
                    // Line breaks after a document belong to nothing: take them now, so that a
                    // reader waiting on a pipe sees this piece is complete without a next read.
                    while used < chunk.len() && matches!(chunk[used], b' ' | b'\t' | b'\n' | b'\r')
                    {
                        self.scanner.advance(chunk[used]);
                        used += 1;
                    }
                    self.exhausted = used == chunk.len();
                    self.yielded = true;
                    self.reader.consume(used);
                    self.consumed += used as u64;
                    return Some(Ok(Step::Piece(piece)));
                }
            }
            self.exhausted = true;
            self.reader.consume(used);
            self.consumed += used as u64;
        }
    }
}

/// A JSON array of objects (how a batch is exported from logs) as one piece per object, each
/// with its own position; any other piece, an array holding anything else included, as it is.
pub fn array_elements(piece: Piece) -> Vec<Piece> {
    match &piece {
        Piece::Value { start, bytes } if bytes.first() == Some(&b'[') => {
            match object_spans(bytes) {
                Some(spans) => {
                    let mut at = (0, *start);
                    spans
                        .into_iter()
                        .map(|(from, to)| {
                            at = (from, position_at(at.1, &bytes[at.0..], from - at.0));
                            Piece::Value {
                                start: at.1,
                                bytes: bytes[from..to].to_vec(),
                            }
                        })
                        .collect()
                }
                None => vec![piece],
            }
        }
        _ => vec![piece],
    }
}

/// The byte spans of the elements of a well-formed, non-empty array whose every element is an
/// object; `None` for anything else.
fn object_spans(bytes: &[u8]) -> Option<Vec<(usize, usize)>> {
    let mut spans = Vec::new();
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut element_start = None;
    // An element has ended and no comma has come since.
    let mut after_element = false;
    for (i, &byte) in bytes.iter().enumerate() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                if depth == 1 {
                    if byte != b'{' || element_start.is_some() || after_element {
                        return None;
                    }
                    element_start = Some(i);
                }
                depth += 1;
            }
            b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 1 {
                    spans.push((element_start.take()?, i + 1));
                    after_element = true;
                } else if depth == 0 {
                    // The array's end: nothing may follow but white space.
                    let rest_blank = bytes[i + 1..].iter().all(u8::is_ascii_whitespace);
                    return (rest_blank && after_element).then_some(spans);
                }
            }
            b',' if depth == 1 => {
                if !after_element {
                    return None;
                }
                after_element = false;
            }
            b',' | b' ' | b'\t' | b'\n' | b'\r' => {}
            // A scalar element of the array itself.
            _ if depth == 1 => return None,
            _ => {}
        }
    }
    None
}

/// The position in the input of a byte offset within a piece that starts at `start`.
pub fn position_at(start: Position, bytes: &[u8], offset: usize) -> Position {
    let mut position = start;
    let mut after_cr = false;
    for &byte in &bytes[..offset.min(bytes.len())] {
        match byte {
            b'\n' if after_cr => after_cr = false,
            b'\n' | b'\r' => {
                position.line += 1;
                position.column = 1;
                after_cr = byte == b'\r';
            }
            _ => {
                if !is_continuation(byte) {
                    position.column += 1;
                }
                after_cr = false;
            }
        }
    }
    position
}

fn is_continuation(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

/// The byte offset within `bytes` of a line and column as `serde_json` counts them (lines
/// broken by LF only, columns in bytes, column 0 meaning "before the first byte").
pub fn offset_of(bytes: &[u8], line: usize, column: usize) -> usize {
    let mut line_start = 0;
    for _ in 1..line {
        match bytes[line_start..].iter().position(|&b| b == b'\n') {
            Some(at) => line_start += at + 1,
            None => break,
        }
    }
    (line_start + column.saturating_sub(1)).min(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pieces of `input`, checked to be the same with and without the quick walk for
    /// documents that close on their line, read whole or a few bytes at a time.
    fn split(input: &str) -> Vec<(usize, usize, String)> {
        let pieces = pieces(input.as_bytes(), input.len().max(1), true);
        for (chunk, whole_lines) in [(input.len().max(1), false), (5, true), (5, false)] {
            assert_eq!(
                pieces,
                self::pieces(input.as_bytes(), chunk, whole_lines),
                "{input:?} in chunks of {chunk}, whole lines {whole_lines}"
            );
        }
        pieces
    }

    fn pieces(input: &[u8], chunk: usize, whole_lines: bool) -> Vec<(usize, usize, String)> {
        let mut splitter = Splitter::new(io::BufReader::with_capacity(chunk, input));
        splitter.whole_lines = whole_lines;
        splitter
            .map(|piece| match piece.unwrap() {
                Piece::Value { start, bytes } => (
                    start.line,
                    start.column,
                    String::from_utf8_lossy(&bytes).into_owned(),
                ),
                Piece::Stray { start, text } => (start.line, start.column, format!("stray:{text}")),
                Piece::NotUtf8 { encoding, .. } => (1, 1, format!("not utf-8:{encoding}")),
                Piece::TooLarge { start, size, .. } => {
                    (start.line, start.column, format!("too large:{size}"))
                }
            })
            .collect()
    }

    #[test]
    fn whole_lines_split_as_the_scanner_splits_them() {
        for input in [
            "{\"a\":\"x\\\"}\"}\n[1,{\"b\":[]}] {} junk\n{\"é\":\"ü\"}x\r\n{\"c\":2}",
            "{\"a\": \"line\rbreak\"}\n{\"b\": 1}}\n{\"c\": \"\\\n\"}\n{\"d\": \"\\",
            "{}{}[]\n  {\"a\": [}\n{\n\"b\": {\n\"c\": 1\n}\n}\n",
        ] {
            split(input);
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_splits_as_the_scanner_splits_it(
            input in proptest::collection::vec(
                proptest::sample::select(b"{}[]\"\\:, \n\r\tax1\xc3\xa9".to_vec()),
                0..60,
            )
        ) {
            let whole = pieces(&input, input.len().max(1), true);
            proptest::prop_assert_eq!(&whole, &pieces(&input, input.len().max(1), false));
            proptest::prop_assert_eq!(&whole, &pieces(&input, 7, true));
        }
    }

    #[test]
    fn splits_ndjson_lines() {
        assert_eq!(
            split("{\"a\":1}\n{\"b\":2}\n"),
            [(1, 1, "{\"a\":1}".into()), (2, 1, "{\"b\":2}".into())]
        );
    }

    #[test]
    fn splits_pretty_documents_one_after_another() {
        let input = "{\n  \"a\": {\"x\": \"}\"}\n}\n\n{\n  \"b\": [1, 2]\n}";
        let pieces = split(input);
        assert_eq!(pieces.len(), 2);
        assert_eq!((pieces[0].0, pieces[1].0), (1, 5));
        assert!(pieces[0].2.ends_with("}\n}"));
    }

    #[test]
    fn splits_documents_on_one_line_and_scalars() {
        assert_eq!(
            split("{}[] 12 \"s\"true"),
            [
                (1, 1, "{}".into()),
                (1, 3, "[]".into()),
                (1, 6, "12".into()),
                (1, 9, "\"s\"".into()),
                (1, 12, "true".into()),
            ]
        );
    }

    #[test]
    fn a_truncated_line_does_not_swallow_the_next_one() {
        let pieces = split("{\"a\": {\"b\": 1\n{\"c\": 2}\n");
        assert_eq!(
            pieces,
            [
                (1, 1, "{\"a\": {\"b\": 1".into()),
                (2, 1, "{\"c\": 2}".into())
            ]
        );
    }

    #[test]
    fn an_unterminated_string_ends_at_the_line_break() {
        let pieces = split("{\"a\": \"oops}\n{\"c\": 2}\n");
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[1], (2, 1, "{\"c\": 2}".into()));
    }

    #[test]
    fn escaped_quotes_stay_inside_strings() {
        assert_eq!(split(r#"{"a": "x\"}"} {}"#)[0].2, r#"{"a": "x\"}"}"#);
    }

    #[test]
    fn a_word_that_starts_like_a_literal_is_stray_text() {
        assert_eq!(
            split("not json\nnull -1.5e3 nulll\n{}"),
            [
                (1, 1, "stray:not json".into()),
                (2, 1, "null".into()),
                (2, 6, "-1.5e3".into()),
                (2, 13, "stray:nulll".into()),
                (3, 1, "{}".into()),
            ]
        );
    }

    #[test]
    fn pretty_json_with_nested_objects_in_the_first_column_is_one_document() {
        // `json.dumps(indent=0)`: nothing is indented, nested objects start in column 1.
        let pieces =
            split("{\n\"event\": {\n\"a\": 1\n},\n\"data\": [\n{\n\"b\": 2\n}\n]\n}\n{\"c\": 3}");
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[1], (11, 1, "{\"c\": 3}".into()));
    }

    #[test]
    fn a_log_line_is_one_piece_of_stray_text_shortened() {
        let pieces = split(&format!(
            "2024-01-01 12:00:00 INFO {{\"a\":1}}\nt{}\n{{}}",
            "x".repeat(300)
        ));
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces[0].2, "stray:2024-01-01 12:00:00 INFO {\"a\":1}");
        assert!(
            pieces[1].2.chars().count() < 70 && pieces[1].2.ends_with('…'),
            "{}",
            pieces[1].2
        );
        assert_eq!(pieces[2].2, "{}");
    }

    #[test]
    fn json_numbers_are_told_from_look_alikes() {
        for good in ["0", "-0", "12", "1.5", "-1e9", "2E+3", "0.25e-2"] {
            assert!(is_scalar(good.as_bytes()), "{good}");
        }
        for bad in [
            "01",
            "1.",
            ".5",
            "1e",
            "2024-01-01",
            "12:00",
            "--1",
            "+1",
            "nul",
        ] {
            assert!(!is_scalar(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn stray_text_is_reported_to_the_end_of_its_line() {
        assert_eq!(
            split("hello world {}\n{}"),
            [(1, 1, "stray:hello world {}".into()), (2, 1, "{}".into())]
        );
    }

    #[test]
    fn skips_a_leading_bom_and_counts_cr_and_crlf_breaks() {
        assert_eq!(split("\u{feff}{}"), [(1, 1, "{}".into())]);
        assert_eq!(
            split("{}\r\n{}\r{}"),
            [
                (1, 1, "{}".into()),
                (2, 1, "{}".into()),
                (3, 1, "{}".into())
            ]
        );
        // After CRLF a `{` still starts its line, so a cut-off document ends there.
        assert_eq!(
            split("{\"a\": [\r\n{\"b\": 1}"),
            [(1, 1, "{\"a\": [".into()), (2, 1, "{\"b\": 1}".into())]
        );
        assert_eq!(
            split("\"é\" {}"),
            [(1, 1, "\"é\"".into()), (1, 5, "{}".into())]
        );
    }

    #[test]
    fn utf16_and_utf32_are_named_not_read() {
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("{}".bytes().flat_map(|b| [b, 0]))
            .collect();
        let pieces: Vec<Piece> = Splitter::new(&utf16[..]).map(Result::unwrap).collect();
        assert_eq!(
            pieces,
            [Piece::NotUtf8 {
                encoding: "UTF-16LE",
                bom: true
            }]
        );
        let utf32 = b"\xFF\xFE\0\0{\0\0\0";
        let pieces: Vec<Piece> = Splitter::new(&utf32[..]).map(Result::unwrap).collect();
        assert_eq!(
            pieces,
            [Piece::NotUtf8 {
                encoding: "UTF-32LE",
                bom: true
            }]
        );
    }

    #[test]
    fn would_read_comes_before_a_read_that_follows_pieces() {
        // A reader that hands out one line per read, like a pipe written line by line.
        struct Lines(Vec<&'static [u8]>);
        impl std::io::Read for Lines {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let Some(line) = self.0.first_mut() else {
                    return Ok(0);
                };
                let n = line.len().min(buf.len());
                buf[..n].copy_from_slice(&line[..n]);
                *line = &line[n..];
                if line.is_empty() {
                    self.0.remove(0);
                }
                Ok(n)
            }
        }
        let reader = io::BufReader::new(Lines(vec![b"{\"a\":1}\n{\"b\"", b":2}\n"]));
        let mut splitter = Splitter::new(reader);
        let steps: Vec<bool> = std::iter::from_fn(|| splitter.step())
            .map(|step| matches!(step.unwrap(), Step::WouldRead))
            .collect();
        // First piece, then (the rest of the first read being a partial piece) a pause before
        // the read that completes the second.
        assert_eq!(steps, [false, true, false, true]);
    }

    #[test]
    fn a_document_over_the_limit_is_counted_not_kept() {
        let pieces: Vec<Piece> = Splitter::new(&b"[[[[[[[[[[[[\n{}\n\"abcdefghijkl\" 7"[..])
            .max_doc(8)
            .map(Result::unwrap)
            .collect();
        assert_eq!(pieces.len(), 4, "{pieces:?}");
        assert!(matches!(
            pieces[0],
            Piece::TooLarge {
                size: 13,
                limit: 8,
                ..
            }
        ));
        assert!(matches!(&pieces[1], Piece::Value { bytes, .. } if bytes == b"{}"));
        assert!(matches!(pieces[2], Piece::TooLarge { size: 14, .. }));
        assert!(matches!(&pieces[3], Piece::Value { bytes, .. } if bytes == b"7"));
    }

    #[test]
    fn a_cut_document_ends_where_json_cannot_go_on() {
        // An object expects a key, not `{`: the open document was cut.
        assert_eq!(split("{\n{\"a\": 1}").len(), 2);
        // After `,` in an object, likewise, even with nothing indented.
        assert_eq!(split("{\n\"a\": 1,\n{\"b\": 1}").len(), 2);
        // After `:` in a pretty-printed (indented) document: no printer breaks a line there.
        assert_eq!(split("{\n  \"a\":\n{\"b\": 1}").len(), 2);
        // After `,` in an array laid out with nothing indented, the object goes on.
        assert_eq!(split("[\n{\"a\": 1},\n{\"b\": 1}\n]").len(), 1);
        // So do the elements of an array whose first line holds the first one.
        assert_eq!(split("[{\"a\": 1},\n{\"b\": 1},\n{\"c\": 1}]").len(), 1);
    }

    #[test]
    fn an_array_of_objects_is_one_piece_per_object() {
        let bytes = b"[\n  {\"a\": [1, \"]\"]},\n  {\"b\": {}}\n]".to_vec();
        let start = Position { line: 3, column: 1 };
        let pieces = array_elements(Piece::Value { start, bytes });
        let found: Vec<(usize, usize, String)> = pieces
            .into_iter()
            .map(|piece| match piece {
                Piece::Value { start, bytes } => {
                    (start.line, start.column, String::from_utf8(bytes).unwrap())
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            found,
            [
                (4, 3, "{\"a\": [1, \"]\"]}".to_string()),
                (5, 3, "{\"b\": {}}".to_string())
            ]
        );
        for other in [
            "[]",
            "[{}, 1]",
            "[1, {}]",
            "[{}, [{}]]",
            "[{}",
            "[{},]",
            "[{}]x",
            "[{} {}]",
            "[,{}]",
        ] {
            let piece = Piece::Value {
                start,
                bytes: other.as_bytes().to_vec(),
            };
            assert_eq!(array_elements(piece).len(), 1, "{other}");
        }
    }

    #[test]
    fn nothing_in_nothing_out() {
        assert!(split("").is_empty());
        assert!(split(" \n\t\n").is_empty());
        assert_eq!(split("nope"), [(1, 1, "stray:nope".into())]);
    }

    #[test]
    fn maps_serde_positions_back_to_the_input() {
        let bytes = b"{\n  \"a\": x\n}";
        let offset = offset_of(bytes, 2, 8);
        assert_eq!(bytes[offset], b'x');
        let start = Position {
            line: 10,
            column: 1,
        };
        assert_eq!(
            position_at(start, bytes, offset),
            Position {
                line: 11,
                column: 8
            }
        );
    }
}
