//! Finds what to read: files as named, directories walked for payload files, `-` for stdin.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use anyhow::Result;

/// File name endings a directory walk takes; other files are skipped.
pub const EXTENSIONS: &[&str] = &["json", "ndjson", "jsonl"];

/// One source of payloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
    /// A file a directory walk could not list or stat: reported, never silently dropped.
    Unreadable {
        path: PathBuf,
        error: String,
    },
}

impl Input {
    /// The name records carry: the path, or `-`.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "-".into(),
            Input::File(path) | Input::Unreadable { path, .. } => path.display().to_string(),
        }
    }

    /// The size of a regular file, if this is one.
    pub fn file_size(&self) -> Option<u64> {
        match self {
            Input::File(path) => std::fs::metadata(path)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len()),
            _ => None,
        }
    }

    /// Opens the input for buffered reading.
    pub fn open(&self) -> io::Result<Box<dyn BufRead>> {
        self.open_reader().map(|opened| opened.reader)
    }

    /// Opens the input for buffered reading, and says whether reading may wait for a writer.
    pub fn open_reader(&self) -> io::Result<Opened> {
        // Large buffers keep system calls off the per-payload path.
        const CAPACITY: usize = 256 * 1024;
        match self {
            Input::Stdin => Ok(Opened {
                reader: Box::new(BufReader::with_capacity(CAPACITY, io::stdin())),
                may_block: true,
            }),
            Input::File(path) => {
                let file = File::open(path)?;
                let metadata = file.metadata()?;
                if metadata.is_dir() {
                    return Err(io::Error::other("is a directory"));
                }
                // A small file gets a buffer its size: thousands of small files must not each
                // allocate (and fault in) a large one.
                let capacity = if metadata.is_file() {
                    usize::try_from(metadata.len())
                        .unwrap_or(CAPACITY)
                        .saturating_add(1)
                        .clamp(4096, CAPACITY)
                } else {
                    CAPACITY
                };
                Ok(Opened {
                    reader: Box::new(BufReader::with_capacity(capacity, file)),
                    may_block: !metadata.is_file(),
                })
            }
            Input::Unreadable { error, .. } => Err(io::Error::other(error.clone())),
        }
    }
}

/// An opened input.
pub struct Opened {
    pub reader: Box<dyn BufRead>,
    /// Reading may wait for a writer (standard input, a pipe, a device), so what has been read
    /// must be passed on before reading on.
    pub may_block: bool,
}

/// Expands the command line's paths into inputs, in order; directories are walked in name
/// order. A path that does not exist or holds nothing to read is an unreadable input.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<Input>> {
    if paths.is_empty() {
        return Ok(vec![Input::Stdin]);
    }
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        // A path that cannot be read is reported in its place; the others are still read.
        let metadata = match std::fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(error) => {
                inputs.push(Input::Unreadable {
                    path: path.clone(),
                    error: io_reason(&error),
                });
                continue;
            }
        };
        if !metadata.is_dir() {
            inputs.push(Input::File(path.clone()));
            continue;
        }
        let before = inputs.len();
        walk(path, &mut inputs);
        if inputs.len() == before {
            inputs.push(Input::Unreadable {
                path: path.clone(),
                error: "no *.json, *.ndjson or *.jsonl files in this directory".into(),
            });
        }
    }
    Ok(inputs)
}

fn walk(dir: &Path, inputs: &mut Vec<Input>) {
    let entries = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name();
    for entry in entries {
        match entry {
            Ok(entry) if entry.file_type().is_file() && is_payload_file(entry.path()) => {
                inputs.push(Input::File(entry.into_path()));
            }
            Ok(_) => {}
            Err(error) => {
                let path = error.path().unwrap_or(dir).to_path_buf();
                let reason = error
                    .io_error()
                    .map(io_reason)
                    .unwrap_or_else(|| error.to_string());
                inputs.push(Input::Unreadable {
                    path,
                    error: reason,
                });
            }
        }
    }
}

fn is_payload_file(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| {
            EXTENSIONS
                .iter()
                .any(|known| ext.eq_ignore_ascii_case(known))
        })
}

/// The OS's reason without Rust's "(os error 2)" suffix.
pub fn io_reason(error: &io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_paths_means_stdin() {
        assert_eq!(expand(&[]).unwrap(), [Input::Stdin]);
    }

    #[test]
    fn walks_directories_in_name_order_taking_payload_files_only() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "b.json",
            "a.ndjson",
            "notes.txt",
            "sub/c.JSONL",
            "sub/d.yaml",
        ] {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "{}").unwrap();
        }
        let names: Vec<String> = expand(&[dir.path().to_path_buf()])
            .unwrap()
            .iter()
            .map(|input| {
                input
                    .name()
                    .trim_start_matches(&dir.path().display().to_string())
                    .to_string()
            })
            .collect();
        assert_eq!(names, ["/a.ndjson", "/b.json", "/sub/c.JSONL"]);
    }

    #[test]
    fn a_missing_path_is_an_unreadable_input_in_its_place() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.json"), "{}").unwrap();
        let inputs = expand(&[PathBuf::from("no/such.json"), dir.path().to_path_buf()]).unwrap();
        assert_eq!(
            inputs[0],
            Input::Unreadable {
                path: "no/such.json".into(),
                error: "No such file or directory".into()
            }
        );
        assert_eq!(inputs[1], Input::File(dir.path().join("a.json")));
    }
}
