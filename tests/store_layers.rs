//! The store's modules point one way. Read from the sources: which
//! module of `services/store` names which (`use super::…`,
//! `crate::store::…`, a child module's path); the graph has no cycle, and
//! the layers hold: `rows` names none of `shared`, `sqlite`, `postgres`;
//! `shared` neither backend; neither backend the other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module: its path below `store` (`[]` is the store itself).
type Module = Vec<String>;

fn modules(root: &Path) -> BTreeMap<Module, PathBuf> {
    let mut found = BTreeMap::new();
    let mut stack = vec![(root.to_path_buf(), Vec::<String>::new())];
    while let Some((dir, at)) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read services/store") {
            let path = entry.expect("entry").path();
            let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
            if path.is_dir() {
                let mut below = at.clone();
                below.push(name);
                stack.push((path, below));
            } else if path.extension().is_some_and(|e| e == "rs") {
                let mut module = at.clone();
                if name != "mod" {
                    module.push(name);
                }
                found.insert(module, path);
            }
        }
    }
    found
}

/// The modules `source` (of `module`) names.
fn named(module: &Module, is_folder: bool, source: &str, all: &BTreeMap<Module, PathBuf>) -> BTreeSet<Module> {
    let children: BTreeSet<String> = all
        .keys()
        .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
        .map(|m| m[module.len()].clone())
        .collect();
    // `super` of a folder's mod.rs is the folder's parent; of a file, its
    // folder.
    let parent: Module = if is_folder || module.is_empty() {
        module.iter().take(module.len().saturating_sub(1)).cloned().collect()
    } else {
        module[..module.len() - 1].to_vec()
    };
    let here: Module = if is_folder { module.clone() } else { parent.clone() };
    let mut out = BTreeSet::new();
    let source = expand_groups(source);
    let words: Vec<&str> = source
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| w.contains("::"))
        .collect();
    for word in words {
        let parts: Vec<&str> = word.split("::").filter(|p| !p.is_empty()).collect();
        let mut path: Module = match parts.first() {
            Some(&"crate") if parts.get(1) == Some(&"store") => Vec::new(),
            Some(&"super") => {
                let mut up = if is_folder { parent.clone() } else { here.clone() };
                let mut rest = 1;
                while parts.get(rest) == Some(&"super") {
                    up.pop();
                    rest += 1;
                }
                let mut path = up;
                path.extend(parts[rest..].iter().map(|s| s.to_string()));
                resolve(&path, all).map(|m| out.insert(m));
                continue;
            }
            Some(first) if is_folder && children.contains(*first) => module.clone(),
            _ => continue,
        };
        let skip = if parts.first() == Some(&"crate") { 2 } else { 0 };
        path.extend(parts[skip..].iter().map(|s| s.to_string()));
        if let Some(m) = resolve(&path, all) {
            out.insert(m);
        }
    }
    out.remove(module);
    out
}

/// `use a::{b, c::d}` written out as `a::b a::c::d` (groups nest once in
/// this code base; an inner group keeps its prefix too).
fn expand_groups(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(at) = rest.find("::{") {
        let before = &rest[..at];
        let start = before
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .map_or(0, |i| i + 1);
        let prefix = &before[start..];
        let mut depth = 0;
        let mut end = at + 2;
        for (i, c) in rest[at + 2..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = at + 2 + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push_str(&rest[..start]);
        let inner = &rest[at + 3..end];
        for item in inner.split(|c: char| c == ',' || c.is_whitespace() || c == '{' || c == '}') {
            let item = item.trim();
            if !item.is_empty() && item != "self" {
                out.push_str(&format!(" {prefix}::{item} "));
            }
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The longest module that `path` starts with.
fn resolve(path: &Module, all: &BTreeMap<Module, PathBuf>) -> Option<Module> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|m| all.contains_key(m))
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "store".into()
    } else {
        format!("store::{}", m.join("::"))
    }
}

#[test]
fn the_store_imports_point_one_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("services/store");
    let all = modules(&root);
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, path) in &all {
        let source = std::fs::read_to_string(path).expect("read a module");
        // Tests may reach anywhere; only what ships counts, and comments
        // (doc links) import nothing.
        let source = source.split("#[cfg(test)]").next().unwrap_or_default();
        let source: String = source
            .lines()
            .map(|line| line.split("//").next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
        let is_folder = path.file_name().is_some_and(|f| f == "mod.rs");
        edges.insert(module.clone(), named(module, is_folder, &source, &all));
    }
    assert!(edges.len() > 20, "the store's modules were read: {}", edges.len());

    // The layers.
    let layer = |m: &Module| m.first().map(String::as_str).unwrap_or("store").to_owned();
    let forbidden: [(&str, &[&str]); 4] = [
        ("rows", &["shared", "sqlite", "postgres"]),
        ("shared", &["sqlite", "postgres"]),
        ("sqlite", &["postgres"]),
        ("postgres", &["sqlite"]),
    ];
    for (from, targets) in &edges {
        for to in targets {
            for (layer_from, not) in forbidden {
                assert!(
                    !(layer(from) == layer_from && not.contains(&layer(to).as_str())),
                    "{} names {}: {layer_from} must not name {not:?}",
                    name(from),
                    name(to)
                );
            }
        }
    }

    // No cycle (depth-first, reporting the first one found).
    fn visit(
        m: &Module,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        done: &mut BTreeSet<Module>,
        path: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        if let Some(at) = path.iter().position(|p| p == m) {
            let mut cycle = path[at..].to_vec();
            cycle.push(m.clone());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.clone());
        for next in edges.get(m).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, done, path) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(m.clone());
        None
    }
    let mut done = BTreeSet::new();
    for m in edges.keys() {
        if let Some(cycle) = visit(m, &edges, &mut done, &mut Vec::new()) {
            let shown: Vec<String> = cycle.iter().map(name).collect();
            panic!("an import cycle in services/store: {}", shown.join(" → "));
        }
    }
}
