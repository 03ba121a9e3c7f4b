//! The source tree shows the flow: no module imports another in a circle, and the stages import
//! only the stages below them (commands → http/output → judge → input/catalog).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The stages, lowest first; a stage may import itself and the ones before it in its row.
const ALLOWED: &[(&str, &[&str])] = &[
    ("catalog", &["catalog"]),
    ("input", &["input"]),
    ("judge", &["judge", "input", "catalog"]),
    ("output", &["output", "judge", "input", "catalog"]),
    (
        "http",
        &["http", "output", "judge", "input", "catalog", "cli", "exit"],
    ),
];

/// Every module (`folder::file`, or the top-level file name) and the modules it names.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph = BTreeMap::new();
    walk(Path::new("src"), &mut graph);
    graph
}

fn walk(dir: &Path, graph: &mut BTreeMap<String, BTreeSet<String>>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, graph);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let name = module_name(&path);
            let text = fs::read_to_string(&path).unwrap();
            let uses = named_modules(&text)
                .into_iter()
                .filter(|m| *m != name && !name.starts_with(&format!("{m}::")))
                .collect();
            graph.insert(name, uses);
        }
    }
}

/// `src/judge/validate.rs` → `judge::validate`, `src/judge/mod.rs` → `judge`.
fn module_name(path: &Path) -> String {
    let relative = path.strip_prefix("src").unwrap().with_extension("");
    let parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| p != "mod")
        .collect();
    parts.join("::")
}

/// The modules a file names as `crate::a` or `crate::a::b` (a file, not an item in it).
fn named_modules(text: &str) -> BTreeSet<String> {
    let files = modules_on_disk();
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        let path: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let mut parts = path.split("::").filter(|p| !p.is_empty());
        let Some(first) = parts.next() else { continue };
        let nested = parts.next().map(|second| format!("{first}::{second}"));
        match nested {
            Some(nested) if files.contains(&nested) => found.insert(nested),
            _ if files.contains(first) => found.insert(first.to_string()),
            _ => false,
        };
    }
    found
}

fn modules_on_disk() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut stack = vec![Path::new("src").to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                names.insert(module_name(&path));
            }
        }
    }
    names
}

#[test]
fn no_module_imports_another_in_a_circle() {
    let graph = imports();
    // Depth-first search; a module met again while still on the stack closes a circle.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if let Some(at) = stack.iter().position(|n| n == node) {
            panic!("import circle: {} → {node}", stack[at..].join(" → "));
        }
        if !done.insert(node.to_string()) {
            return;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            visit(next, graph, stack, done);
        }
        stack.pop();
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        visit(node, &graph, &mut Vec::new(), &mut done);
    }
}

#[test]
fn stages_import_only_the_stages_below_them() {
    let mut wrong = Vec::new();
    for (module, uses) in imports() {
        let stage = module.split("::").next().unwrap();
        let Some((_, allowed)) = ALLOWED.iter().find(|(s, _)| *s == stage) else {
            continue;
        };
        for used in uses {
            let used_stage = used.split("::").next().unwrap();
            if !allowed.contains(&used_stage) {
                wrong.push(format!("{module} imports {used}"));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the flow: {wrong:#?}");
}

#[test]
fn the_check_sees_the_modules_it_guards() {
    let graph = imports();
    assert!(graph["judge::validate"].contains("input::reader"));
    assert!(graph["http::listen"].contains("judge::validate"));
}
