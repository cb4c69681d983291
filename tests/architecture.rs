//! The one-way architecture, checked: no top-level module of the library imports one that
//! imports it back (directly or through others). Every `crate::<module>` path in non-test code
//! is an edge (test modules and `#[cfg(test)]` items are left out: tests may reach anywhere);
//! the test fails with each cycle and the files that make it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// `module → (module it uses → files that use it)`.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// `#[cfg(test)]`, `#[cfg(all(test, ...))]`: the item exists only in test builds.
fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| match &a.meta {
        syn::Meta::List(l) if l.path.is_ident("cfg") => {
            let text = l.tokens.to_string();
            text.split(|c: char| !c.is_alphanumeric() && c != '_')
                .any(|w| w == "test")
                && !text.contains("not")
        }
        _ => false,
    })
}

/// Collects the top-level modules a file's non-test code names through `crate::`.
#[derive(Default)]
struct Uses {
    modules: BTreeSet<String>,
    /// `mod name;` declarations under `#[cfg(test)]`: their files are test code.
    test_files: Vec<String>,
}

impl Uses {
    fn crate_path<'a>(&mut self, mut segments: impl Iterator<Item = &'a syn::Ident>) {
        if segments.next().is_some_and(|s| s == "crate")
            && let Some(m) = segments.next()
        {
            self.modules.insert(m.to_string());
        }
    }

    fn tokens(&mut self, tokens: proc_macro2::TokenStream) {
        // Paths inside macro calls (format!, assert!, select!) are not parsed by syn.
        let words: Vec<String> = tokens
            .into_iter()
            .flat_map(|t| match t {
                proc_macro2::TokenTree::Group(g) => {
                    self.tokens(g.stream());
                    Vec::new()
                }
                other => vec![other.to_string()],
            })
            .collect();
        for w in words.windows(4) {
            if w[0] == "crate" && w[1] == ":" && w[2] == ":" {
                self.modules.insert(w[3].clone());
            }
        }
    }
}

impl<'ast> Visit<'ast> for Uses {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Struct(s) => &s.attrs,
            syn::Item::Enum(e) => &e.attrs,
            syn::Item::Const(c) => &c.attrs,
            syn::Item::Static(s) => &s.attrs,
            syn::Item::Trait(t) => &t.attrs,
            syn::Item::Type(t) => &t.attrs,
            syn::Item::Macro(m) => &m.attrs,
            _ => &[],
        };
        if is_cfg_test(attrs) {
            if let syn::Item::Mod(m) = item
                && m.content.is_none()
            {
                self.test_files.push(m.ident.to_string());
            }
            return;
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if !is_cfg_test(&f.attrs) {
            syn::visit::visit_impl_item_fn(self, f);
        }
    }

    fn visit_use_tree(&mut self, tree: &'ast syn::UseTree) {
        if let syn::UseTree::Path(p) = tree
            && p.ident == "crate"
        {
            let mut firsts = Vec::new();
            match &*p.tree {
                syn::UseTree::Path(q) => firsts.push(q.ident.clone()),
                syn::UseTree::Name(n) => firsts.push(n.ident.clone()),
                syn::UseTree::Rename(r) => firsts.push(r.ident.clone()),
                syn::UseTree::Group(g) => {
                    for t in &g.items {
                        match t {
                            syn::UseTree::Path(q) => firsts.push(q.ident.clone()),
                            syn::UseTree::Name(n) => firsts.push(n.ident.clone()),
                            syn::UseTree::Rename(r) => firsts.push(r.ident.clone()),
                            _ => {}
                        }
                    }
                }
                syn::UseTree::Glob(_) => {}
            }
            self.modules.extend(firsts.iter().map(|i| i.to_string()));
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.crate_path(path.segments.iter().map(|s| &s.ident));
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.tokens(m.tokens.clone());
        syn::visit::visit_macro(self, m);
    }
}

