//! The route table: one matcher (matchit, the one axum uses) over every
//! registered route, with all conflicts found before axum sees them.

use std::collections::HashMap;
use std::fmt;

use axum::http;

use crate::route::registry::{self, Method, RouteEntry};

/// Every route of the program, checked for conflicts, with a fast lookup.
pub struct RouteTable {
    /// Sorted (see [`registry::sort`]).
    entries: Vec<&'static RouteEntry>,
    /// One group per distinct served path, in path order.
    paths: Vec<PathRoutes>,
    /// Served path -> index into `paths`.
    matcher: matchit::Router<usize>,
}

/// The routes that share one served path, by method.
#[derive(Debug)]
pub struct PathRoutes {
    /// The served path, in the router's syntax (`/v1/files/{*path}`).
    pub path: &'static str,
    by_method: [Option<&'static RouteEntry>; Method::ALL.len()],
}

impl PathRoutes {
    /// The entry for a declared method.
    pub fn get(&self, method: Method) -> Option<&'static RouteEntry> {
        self.by_method[method.index()]
    }

    /// The entries of this path, in method order.
    pub fn entries(&self) -> impl Iterator<Item = &'static RouteEntry> + '_ {
        self.by_method.iter().flatten().copied()
    }
}

/// The outcome of [`RouteTable::lookup`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Lookup<'t, 'p> {
    /// The route that serves the request, and the path parameters.
    Found {
        /// The route's entry.
        entry: &'static RouteEntry,
        /// The path parameters, by name, as they appear in the request path.
        params: matchit::Params<'t, 'p>,
    },
    /// The path exists, but not for this method.
    MethodNotAllowed {
        /// The routes of the path, with the methods it does serve.
        routes: &'t PathRoutes,
    },
    /// No route serves the path.
    NotFound,
}

/// Why a route table could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum TableError {
    /// No handler is registered at all.
    Empty,
    /// Routes that cannot be served together; every pair found is listed.
    Conflicts(crate::Errors<Conflict>),
}

