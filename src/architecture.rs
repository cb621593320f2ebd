//! The shape of the code, checked: no file of `src/` imports one that (through others) imports it
//! back, and no file grows past 600 lines. Read from the sources, so a change that breaks either
//! fails `cargo test` with the files named.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 600;

/// Module path (`["ui", "app"]`) → file.
fn modules(root: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(root, &mut files);
    files
        .into_iter()
        .filter_map(|path| {
            let rel = path.strip_prefix(root).ok()?.with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                parts.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                parts.pop();
            }
            Some((parts, path))
        })
        .collect()
}

/// The code that counts: no comments, no test module at the end, `pub(super)` as `pub`.
fn code_of(text: &str) -> String {
    let mut kept = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    kept.replace("pub(super)", "pub")
        .replace("pub(crate)", "pub")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every `crate::…`, `super::…` and `self::…` path in `code`, with the first segment of each item
/// of a trailing `{…}` group.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = code.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !is_ident(chars[i - 1]);
        let rest: String = chars[i..chars.len().min(i + 6)].iter().collect();
        let head = ["crate", "super", "self"]
            .into_iter()
            .find(|h| rest.starts_with(h) && !chars.get(i + h.len()).is_some_and(|c| is_ident(*c)));
        let Some(head) = head.filter(|_| starts_word) else {
            i += 1;
            continue;
        };
        let mut segments = vec![head.to_string()];
        let mut j = i + head.len();
        let mut group = Vec::new();
        while chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':') {
            j += 2;
            if chars.get(j) == Some(&'{') {
                let end = chars[j..]
                    .iter()
                    .position(|c| *c == '}')
                    .map_or(chars.len(), |p| j + p);
                let inside: String = chars[j + 1..end].iter().collect();
                group = inside
                    .split(',')
                    .filter_map(|item| item.trim().split("::").next().map(str::to_string))
                    .filter(|s| s.starts_with(|c: char| c.is_ascii_lowercase()))
                    .collect();
                j = end;
                break;
            }
            let start = j;
            while chars.get(j).is_some_and(|c| is_ident(*c)) {
                j += 1;
            }
            segments.push(chars[start..j].iter().collect());
        }
        if group.is_empty() {
            found.push(segments);
        } else {
            for item in group {
                let mut with = segments.clone();
                // `{self, …}` names the module the group is in.
                if item != "self" {
                    with.push(item);
                }
                found.push(with);
            }
        }
        i = j.max(i + 1);
    }
    found
}

/// File-level import edges: which files each file uses.
fn edges(root: &Path) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let modules = modules(root);
    let resolve = |segments: &[String]| {
        (1..=segments.len())
            .rev()
            .find_map(|n| modules.get(&segments[..n]))
            .cloned()
    };
    let mut graph = BTreeMap::new();
    for (me, file) in &modules {
        let code = code_of(&std::fs::read_to_string(file).unwrap_or_default());
        let mut uses = BTreeSet::new();
        for path in paths_in(&code) {
            let mut base = match path[0].as_str() {
                "crate" => Vec::new(),
                "super" => me[..me.len().saturating_sub(1)].to_vec(),
                _ => me.clone(),
            };
            for segment in &path[1..] {
                if segment == "super" {
                    base.pop();
                } else if !segment.is_empty() && segment != "self" {
                    base.push(segment.clone());
                }
            }
            if path.len() == 1 && path[0] == "super" {
                continue;
            }
            if let Some(target) = resolve(&base).filter(|t| t != file) {
                uses.insert(target);
            }
        }
        // `use child::…` of a module's own children.
        for line in code.lines() {
            let line = line.trim_start().trim_start_matches("pub ");
            if let Some(rest) = line.strip_prefix("use ")
                && let Some((name, _)) = rest.split_once("::")
                && !matches!(name, "crate" | "super" | "self" | "std" | "core")
            {
                let mut child = me.clone();
                child.push(name.to_string());
                if let Some(target) = modules.get(&child).filter(|t| *t != file) {
                    uses.insert(target.clone());
                }
            }
        }
        graph.insert(file.clone(), uses);
    }
    graph
}

/// One cycle through `start`, if there is one.
fn cycle_through(
    graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
    start: &PathBuf,
) -> Option<Vec<PathBuf>> {
    let mut stack = vec![(start.clone(), vec![start.clone()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for next in graph.get(&node).into_iter().flatten() {
            if next == start {
                return Some(path);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn no_file_imports_one_that_imports_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = edges(&root);
    assert!(graph.len() > 50, "read {} files", graph.len());
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|file| cycle_through(&graph, file))
        .map(|c| {
            c.iter()
                .map(|p| p.strip_prefix(&root).unwrap_or(p).display().to_string())
                .collect::<Vec<_>>()
                .join(" → ")
        })
        .collect();
    assert!(cycles.is_empty(), "import circles:\n{}", cycles.join("\n"));
}

#[test]
fn no_file_is_over_600_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let long: Vec<String> = modules(&root)
        .values()
        .filter_map(|file| {
            let lines = std::fs::read_to_string(file).ok()?.lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", file.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_checker_sees_a_circle_and_a_downward_import() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path();
    std::fs::create_dir_all(src.join("a")).expect("dir");
    std::fs::write(src.join("lib.rs"), "mod a;\nmod b;\n").expect("write");
    std::fs::write(src.join("a.rs"), "use crate::b::Thing;\nmod c;\n").expect("write");
    std::fs::write(src.join("a/c.rs"), "use super::super::b;\n").expect("write");
    std::fs::write(src.join("b.rs"), "// crate::a in a comment is no import\n").expect("write");
    let graph = edges(src);
    assert!(cycle_through(&graph, &src.join("a.rs")).is_none());
    std::fs::write(src.join("b.rs"), "pub(crate) use crate::a::{c::X, self};\n").expect("write");
    let graph = edges(src);
    assert!(cycle_through(&graph, &src.join("a.rs")).is_some());
}
