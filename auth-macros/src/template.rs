//! Route templates: `&str` -> normalised route in the router's syntax, or errors.
//!
//! `{name}` matches one segment; `{name:path}` matches the rest of the path and
//! must be last. The runtime never parses templates: it receives the output here.

/// A valid template, ready for the router.
#[derive(Debug, PartialEq, Eq)]
pub struct Route {
    /// In the router's syntax: `{name}` and `{*name}`.
    pub router_path: String,
    /// Parameter names in order.
    pub params: Vec<String>,
}

/// Characters a literal segment may hold: RFC 3986 `pchar` without `%` escapes.
fn is_literal_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()+,;=:@".contains(c)
}

fn is_param_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name != "_"
}

/// Parses a route template, collecting every problem found.
pub fn parse(template: &str) -> Result<Route, Vec<String>> {
    if template.is_empty() {
        return Err(vec!["route must not be empty; write it as `/path`".into()]);
    }
    let Some(rest) = template.strip_prefix('/') else {
        return Err(vec![format!(
            "route `{template}` must start with `/`; write `/{template}`"
        )]);
    };
    if rest.is_empty() {
        return Ok(Route {
            router_path: "/".into(),
            params: Vec::new(),
        });
    }
    let mut errors = Vec::new();
    let mut params: Vec<String> = Vec::new();
    let mut router_path = String::with_capacity(template.len() + 1);
    let segments: Vec<&str> = rest.split('/').collect();
    let last = segments.len() - 1;
    for (i, segment) in segments.iter().enumerate() {
        router_path.push('/');
        if segment.is_empty() {
            errors.push(if i == last {
                format!("route `{template}` has a trailing `/`; remove it")
            } else {
                format!("route `{template}` has an empty segment (`//`)")
            });
            continue;
        }
        if !segment.contains(['{', '}']) {
            check_literal(template, segment, &mut errors);
            router_path.push_str(segment);
            continue;
        }
        let Some(inner) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
            errors.push(if balanced(segment) {
                format!("`{segment}`: a parameter must be a whole path segment, as in `/{{name}}`")
            } else {
                format!("unbalanced braces in segment `{segment}`")
            });
            continue;
        };
        if inner.contains(['{', '}']) {
            errors.push(format!("unbalanced braces in segment `{segment}`"));
            continue;
        }
        let (name, converter) = match inner.split_once(':') {
            Some((name, converter)) => (name, Some(converter)),
            None => (inner, None),
        };
        if name.is_empty() {
            errors.push(format!(
                "empty parameter name in `{segment}`; name it, as in `{{id}}`"
            ));
            continue;
        }
        if !is_param_name(name) {
            errors.push(format!(
                "invalid parameter name `{name}` in `{segment}`: use letters, digits and `_`, not starting with a digit"
            ));
            continue;
        }
        if params.iter().any(|p| p == name) {
            errors.push(format!("parameter `{name}` appears twice in `{template}`"));
        }
        params.push(name.to_owned());
        match converter {
            None => {
                router_path.push('{');
                router_path.push_str(name);
                router_path.push('}');
            }
            Some("path") => {
                if i != last {
                    errors.push(format!(
                        "`{segment}` matches the rest of the path, so it must be the last segment"
                    ));
                }
                router_path.push_str("{*");
                router_path.push_str(name);
                router_path.push('}');
            }
            Some(other) => errors.push(format!(
                "unknown converter `{other}` in `{segment}`; the only converter is `path`, as in `{{{name}:path}}`"
            )),
        }
    }
    if errors.is_empty() {
        Ok(Route {
            router_path,
            params,
        })
    } else {
        Err(errors)
    }
}

/// Braces open and close in order, never nested.
fn balanced(segment: &str) -> bool {
    let mut open = false;
    for c in segment.chars() {
        match c {
            '{' if open => return false,
            '{' => open = true,
            '}' if !open => return false,
            '}' => open = false,
            _ => {}
        }
    }
    !open
}

