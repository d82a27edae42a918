//! The architecture, checked by reading `src/`: dependencies between modules run one way
//! (DESIGN.md, "Module order"), no module reaches into another's `repo`, a module's `rules.rs`
//! imports nothing of its own module, and the files of a module import one another without
//! circles. A new module extends `LAYERS`, and nothing else.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The modules, lowest first, as DESIGN.md orders them (`config`, which the frame reads, sits
/// under `web`). A module may use the modules of lower layers only, never one of its own layer;
/// `demo` (demo data through every module's service) and `lib` (the crate root) wire everything.
const LAYERS: &[&[&str]] = &[
    &["db"],
    &["money", "days"],
    &["codes"],
    &["error"],
    &["config"],
    &["web"],
    &["accounts"],
    &["catalog", "echeck", "notify"],
    &["history", "collection"],
    &["orders", "anonymity"],
    &["buyback", "analytics"],
    &["demo"],
    &["lib"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// A source file: its path under `src/` (with `/`), and its text.
struct Source {
    path: String,
    text: String,
}

impl Source {
    /// The module a file belongs to: its folder under `src/`, or its own name (`money.rs`); `lib` for
    /// the crate root. `main.rs` is the binary, outside the library.
    fn module(&self) -> Option<&str> {
        match self.path.split_once('/') {
            Some((folder, _)) => Some(folder),
            None => match self.path.strip_suffix(".rs") {
                Some("main") => None,
                Some(name) => Some(name),
                None => None,
            },
        }
    }

    /// The file's code without comments and without its unit tests (a `#[cfg(test)]` module is last
    /// by convention, and its `use super::*` means the file itself).
    fn code(&self) -> String {
        let text = match self.text.find("#[cfg(test)]") {
            Some(at) => &self.text[..at],
            None => &self.text,
        };
        text.lines()
            .map(|line| match line.find("//") {
                Some(at) => &line[..at],
                None => line,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn read_sources(dir: &Path, prefix: &str, out: &mut Vec<Source>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("src is readable").flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
        if entry.path().is_dir() {
            read_sources(&entry.path(), &path, out);
        } else if name.ends_with(".rs") {
            let text = std::fs::read_to_string(entry.path()).expect("a source file is readable");
            out.push(Source { path, text });
        }
    }
}

/// The first path segments named after `crate::` (or `$crate::` in a macro), groups included:
/// `use crate::{db::Db, web::{forms, layout}};` names `db` and `web`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(group.len(), |(i, _)| i);
            let mut depth = 0;
            let mut item = String::new();
            for c in group[..end].chars().chain([',']) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(item.trim().to_owned());
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
        } else {
            found.push(after.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect());
        }
        rest = after;
    }
    found.into_iter().filter(|p| !p.is_empty()).collect()
}

/// What one file names of other modules: (module, path after `crate::`).
fn named_modules(code: &str) -> Vec<(String, String)> {
    crate_paths(code)
        .into_iter()
        .map(|path| {
            let first: String = path.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            let module = if layer_of(&first).is_some() { first } else { "lib".to_owned() };
            (module, path)
        })
        .collect()
}

/// The names a file imports from its own module's other files (`super::model::X`, or
/// `crate::<own>::model::X`), as file names.
fn sibling_imports(source: &Source, own: &str) -> BTreeSet<String> {
    let code = source.code();
    let mut names = BTreeSet::new();
    let segment = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let nested = source.path.matches('/').count() > 1;
    if !nested {
        for part in code.split("super::").skip(1) {
            if let Some(group) = part.strip_prefix('{') {
                for item in group.split('}').next().unwrap_or_default().split(',') {
                    names.insert(segment(item.trim()));
                }
            } else {
                names.insert(segment(part));
            }
        }
    }
    for path in crate_paths(&code) {
        if let Some(inside) = path.strip_prefix(&format!("{own}::")) {
            names.insert(segment(inside));
        }
    }
    names.retain(|n| !n.is_empty());
    names
}

/// Everything wrong with the sources, one line each.
fn violations(sources: &[Source]) -> Vec<String> {
    let mut found = Vec::new();
    for source in sources {
        let Some(module) = source.module() else { continue };
        let Some(level) = layer_of(module) else {
            found.push(format!("{}: module `{module}` is not in the architecture test's LAYERS", source.path));
            continue;
        };
        let code = source.code();
        for (used, path) in named_modules(&code) {
            if used == module {
                continue;
            }
            let used_level = layer_of(&used).unwrap_or(usize::MAX);
            if used_level >= level {
                found.push(format!("{}: `{module}` uses `crate::{path}`, which is not below it", source.path));
            }
            if path.starts_with(&format!("{used}::repo")) {
                found.push(format!("{}: `{module}` reaches into `{used}::repo`", source.path));
            }
        }
        let file = source.path.rsplit('/').next().unwrap_or_default();
        if source.path.starts_with(&format!("{module}/")) && file == "rules.rs" {
            let own = sibling_imports(source, module);
            if !own.is_empty() {
                found.push(format!("{}: rules import {own:?} of their own module", source.path));
            }
        }
    }
    found.extend(circles(sources));
    found
}

/// Circles between the files of one module (`mod.rs`, the module's public surface, aside).
fn circles(sources: &[Source]) -> Vec<String> {
    let mut graphs: BTreeMap<&str, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for source in sources {
        let Some(module) = source.module() else { continue };
        let Some(inside) = source.path.strip_prefix(&format!("{module}/")) else { continue };
        let file = inside.split('/').next().unwrap_or_default().trim_end_matches(".rs").to_owned();
        if file == "mod" {
            continue;
        }
        let edges = sibling_imports(source, module);
        graphs.entry(module).or_default().entry(file).or_default().extend(edges);
    }
    let mut found = Vec::new();
    for (module, graph) in graphs {
        for (file, edges) in &graph {
            // Each circle once: reported from its alphabetically first pair.
            for next in edges.iter().filter(|n| *n > file) {
                if reaches(&graph, next, file, &mut BTreeSet::new()) {
                    found.push(format!("{module}: {file} and {next} import each other (directly or around)"));
                }
            }
        }
    }
    found
}

fn reaches(graph: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str, seen: &mut BTreeSet<String>) -> bool {
    if from == to {
        return true;
    }
    if !seen.insert(from.to_owned()) {
        return false;
    }
    graph.get(from).is_some_and(|edges| edges.iter().any(|n| reaches(graph, n, to, seen)))
}

#[test]
fn dependencies_run_one_way_and_modules_keep_their_tables() {
    let mut sources = Vec::new();
    read_sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), "", &mut sources);
    assert!(sources.len() > 20, "src/ was read");
    let found = violations(&sources);
    assert!(found.is_empty(), "the architecture is broken:\n{}", found.join("\n"));
}

