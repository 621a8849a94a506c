//! The route table: one matcher (matchit, the one axum uses) over every
//! registered route, with all conflicts found before axum sees them.

use std::collections::HashMap;
use std::fmt;

use axum::http;

use crate::registry::{self, Method, RouteEntry};

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
pub enum Lookup<'t, 'p> {
    /// The route that serves the request, and the path parameters.
    Found {
        entry: &'static RouteEntry,
        params: matchit::Params<'t, 'p>,
    },
    /// The path exists, but not for this method.
    MethodNotAllowed {
        routes: &'t PathRoutes,
    },
    NotFound,
}

/// Why a route table could not be built.
#[derive(Debug)]
pub enum TableError {
    /// No handler is registered at all.
    Empty,
    /// Routes that cannot be served together; every pair found is listed.
    Conflicts(Vec<Conflict>),
}

/// Two routes that cannot both be served.
#[derive(Debug)]
pub struct Conflict {
    pub first: &'static RouteEntry,
    /// The later route in path order (the same as `first` when the router
    /// refuses a path on its own).
    pub second: &'static RouteEntry,
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

        if conflicts.is_empty() {
            Ok(RouteTable {
                entries,
                paths,
                matcher,
            })
        } else {
            Err(TableError::Conflicts(conflicts))
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

    pub fn len(&self) -> usize {
        self.entries.len()
    }

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
