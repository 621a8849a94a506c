//! No import cycle between the top-level modules of `auth-runtime/src`: a
//! newcomer reads the tree from the leaves up (the layout DESIGN.md asks
//! for). Read from the `crate::` paths of the code (comments and the
//! `#[cfg(test)] mod tests` tail left out); a new cycle fails this test,
//! naming the modules in it and one import of each edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments and its test module.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The top-level modules `code` names through `crate::` (`crate::a::b`,
/// `crate::{a, b::c}`).
fn targets(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The top-level names of the group, at brace depth 0.
            let mut depth = 0;
            let mut start = true;
            for (n, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if c.is_whitespace() => {}
                    _ if start && depth == 0 => {
                        out.insert(identifier(&group[n..]).to_owned());
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(identifier(rest).to_owned());
        }
    }
    out
}

/// Strongly connected components of more than one module (Tarjan).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.edges.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut state = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.out
}

#[test]
fn auth_runtime_has_no_import_cycle_between_top_level_modules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("auth-runtime/src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    // Top-level module name -> the modules it imports, with a file of each edge.
    let module = |path: &Path| -> String {
        let first = path
            .strip_prefix(&src)
            .unwrap()
            .components()
            .next()
            .unwrap();
        let name = first.as_os_str().to_string_lossy().into_owned();
        let name = name.trim_end_matches(".rs").to_owned();
        // `private.rs` is mounted as `__private`.
        if name == "private" {
            "__private".to_owned()
        } else {
            name
        }
    };
    let modules: BTreeSet<String> = files.iter().map(|f| module(f)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut witness: BTreeMap<(String, String), PathBuf> = BTreeMap::new();
    for file in &files {
        let from = module(file);
        if from == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        for to in targets(&code(&text)) {
            if to != from && modules.contains(&to) {
                edges.entry(from.clone()).or_default().insert(to.clone());
                witness
                    .entry((from.clone(), to))
                    .or_insert_with(|| file.clone());
            }
        }
    }
    let found = cycles(&edges);
    let mut report = String::new();
    for component in &found {
        report.push_str(&format!("cycle: {}\n", component.join(" ")));
        for from in component {
            for to in edges.get(from).into_iter().flatten() {
                if component.contains(to) {
                    let file = &witness[&(from.clone(), to.clone())];
                    report.push_str(&format!(
                        "  {from} -> {to} ({})\n",
                        file.strip_prefix(&src).unwrap().display()
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "import cycles between top-level modules:\n{report}"
    );
    // The check sees the imports at all (a parser that found nothing would pass).
    assert!(
        edges.get("app").is_some_and(|e| e.contains("router")),
        "{edges:?}"
    );
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (a, b) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e")] {
        edges.entry(a.into()).or_default().insert(b.into());
    }
    assert_eq!(cycles(&edges), vec![vec!["a", "b", "c"]]);
    assert_eq!(
        targets("use crate::{a::X, b, c::{d, e}};\nlet x = crate::f::g();"),
        ["a", "b", "c", "f"].into_iter().map(String::from).collect()
    );
}

/// Non-blank lines of code, comments and the test module left out.
fn lines_of_code(text: &str) -> usize {
    code(text).lines().filter(|l| !l.trim().is_empty()).count()
}

/// One concept per file: none holds more than 500 lines of code outside its
/// tests (a file that outgrows a screen or two splits, as tower-http's
/// layer/service/future do).
#[test]
fn no_file_of_auth_runtime_holds_more_than_500_lines_of_code() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("auth-runtime/src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut long: Vec<String> = files
        .iter()
        .filter(|f| f.file_name().is_some_and(|n| n != "tests.rs"))
        .filter_map(|f| {
            let n = lines_of_code(&std::fs::read_to_string(f).unwrap());
            (n > 500).then(|| format!("{} ({n})", f.strip_prefix(&src).unwrap().display()))
        })
        .collect();
    long.sort();
    assert!(long.is_empty(), "files over 500 lines of code: {long:?}");
    assert_eq!(
        lines_of_code("fn a() {}\n\n// note\n#[cfg(test)]\nmod tests {\n}\n"),
        1
    );
}

/// `ls auth-runtime/src` shows the grouping: the files directly in it are
/// the crate's root and a few leaves; everything else is in a folder by role.
#[test]
fn at_most_ten_files_directly_in_auth_runtime_src() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("auth-runtime/src");
    let files: Vec<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "rs"))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(files.len() <= 10, "{files:?}");
    assert!(files.contains(&"lib.rs".to_owned()));
}
