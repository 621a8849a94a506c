//! Claims to attributes, as llama-stack maps them: `claim -> attribute`; a
//! dotted claim walks nested objects, else it is a literal key; a string is
//! split on whitespace, a list is taken as is (its strings), anything else is
//! skipped; several claims may feed one attribute.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::principal::Attributes;

/// `claim -> attribute` pairs, compiled once from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimsMapping {
    pairs: Vec<(Vec<String>, String, String)>,
}

impl ClaimsMapping {
    pub fn new(mapping: &BTreeMap<String, String>) -> Self {
        ClaimsMapping {
            pairs: mapping
                .iter()
                .map(|(claim, attribute)| {
                    (
                        claim.split('.').map(str::to_owned).collect(),
                        claim.clone(),
                        attribute.clone(),
                    )
                })
                .collect(),
        }
    }

    /// The attributes the claims give.
    pub fn attributes(&self, claims: &Value) -> Attributes {
        let mut out = Attributes::new();
        for (path, literal, attribute) in &self.pairs {
            let nested = path.iter().try_fold(claims, |v, key| v.get(key));
            let Some(value) = nested.or_else(|| claims.get(literal)) else {
                continue;
            };
            let values: Vec<String> = match value {
                Value::String(s) => s.split_whitespace().map(str::to_owned).collect(),
                Value::Array(items) => items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect(),
                _ => continue,
            };
            out.entry(attribute.clone()).or_default().extend(values);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pairs(p: &[(&str, &str)]) -> BTreeMap<String, String> {
        p.iter()
            .map(|(c, a)| ((*c).to_owned(), (*a).to_owned()))
            .collect()
    }

    #[test]
    fn maps_like_llama_stack() {
        let mapping = ClaimsMapping::new(&pairs(&[
            ("sub", "roles"),
            ("scope", "scopes"),
            ("groups", "teams"),
            ("team", "teams"),
            ("resource_access.app.roles", "roles"),
            ("my.dotted.key", "projects"),
            ("count", "numbers"),
            ("missing", "nothing"),
        ]));
        let claims = json!({
            "sub": "alice",
            "scope": "models.read  models.write\tfiles.read",
            "groups": ["ml", "nlp"],
            "team": "platform",
            "resource_access": {"app": {"roles": ["admin"]}},
            "my.dotted.key": "p1 p2",
            "count": 3
        });
        let a = mapping.attributes(&claims);
        assert_eq!(a["scopes"], ["models.read", "models.write", "files.read"]);
        assert_eq!(a["teams"], ["ml", "nlp", "platform"]);
        assert_eq!(a["projects"], ["p1", "p2"]);
        let mut roles = a["roles"].clone();
        roles.sort();
        assert_eq!(roles, ["admin", "alice"]);
        assert!(!a.contains_key("numbers") && !a.contains_key("nothing"));
    }
}
