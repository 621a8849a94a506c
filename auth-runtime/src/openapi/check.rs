//! `openapi --check FILE`: where a committed document and the generated one differ.

use serde_json::Value;

/// The JSON pointers where `expected` and `actual` differ, each with what
/// changed (`added`, `removed`, `changed`), in document order.
pub fn differences(expected: &Value, actual: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(expected, actual, &mut String::new(), &mut out);
    out
}

fn walk(expected: &Value, actual: &Value, at: &mut String, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, ev) in e {
                let len = at.len();
                push_token(at, key);
                match a.get(key) {
                    Some(av) => walk(ev, av, at, out),
                    None => out.push(format!("removed {at}")),
                }
                at.truncate(len);
            }
            for key in a.keys().filter(|k| !e.contains_key(*k)) {
                let len = at.len();
                push_token(at, key);
                out.push(format!("added {at}"));
                at.truncate(len);
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                let len = at.len();
                push_token(at, &i.to_string());
                walk(ev, av, at, out);
                at.truncate(len);
            }
        }
        (e, a) if e == a => {}
        _ => out.push(format!("changed {}", if at.is_empty() { "/" } else { at })),
    }
}

/// Appends `/token`, escaped as RFC 6901 says.
fn push_token(at: &mut String, token: &str) {
    at.push('/');
    at.push_str(&token.replace('~', "~0").replace('/', "~1"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_each_difference_by_pointer() {
        let expected = json!({"paths": {"/v1/a": {"get": {"x": 1}}, "/v1/b": {}}, "n": [1, 2]});
        let actual = json!({"paths": {"/v1/a": {"get": {"x": 2}}, "/v1/c": {}}, "n": [1, 2, 3]});
        assert_eq!(
            differences(&expected, &actual),
            [
                "changed /n",
                "changed /paths/~1v1~1a/get/x",
                "removed /paths/~1v1~1b",
                "added /paths/~1v1~1c",
            ]
        );
        assert!(differences(&expected, &expected).is_empty());
    }
}