fn source(path: &str, text: &str) -> Source {
    Source { path: path.into(), text: text.into() }
}

#[test]
fn the_check_finds_an_upward_import_a_foreign_repo_rules_importing_their_module_and_circles() {
    let fine = [
        source("accounts/service.rs", "use crate::web::forms::FieldErrors;\nuse super::repo;\n"),
        source("orders/service.rs", "use crate::{accounts::{self, UserId}, catalog::OfferId};\n"),
        source("orders/rules.rs", "use crate::money;\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n"),
        source("web/mod.rs", "// accounts fills the identity: crate::accounts::identify\n"),
    ];
    assert_eq!(violations(&fine), Vec::<String>::new());

    let upward = [source("accounts/routes.rs", "use crate::{db::Db, orders::{self, Cart}};\n")];
    assert_eq!(
        violations(&upward),
        ["accounts/routes.rs: `accounts` uses `crate::orders::{self, Cart}`, which is not below it"]
    );
    let sideways = [source("catalog/service.rs", "let x = crate::echeck::office_of(c, id);\n")];
    assert_eq!(violations(&sideways).len(), 1, "a module of the same layer is not below");
    let in_macro = [source("db/types.rs", "$crate::web::identity::UserId\n")];
    assert_eq!(violations(&in_macro).len(), 1);

    let foreign_repo = [source("orders/service.rs", "use crate::catalog::repo::offers;\n")];
    assert_eq!(violations(&foreign_repo), ["orders/service.rs: `orders` reaches into `catalog::repo`"]);

    let rules = [source("echeck/rules.rs", "use super::model::CheckState;\n")];
    assert_eq!(violations(&rules), ["echeck/rules.rs: rules import {\"model\"} of their own module"]);

    let circle = [
        source("catalog/cache.rs", "use super::service::{self, Result};\n"),
        source("catalog/service.rs", "use super::cache::Facts;\n"),
    ];
    assert_eq!(violations(&circle), ["catalog: cache and service import each other (directly or around)"]);

    let unknown = [source("loyalty/mod.rs", "")];
    assert_eq!(violations(&unknown).len(), 1, "a new module must be placed in LAYERS");
}