fn check_literal(template: &str, segment: &str, errors: &mut Vec<String>) {
    if segment == "." || segment == ".." {
        errors.push(format!(
            "route `{template}` has a dot segment `{segment}`, which clients normalise away"
        ));
    } else if let Some(first) = segment.strip_prefix([':', '*']).map(|_| &segment[..1]) {
        errors.push(format!(
            "segment `{segment}` starts with `{first}`; write parameters as `{{name}}` or `{{name:path}}`"
        ));
    } else if let Some(bad) = segment.chars().find(|c| !is_literal_char(*c)) {
        errors.push(format!(
            "character `{}` is not allowed in route `{template}`",
            bad.escape_default()
        ));
    }
}

/// Validates an API level (`v1`, `v1alpha`): one path segment, plain characters.
pub fn check_level(level: &str) -> Result<(), String> {
    if level.is_empty() {
        return Err("level must not be empty; use a version such as `v1`".into());
    }
    if level == "." || level == ".." {
        return Err(format!("level `{level}` is not a valid path segment"));
    }
    match level
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-._".contains(*c)))
    {
        Some(bad) => Err(format!(
            "character `{}` is not allowed in level `{level}`; use letters, digits, `-`, `.` and `_`",
            bad.escape_default()
        )),
        None => Ok(()),
    }
}

/// The path the server serves: `/{level}{route}`, or the route alone.
pub fn served(level: Option<&str>, router_path: &str) -> String {
    match level {
        None => router_path.to_owned(),
        Some(level) if router_path == "/" => format!("/{level}"),
        Some(level) => format!("/{level}{router_path}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(t: &str) -> (String, Vec<String>) {
        let r = parse(t).unwrap_or_else(|e| panic!("{t}: {e:?}"));
        (r.router_path, r.params)
    }

    fn err(t: &str) -> String {
        parse(t).expect_err(t).join("\n")
    }

    #[test]
    fn accepts_and_normalises() {
        assert_eq!(ok("/"), ("/".into(), vec![]));
        assert_eq!(ok("/models"), ("/models".into(), vec![]));
        assert_eq!(
            ok("/models/{model_id}"),
            ("/models/{model_id}".into(), vec!["model_id".into()])
        );
        assert_eq!(
            ok("/files/{path:path}"),
            ("/files/{*path}".into(), vec!["path".into()])
        );
        assert_eq!(
            ok("/a/{x}/b/{y_2}"),
            ("/a/{x}/b/{y_2}".into(), vec!["x".into(), "y_2".into()])
        );
        assert_eq!(
            ok("/v1:batch/a-b.c~d"),
            ("/v1:batch/a-b.c~d".into(), vec![])
        );
    }

    #[test]
    fn rejects_with_a_reason() {
        assert!(err("").contains("must not be empty"));
        assert!(err("models").contains("must start with `/`"));
        assert!(err("/models/").contains("trailing `/`"));
        assert!(err("/a//b").contains("empty segment"));
        assert!(err("/a/{id").contains("unbalanced"));
        assert!(err("/a/id}").contains("unbalanced"));
        assert!(err("/a/{{id}}").contains("unbalanced"));
        assert!(err("/a/{}").contains("empty parameter name"));
        assert!(err("/a/{:path}").contains("empty parameter name"));
        assert!(err("/a/{1d}").contains("invalid parameter name `1d`"));
        assert!(err("/a/{a-b}").contains("invalid parameter name"));
        assert!(err("/a/{id}/{id}").contains("appears twice"));
        assert!(err("/a/{id:int}").contains("unknown converter `int`"));
        assert!(err("/a/{p:path}/b").contains("must be the last segment"));
        assert!(err("/a/x{id}").contains("whole path segment"));
        assert!(err("/a/:id").contains("starts with `:`"));
        assert!(err("/a/*rest").contains("starts with `*`"));
        assert!(err("/a b").contains("not allowed"));
        assert!(err("/a?b").contains("not allowed"));
        assert!(err("/a/../b").contains("dot segment"));
    }

    #[test]
    fn reports_every_problem() {
        assert_eq!(parse("/{}/{1}/x{y}").expect_err("bad").len(), 3);
    }

    #[test]
    fn levels() {
        assert!(check_level("v1").is_ok());
        assert!(check_level("v1alpha").is_ok());
        assert!(check_level("").is_err());
        assert!(check_level("v1/x").is_err());
        assert_eq!(served(Some("v1"), "/models"), "/v1/models");
        assert_eq!(served(Some("v1"), "/"), "/v1");
        assert_eq!(served(None, "/models"), "/models");
    }
}
