//! Two handlers in two modules on one method and path: the table refuses to
//! build and names both, with file:line. (Its own test binary: the registry of
//! this program holds the conflict on purpose.)

use auth_runtime::route::{RouteTable, TableError};
use auth_runtime::{RouterBuilder, webmethod};

mod models_v1 {
    use super::*;

    #[webmethod(route = "/models", method = "GET", level = "v1")]
    pub async fn list_models() -> &'static str {
        "v1"
    }
}

mod models_next {
    use super::*;

    #[webmethod(route = "/models", method = "GET", level = "v1")]
    pub async fn list_all_models() -> &'static str {
        "next"
    }

    #[webmethod(route = "/models/{id}", method = "GET", level = "v1")]
    pub async fn by_id() -> &'static str {
        "id"
    }

    #[webmethod(route = "/models/{name}", method = "DELETE", level = "v1")]
    pub async fn by_name() -> &'static str {
        "name"
    }
}

#[test]
fn duplicate_across_modules_names_both_locations() {
    let err = RouteTable::from_registry().expect_err("the registry holds conflicts");
    let TableError::Conflicts(conflicts) = &err else {
        panic!("{err}")
    };
    assert_eq!(conflicts.len(), 2, "{err}");
    let text = err.to_string();
    let line_of = |needle: &str| {
        let src = include_str!("duplicate_routes.rs");
        let fn_line = src.lines().position(|l| l.contains(needle)).unwrap();
        // The attribute is on the line above the function.
        format!("tests/duplicate_routes.rs:{fn_line}")
    };
    for (handler, needle) in [
        ("duplicate_routes::models_v1::list_models", "fn list_models"),
        (
            "duplicate_routes::models_next::list_all_models",
            "fn list_all_models",
        ),
        ("duplicate_routes::models_next::by_id", "fn by_id"),
        ("duplicate_routes::models_next::by_name", "fn by_name"),
    ] {
        assert!(
            text.contains(&format!("`{handler}` at {}", line_of(needle))),
            "{handler} missing in:\n{text}"
        );
    }
}

#[test]
fn the_router_refuses_to_build_before_axum_panics() {
    let err = RouterBuilder::new().build().err().expect("conflicts");
    assert!(err.to_string().contains("route conflict"), "{err}");
}