/// The `.rs` files of a module (a directory, or one file), without test-only files.
fn files(src: &Path, module: &str) -> Vec<PathBuf> {
    let dir = src.join(module);
    if !dir.is_dir() {
        return vec![src.join(format!("{module}.rs"))];
    }
    let mut out = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read src dir") {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The dependency graph between the top-level modules under `src`.
fn graph(src: &Path) -> Graph {
    let mut tops = BTreeSet::new();
    for e in std::fs::read_dir(src).expect("read src") {
        let p = e.expect("dir entry").path();
        let name = p.file_stem().unwrap().to_string_lossy().to_string();
        if p.is_dir()
            || (p.extension().is_some_and(|x| x == "rs") && name != "lib" && name != "main")
        {
            tops.insert(name);
        }
    }
    let mut g = Graph::new();
    for top in &tops {
        let mut test_only = BTreeSet::new();
        let mut per_file = Vec::new();
        for f in files(src, top) {
            let text = std::fs::read_to_string(&f).expect("read source");
            let ast = syn::parse_file(&text)
                .unwrap_or_else(|e| panic!("{}: not parseable: {e}", f.display()));
            let mut uses = Uses::default();
            uses.visit_file(&ast);
            let here = f.parent().unwrap();
            let own = if matches!(
                f.file_name().and_then(|n| n.to_str()),
                Some("mod.rs" | "lib.rs")
            ) {
                here.to_path_buf()
            } else {
                here.join(f.file_stem().unwrap())
            };
            for m in &uses.test_files {
                test_only.insert(own.join(format!("{m}.rs")));
                test_only.insert(own.join(m).join("mod.rs"));
            }
            per_file.push((f, uses.modules));
        }
        let entry = g.entry(top.clone()).or_default();
        for (f, modules) in per_file {
            if test_only.contains(&f) {
                continue;
            }
            for m in modules {
                if &m != top && tops.contains(&m) {
                    entry
                        .entry(m)
                        .or_default()
                        .insert(f.strip_prefix(src).unwrap().display().to_string());
                }
            }
        }
    }
    g
}

/// Every cycle, as the strongly connected components with more than one module.
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    let reach = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(m) = stack.pop() {
            for next in g.get(&m).into_iter().flat_map(|e| e.keys()) {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&String, BTreeSet<String>> = g.keys().map(|m| (m, reach(m))).collect();
    let mut out: Vec<Vec<String>> = Vec::new();
    for m in g.keys() {
        if !reachable[m].contains(m) || out.iter().any(|c| c.contains(m)) {
            continue;
        }
        let component: Vec<String> = g
            .keys()
            .filter(|o| reachable[m].contains(*o) && reachable[*o].contains(m))
            .cloned()
            .collect();
        out.push(component);
    }
    out
}

fn explain(g: &Graph, component: &[String]) -> String {
    let mut lines = vec![format!("cycle between {}:", component.join(", "))];
    for a in component {
        for (b, files) in g.get(a).into_iter().flatten() {
            if component.contains(b) {
                let files: Vec<&str> = files.iter().map(String::as_str).collect();
                lines.push(format!("  {a} -> {b} ({})", files.join(", ")));
            }
        }
    }
    lines.join("\n")
}

#[test]
fn no_top_level_module_imports_one_that_imports_it_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let g = graph(&src);
    // The checker sees the edges that exist: the runner uses the client, reports read runs.
    assert!(g["runner"].contains_key("client"), "{g:#?}");
    assert!(g["report"].contains_key("runner"), "{g:#?}");
    let found = cycles(&g);
    let text: Vec<String> = found.iter().map(|c| explain(&g, c)).collect();
    assert!(found.is_empty(), "{}", text.join("\n"));
}

#[test]
fn a_cycle_is_found_also_through_a_third_module_a_macro_or_a_grouped_use() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::write(src.join("lib.rs"), "pub mod a; pub mod b; pub mod c;").unwrap();
    std::fs::create_dir(src.join("a")).unwrap();
    std::fs::write(
        src.join("a/mod.rs"),
        "//! a\nmod inner;\n#[cfg(test)]\nmod tests { use crate::c::X; }\n#[cfg(test)]\nmod proptests;\n",
    )
    .unwrap();
    std::fs::write(src.join("a/inner.rs"), "use crate::{b::Y, a};\n").unwrap();
    std::fs::write(src.join("a/proptests.rs"), "use crate::c::Z;\n").unwrap();
    std::fs::write(
        src.join("b.rs"),
        "fn f() { println!(\"{}\", crate::c::N); }\n",
    )
    .unwrap();
    std::fs::write(src.join("c.rs"), "pub const N: u8 = 1;\n").unwrap();
    let g = graph(src);
    assert!(cycles(&g).is_empty(), "a -> b -> c only: {g:#?}");
    assert!(!g["a"].contains_key("c"), "test code is no edge: {g:#?}");

    std::fs::write(src.join("c.rs"), "pub fn n() -> u8 { crate::a::M }\n").unwrap();
    let g = graph(src);
    assert_eq!(cycles(&g), vec![vec!["a", "b", "c"]], "{g:#?}");
    assert!(explain(&g, &cycles(&g)[0]).contains("c -> a (c.rs)"));
}