/// Two routes that cannot both be served.
#[derive(Debug)]
#[non_exhaustive]
pub struct Conflict {
    /// The earlier route in path order.
    pub first: &'static RouteEntry,
    /// The later route in path order (the same as `first` when the router
    /// refuses a path on its own).
    pub second: &'static RouteEntry,
    /// Why they cannot both be served.
    pub reason: String,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "route conflict: {} and {}: {}",
            self.first.describe(),
            self.second.describe(),
            self.reason
        )
    }
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableError::Empty => f.write_str(
                "no #[webmethod] handler is registered. Handlers in a library crate are dropped by \
                 the linker unless the binary uses that crate: add `use my_handlers as _;` to the \
                 binary (or call any item of the crate)",
            ),
            TableError::Conflicts(conflicts) => {
                write!(f, "{} route conflict(s):", conflicts.len())?;
                for c in conflicts {
                    write!(f, "\n  - {c}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for TableError {}

impl RouteTable {
    /// The table of every `#[webmethod]` route linked into the program.
    pub fn from_registry() -> Result<Self, TableError> {
        Self::new(registry::registered())
    }

    /// A table over the given entries (sorted here, so any order will do).
    pub fn new(mut entries: Vec<&'static RouteEntry>) -> Result<Self, TableError> {
        if entries.is_empty() {
            return Err(TableError::Empty);
        }
        registry::sort(&mut entries);
        let mut conflicts = Vec::new();

        // Group by served path; the same method twice on one path is a conflict.
        let mut paths: Vec<PathRoutes> = Vec::new();
        for &entry in &entries {
            if paths.last().is_none_or(|p| p.path != entry.path) {
                paths.push(PathRoutes {
                    path: entry.path,
                    by_method: [None; Method::ALL.len()],
                });
            }
            let group = paths.last_mut().expect("a group was just pushed");
            match group.by_method[entry.method.index()] {
                Some(first) => conflicts.push(Conflict {
                    first,
                    second: entry,
                    reason: "same method and path".into(),
                }),
                None => group.by_method[entry.method.index()] = Some(entry),
            }
        }

        // Paths the matcher cannot tell apart ({id} against {name}, {*rest}
        // against {id} at one position) are refused by matchit's insert, as
        // axum would refuse them by panicking.
        let mut matcher = matchit::Router::new();
        let mut index_of: HashMap<&'static str, usize> = HashMap::new();
        let mut inserted: Vec<usize> = Vec::new();
        for (i, group) in paths.iter().enumerate() {
            match matcher.insert(group.path, i) {
                Ok(()) => {
                    index_of.insert(group.path, i);
                    inserted.push(i);
                }
                Err(err) => {
                    let second = group.entries().next().expect("groups are never empty");
                    let other = match &err {
                        matchit::InsertError::Conflict { with } => index_of.get(with.as_str()),
                        _ => None,
                    };
                    let first = other
                        .and_then(|&j| paths[j].entries().next())
                        .unwrap_or(second);
                    conflicts.push(Conflict {
                        first,
                        second,
                        reason: match other {
                            Some(_) => format!(
                                "`{}` and `{}` overlap: the router cannot tell which one serves a request",
                                first.path, second.path
                            ),
                            None => format!("the router refuses `{}`: {err}", second.path),
                        },
                    });
                    // A failed insert may leave the matcher half-changed: rebuild it
                    // from the accepted paths so later checks stay exact.
                    matcher = matchit::Router::new();
                    for &j in &inserted {
                        matcher
                            .insert(paths[j].path, j)
                            .expect("re-inserting accepted paths cannot fail");
                    }
                }
            }
        }

        // Each route is one operation of the API description, named by a
        // stable id that clients generate code from: two alike is refused.
        let mut by_id: Vec<&'static RouteEntry> = entries.clone();
        by_id.sort_by_key(|e| e.doc.operation_id);
        for pair in by_id.windows(2) {
            if pair[0].doc.operation_id == pair[1].doc.operation_id {
                conflicts.push(Conflict {
                    first: pair[0],
                    second: pair[1],
                    reason: format!(
                        "both have operationId `{}` (the handler's name unless the annotation sets `operation_id`); give one of them `operation_id = \"...\"`",
                        pair[0].doc.operation_id
                    ),
                });
            }
        }

        match crate::Errors::from_vec(conflicts) {
            None => Ok(RouteTable {
                entries,
                paths,
                matcher,
            }),
            Some(conflicts) => Err(TableError::Conflicts(conflicts)),
        }
    }

    /// The route that serves `method` on `path` (the raw request path, as axum
    /// matches it), with its parameters. `HEAD` is served by a `GET` route.
    pub fn lookup<'t, 'p>(&'t self, method: &http::Method, path: &'p str) -> Lookup<'t, 'p> {
        let Ok(matched) = self.matcher.at(path) else {
            return Lookup::NotFound;
        };
        let routes = &self.paths[*matched.value];
        match Method::serving(method).and_then(|m| routes.get(m)) {
            Some(entry) => Lookup::Found {
                entry,
                params: matched.params,
            },
            None => Lookup::MethodNotAllowed { routes },
        }
    }

    /// Every entry, in the registry's deterministic order.
    pub fn entries(&self) -> &[&'static RouteEntry] {
        &self.entries
    }

    /// The routes grouped by served path, in path order.
    pub fn paths(&self) -> &[PathRoutes] {
        &self.paths
    }

    /// The number of routes (entries).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table has no route (never, for a table that was built).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl fmt::Debug for RouteTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteTable")
            .field("entries", &self.entries.len())
            .field("paths", &self.paths.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::state::{MissingState, StateMap};
    use axum::routing::MethodRouter;

    fn build(
        _: &StateMap,
        _: Option<&crate::route::registry::RouteLayer>,
    ) -> Result<MethodRouter, MissingState> {
        Ok(MethodRouter::new())
    }

    fn entry(
        method: Method,
        path: &'static str,
        handler: &'static str,
        line: u32,
    ) -> &'static RouteEntry {
        Box::leak(Box::new(RouteEntry {
            method,
            path,
            template: path,
            level: None,
            params: &[],
            require_authentication: true,
            required_scope: None,
            deprecated: false,
            descriptive_name: None,
            handler,
            module_path: "tests",
            file: "src/test.rs",
            line,
            state: None,
            optional_user: false,
            access: false,
            doc: crate::route::registry::record::OperationDoc::new(handler),
            build,
        }))
    }

    #[test]
    fn a_duplicate_operation_id_names_both_handlers() {
        let list = |path, line| entry(Method::Get, path, "list", line);
        let found = conflicts(vec![list("/v1/models", 10), list("/v1/files", 20)]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("operationId `list`"), "{found:?}");
        assert!(found[0].contains("src/test.rs:10") && found[0].contains("src/test.rs:20"));
    }

    fn conflicts(entries: Vec<&'static RouteEntry>) -> Vec<String> {
        match RouteTable::new(entries) {
            Err(TableError::Conflicts(c)) => c.iter().map(ToString::to_string).collect(),
            other => panic!("expected conflicts, got {other:?}"),
        }
    }

    #[test]
    fn lookup_finds_entry_and_params() {
        let get = entry(Method::Get, "/v1/models/{id}", "get", 1);
        let del = entry(Method::Delete, "/v1/models/{id}", "del", 2);
        let files = entry(Method::Get, "/v1/files/{*path}", "files", 3);
        let list = entry(Method::Get, "/v1/models", "list", 4);
        let table = RouteTable::new(vec![files, del, list, get]).unwrap();

        let Lookup::Found { entry, params } = table.lookup(&http::Method::GET, "/v1/models/m1")
        else {
            panic!("not found")
        };
        assert_eq!(entry.handler, "get");
        assert_eq!(params.get("id"), Some("m1"));

        let Lookup::Found { entry, .. } = table.lookup(&http::Method::DELETE, "/v1/models/m1")
        else {
            panic!("not found")
        };
        assert_eq!(entry.handler, "del");

        let Lookup::Found { entry, .. } = table.lookup(&http::Method::HEAD, "/v1/models") else {
            panic!("HEAD is served by GET")
        };
        assert_eq!(entry.handler, "list");

        let Lookup::Found { params, .. } = table.lookup(&http::Method::GET, "/v1/files/a/b/c.txt")
        else {
            panic!("not found")
        };
        assert_eq!(params.get("path"), Some("a/b/c.txt"));

        assert!(matches!(
            table.lookup(&http::Method::POST, "/v1/models/m1"),
            Lookup::MethodNotAllowed { .. }
        ));
        assert!(matches!(
            table.lookup(&http::Method::OPTIONS, "/v1/models"),
            Lookup::MethodNotAllowed { .. }
        ));
        for path in [
            "/v1/models/",
            "/v1/model",
            "/V1/MODELS",
            "/v1/files",
            "",
            "/",
        ] {
            assert!(
                matches!(table.lookup(&http::Method::GET, path), Lookup::NotFound),
                "{path}"
            );
        }
    }

    #[test]
    fn order_is_deterministic() {
        let a = entry(Method::Post, "/b", "b_post", 1);
        let b = entry(Method::Get, "/b", "b_get", 2);
        let c = entry(Method::Get, "/a", "a_get", 3);
        let one = RouteTable::new(vec![a, b, c]).unwrap();
        let two = RouteTable::new(vec![c, a, b]).unwrap();
        let names = |t: &RouteTable| t.entries().iter().map(|e| e.handler).collect::<Vec<_>>();
        assert_eq!(names(&one), ["a_get", "b_get", "b_post"]);
        assert_eq!(names(&one), names(&two));
    }

    #[test]
    fn same_method_and_path_names_both_handlers() {
        let found = conflicts(vec![
            entry(Method::Get, "/v1/models", "first", 10),
            entry(Method::Get, "/v1/models", "second", 20),
        ]);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].contains("`tests::first` at src/test.rs:10"),
            "{}",
            found[0]
        );
        assert!(
            found[0].contains("`tests::second` at src/test.rs:20"),
            "{}",
            found[0]
        );
        assert!(found[0].contains("same method and path"));
    }

    #[test]
    fn overlapping_templates_are_conflicts() {
        let found = conflicts(vec![
            entry(Method::Get, "/m/{id}", "by_id", 1),
            entry(Method::Delete, "/m/{name}", "by_name", 2),
        ]);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].contains("by_id") && found[0].contains("by_name"),
            "{}",
            found[0]
        );
        assert!(found[0].contains("overlap"));

        let found = conflicts(vec![
            entry(Method::Get, "/f/{*rest}", "rest", 1),
            entry(Method::Get, "/f/{id}", "id", 2),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn every_conflict_is_reported() {
        let found = conflicts(vec![
            entry(Method::Get, "/a", "a1", 1),
            entry(Method::Get, "/a", "a2", 2),
            entry(Method::Get, "/m/{id}", "m1", 3),
            entry(Method::Get, "/m/{name}", "m2", 4),
            entry(Method::Get, "/x/{p}", "x1", 5),
            entry(Method::Get, "/x/{q}", "x2", 6),
        ]);
        assert_eq!(found.len(), 3, "{found:?}");
    }

    #[test]
    fn fixed_segment_beside_parameter_is_fine() {
        let table = RouteTable::new(vec![
            entry(Method::Get, "/m/{id}", "by_id", 1),
            entry(Method::Get, "/m/special", "special", 2),
        ])
        .unwrap();
        let Lookup::Found { entry, .. } = table.lookup(&http::Method::GET, "/m/special") else {
            panic!()
        };
        assert_eq!(entry.handler, "special");
    }

    #[test]
    fn empty_registry_explains_linking() {
        let err = RouteTable::new(vec![]).unwrap_err();
        assert!(err.to_string().contains("use my_handlers as _;"));
    }
}
