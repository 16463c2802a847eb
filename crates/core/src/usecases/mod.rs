//! Use cases, one file per resource. Each public method: validate → authorize (policy) →
//! act through the store with its audit event in the same transaction.

pub mod administration;
pub mod coordination;
pub mod identification;
pub mod intake;
pub mod linkage;
pub mod prosecution;
pub mod protection;
pub mod scope;
pub mod statistics;

// Every use case module keeps its path (`usecases::referrals`), whatever pillar holds it.
pub use administration::{audit, auth, capabilities, geo, idempotency, orgs, refusals, system, tokens, users};
pub use coordination::{alerts, search, sharing, visibility};
pub use identification::instruments;
pub use linkage::{linkage_job, linkage_runs};
pub(crate) use prosecution::redaction;
pub use prosecution::{case_views, cases, timeline};
pub use protection::{attachments, persons, prevention, referrals};
pub use statistics::{ctdc, htcds, summary};

/// Use cases may build on one another, but never in a circle: a circle is two files that can
/// only be understood, changed and tested together. This reads the use case files and fails
/// on any cycle of `crate::usecases::…` references, naming it.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                files(&path, out);
            } else if path.extension().is_some_and(|x| x == "rs") && path.file_stem().is_some_and(|s| s != "mod") {
                out.push(path);
            }
        }
    }

    /// Every service (declared with `service!` in a pillar's `mod.rs`: `Intake, IntakePorts: …`)
    /// and the services its use cases call through the kernel's accessors (`self.scope()`).
    fn service_graph() -> BTreeMap<String, BTreeSet<String>> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/usecases");
        let mut services = BTreeSet::new();
        for e in std::fs::read_dir(&root).unwrap() {
            if let Ok(m) = std::fs::read_to_string(e.unwrap().path().join("mod.rs")) {
                for l in m.lines() {
                    if let Some((name, rest)) = l.trim().split_once(", ")
                        && rest.starts_with(&format!("{name}Ports:"))
                    {
                        services.insert(name.to_owned());
                    }
                }
            }
        }
        let mut paths = Vec::new();
        files(&root, &mut paths);
        let mut g: BTreeMap<String, BTreeSet<String>> = services.iter().map(|s| (s.clone(), BTreeSet::new())).collect();
        for path in &paths {
            let text = std::fs::read_to_string(path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let owners: Vec<&String> = services.iter().filter(|s| code.contains(&format!("impl {s} {{"))).collect();
            assert!(owners.len() <= 1, "{} holds use cases of {owners:?}: one service per file", path.display());
            let Some(owner) = owners.first() else { continue };
            for s in &services {
                if s != *owner && code.contains(&format!(".{}()", s.to_lowercase())) {
                    g.get_mut(*owner).unwrap().insert(s.clone());
                }
            }
        }
        g
    }

    /// Every use case file (in its pillar's folder) and the use case modules it names,
    /// through `crate::usecases::…` or a sibling's `super::…`.
    fn graph() -> BTreeMap<String, BTreeSet<String>> {
        let mut paths = Vec::new();
        files(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/usecases"), &mut paths);
        let names: BTreeSet<String> = paths.iter().map(|p| p.file_stem().unwrap().to_string_lossy().into_owned()).collect();
        // A pillar's own path (`usecases::linkage::…`) is its main file, re-exported whole
        // (`pub use queue::*;` in `linkage/mod.rs`).
        let mut main_of: BTreeMap<String, String> = BTreeMap::new();
        for e in std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/usecases")).unwrap() {
            let dir = e.unwrap().path();
            if let (true, Ok(m)) = (dir.is_dir(), std::fs::read_to_string(dir.join("mod.rs")))
                && let Some(main) = m.lines().find_map(|l| l.strip_prefix("pub use ").and_then(|r| r.strip_suffix("::*;")))
            {
                main_of.insert(dir.file_name().unwrap().to_string_lossy().into_owned(), main.to_owned());
            }
        }
        let mut g = BTreeMap::new();
        for path in &paths {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(path).unwrap();
            // Test modules may use anything; only the code that ships counts.
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let mut deps = BTreeSet::new();
            for marker in [["crate::usecases", "::"].concat(), ["super", "::"].concat()] {
                for (i, _) in code.match_indices(&marker) {
                    let mut rest = &code[i + marker.len()..];
                    // `crate::usecases::pillar::module::` names the module, not the pillar.
                    loop {
                        let word: String = rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
                        if names.contains(&word) {
                            if word != name {
                                deps.insert(word);
                            }
                            break;
                        }
                        let next = rest.get(word.len()..).and_then(|r| r.strip_prefix("::"));
                        let next_word: String = next.unwrap_or("").chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
                        if let Some(main) = main_of.get(&word)
                            && !names.contains(&next_word)
                        {
                            if *main != name {
                                deps.insert(main.clone());
                            }
                            break;
                        }
                        match next {
                            Some(r) if !word.is_empty() => rest = r,
                            _ => break,
                        }
                    }
                }
            }
            g.insert(name, deps);
        }
        g
    }

    fn cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
        fn visit(
            n: &str,
            g: &BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(at) = path.iter().position(|p| p == n) {
                let mut c = path[at..].to_vec();
                c.push(n.to_owned());
                return Some(c);
            }
            if done.contains(n) {
                return None;
            }
            path.push(n.to_owned());
            for d in g.get(n).into_iter().flatten() {
                if let Some(c) = visit(d, g, path, done) {
                    return Some(c);
                }
            }
            path.pop();
            done.insert(n.to_owned());
            None
        }
        let mut done = BTreeSet::new();
        g.keys().find_map(|n| visit(n, g, &mut Vec::new(), &mut done))
    }

    #[test]
    fn no_use_case_imports_another_in_a_circle() {
        let g = graph();
        assert!(g.len() > 30 && g.contains_key("cases") && g["sharing"].contains("case_views"), "read the use cases: {g:?}");
        assert!(g["annual"].contains("queue"), "a pillar's own path counts as its main file: {:?}", g["annual"]);
        assert_eq!(cycle(&g), None);
    }

    /// The services call each other in one direction only: a pillar that needs another's
    /// answer calls down, never back up, and who may see a record is asked of `Scope`,
    /// below them all.
    #[test]
    fn no_service_calls_another_in_a_circle() {
        let g = service_graph();
        assert!(g.len() >= 13, "read the services: {:?}", g.keys());
        assert!(g["Prosecution"].contains("Scope") && g["BulkLoad"].contains("Coordination"), "read the calls: {g:?}");
        assert!(g["Scope"].is_empty(), "Scope calls no pillar: {:?}", g["Scope"]);
        assert_eq!(cycle(&g), None, "{g:?}");
    }

    #[test]
    fn the_cycle_check_finds_a_circle() {
        let mut g = BTreeMap::new();
        g.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
        g.insert("b".to_owned(), BTreeSet::from(["c".to_owned()]));
        g.insert("c".to_owned(), BTreeSet::from(["a".to_owned()]));
        assert_eq!(cycle(&g), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    }
}
