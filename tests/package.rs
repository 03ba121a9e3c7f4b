//! What `cargo package` (and so `cargo publish` and `cargo install jerahook`) ships: the
//! sources, the samples they embed, README, LICENSE and the Cargo files, and nothing else: no
//! test fixtures, snapshots, bench or fuzz data, scripts or CI files.

use std::collections::BTreeSet;
use std::path::{Component, Path};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The files `cargo package --list` names, relative to the crate root.
fn packaged() -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // --allow-dirty: the list is what matters here, not whether the work tree is committed.
    let output = Command::new(cargo)
        .args(["package", "--list", "--allow-dirty", "--offline"])
        .current_dir(root())
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo package --list failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Whether the crate needs `file` to build, or to be a package at all.
fn expected(file: &str) -> bool {
    const CARGO_FILES: &[&str] = &[
        "Cargo.toml",
        "Cargo.toml.orig",
        "Cargo.lock",
        ".cargo_vcs_info.json",
        "README.md",
        "LICENSE",
    ];
    CARGO_FILES.contains(&file)
        || (file.starts_with("src/") && file.ends_with(".rs"))
        || (file.starts_with("samples/") && file.ends_with(".json") && !file[8..].contains('/'))
}

/// Every file an `include_str!` or `include_bytes!` in `src/` names, relative to the root.
fn embedded() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut dirs = vec![root().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for macro_name in ["include_str!(\"", "include_bytes!(\""] {
                for (at, _) in text.match_indices(macro_name) {
                    let rest = &text[at + macro_name.len()..];
                    let target = &rest[..rest.find('"').unwrap()];
                    found.insert(relative(&path.parent().unwrap().join(target)));
                }
            }
        }
    }
    found
}

/// `path` relative to the crate root, with `..` resolved and `/` separators.
fn relative(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for component in path.strip_prefix(root()).unwrap().components() {
        match component {
            Component::ParentDir => {
                parts.pop();
            }
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

#[test]
fn the_package_holds_only_what_the_crate_needs() {
    let files = packaged();
    // The page's assets and the samples are built into the binary: needed, as named.
    let built_in = embedded();
    let unexpected: Vec<&String> = files
        .iter()
        .filter(|file| !expected(file) && !built_in.contains(*file))
        .collect();
    assert!(
        unexpected.is_empty(),
        "shipped but not needed: {unexpected:?}"
    );

    for needed in [
        "src/main.rs",
        "src/lib.rs",
        "LICENSE",
        "README.md",
        "Cargo.lock",
    ] {
        assert!(files.contains(needed), "{needed} is not in the package");
    }
    let embedded = embedded();
    assert!(embedded.len() >= 27, "{embedded:?}");
    let missing: Vec<&String> = embedded.difference(&files).collect();
    assert!(missing.is_empty(), "embedded but not shipped: {missing:?}");
}
