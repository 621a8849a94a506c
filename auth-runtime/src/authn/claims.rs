//! Claims to attributes, as llama-stack maps them: `claim -> attribute`; a
//! dotted claim walks nested objects, else it is a literal key; a string is
//! split on whitespace, a list is taken as is (its strings), anything else is
//! skipped; several claims may feed one attribute. `\.` in a claim path is a
//! dot inside a segment (`kubernetes\.io.namespace`), as ogx reads it.
//! The tenant a provider's claims give ([`ClaimPath::tenant`]) is read by
//! the same walker.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::authn::AuthError;
use crate::principal::{Attributes, User};

/// A claim path of the config, split once: segments on each `.` but an
/// escaped one (`\.`, a dot inside a segment). Without an escape, the whole
/// path is also tried as one literal key when the walk finds nothing
/// (llama-stack's way with a claim whose name holds dots).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClaimPath {
    segments: Vec<String>,
    /// The path as one key, when it has no escape.
    literal: Option<String>,
}

impl ClaimPath {
    pub(crate) fn new(path: &str) -> Self {
        let mut segments = Vec::new();
        let mut segment = String::new();
        let mut escaped = false;
        let mut chars = path.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&'.') => {
                    escaped = true;
                    segment.push('.');
                    chars.next();
                }
                '.' => segments.push(std::mem::take(&mut segment)),
                other => segment.push(other),
            }
        }
        segments.push(segment);
        ClaimPath {
            segments,
            literal: (!escaped).then(|| path.to_owned()),
        }
    }

    /// The value at the path: the nested walk, else the literal key.
    pub(crate) fn find<'v>(&self, claims: &'v Value) -> Option<&'v Value> {
        let nested = self
            .segments
            .iter()
            .try_fold(claims, |v, key| v.get(key.as_str()));
        nested.or_else(|| claims.get(self.literal.as_deref()?))
    }

    /// `user` in the tenant the claims give at this path: a string, checked
    /// by [`User::with_tenant`]; absent, `null` or blank is no tenant. Any
    /// other value, or a malformed string, is a 401 naming the problem,
    /// never the value.
    pub(crate) fn tenant(&self, claims: &Value, user: User) -> Result<User, AuthError> {
        match self.find(claims) {
            None | Some(Value::Null) => Ok(user),
            Some(Value::String(raw)) => user.with_tenant(raw).map_err(invalid_tenant),
            Some(_) => Err(invalid_tenant("the tenant claim is not a string")),
        }
    }

    /// As [`tenant`](Self::tenant), a list of exactly one string taken as
    /// that string (Kubernetes `userInfo.extra` values are lists); a list
    /// of any other length is a 401, never a choice among its items.
    pub(crate) fn tenant_in_list(&self, claims: &Value, user: User) -> Result<User, AuthError> {
        match self.find(claims) {
            Some(Value::Array(items)) => match items.as_slice() {
                [Value::String(raw)] => user.with_tenant(raw).map_err(invalid_tenant),
                [] => Ok(user),
                _ => Err(invalid_tenant(
                    "the tenant claim is not a string or a list of one string",
                )),
            },
            _ => self.tenant(claims, user),
        }
    }
}

/// The 401 of a malformed tenant: what is wrong, never the value.
pub(crate) fn invalid_tenant(why: impl std::fmt::Display) -> AuthError {
    AuthError::Rejected(format!("Invalid tenant: {why}"))
}

/// `user` in the tenant at `path` of the claims; no path, no tenant (and no
/// work).
pub(crate) fn with_tenant(
    path: Option<&ClaimPath>,
    claims: &Value,
    user: User,
) -> Result<User, AuthError> {
    match path {
        Some(path) => path.tenant(claims, user),
        None => Ok(user),
    }
}

/// `claim -> attribute` pairs, compiled once from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClaimsMapping {
    pairs: Vec<(ClaimPath, String)>,
}

impl ClaimsMapping {
    pub(crate) fn new(mapping: &BTreeMap<String, String>) -> Self {
        ClaimsMapping {
            pairs: mapping
                .iter()
                .map(|(claim, attribute)| (ClaimPath::new(claim), attribute.clone()))
                .collect(),
        }
    }

    /// The attributes the claims give.
    pub(crate) fn attributes(&self, claims: &Value) -> Attributes {
        let mut out = Attributes::new();
        for (path, attribute) in &self.pairs {
            let Some(value) = path.find(claims) else {
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

/// JSON whose objects, at any depth, name each key once. A duplicate is an
/// error, not "the last one wins" (`serde_json::Value`'s way): two copies of
/// a claim or an attribute may be read differently by another parser on the
/// way (a gateway's, an IdP's), so neither is believed. jsonwebtoken refuses
/// a JWT whose registered claims (`exp`, `sub`, ...) repeat the same way, by
/// serde's duplicate-field check; this is that check for any key.
pub(crate) fn from_slice_unique(raw: &[u8]) -> Result<Value, serde_json::Error> {
    use serde::de::{Deserialize, Deserializer, Error, MapAccess, SeqAccess, Visitor};

    struct Unique(Value);

    impl<'de> Deserialize<'de> for Unique {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(UniqueVisitor).map(Unique)
        }
    }

    struct UniqueVisitor;

    impl<'de> Visitor<'de> for UniqueVisitor {
        type Value = Value;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_str<E>(self, v: &str) -> Result<Value, E> {
            Ok(Value::String(v.to_owned()))
        }
        fn visit_string<E>(self, v: String) -> Result<Value, E> {
            Ok(Value::String(v))
        }
        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut items = Vec::new();
            while let Some(Unique(item)) = seq.next_element()? {
                items.push(item);
            }
            Ok(Value::Array(items))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let mut out = serde_json::Map::new();
            while let Some(key) = map.next_key::<String>()? {
                let Unique(value) = map.next_value()?;
                if out.insert(key, value).is_some() {
                    return Err(A::Error::custom("duplicate key"));
                }
            }
            Ok(Value::Object(out))
        }
    }

    serde_json::from_slice::<Unique>(raw).map(|Unique(v)| v)
}

/// The latest time a token or an identity provider may name:
/// 9999-12-31T23:59:59Z. Later values (`1e19`, `2^63`) are refused rather
/// than added to a clock, where they would overflow.
pub(crate) const MAX_NUMERIC_DATE: u64 = 253_402_300_799;

/// A NumericDate claim (`exp`, `nbf`, `iat`; RFC 7519 §2) as seconds since
/// the epoch: `Ok(None)` when absent, `Err` when it is not a whole number of
/// seconds between 0 and [`MAX_NUMERIC_DATE`] (negative, fractional, a
/// string, absurdly far away).
pub(crate) fn numeric_date(claims: &Value, name: &str) -> Result<Option<u64>, String> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(secs) if secs <= MAX_NUMERIC_DATE => Ok(Some(secs)),
            _ => Err(format!("`{name}` is out of range")),
        },
        Some(_) => Err(format!("`{name}` is not a number")),
    }
}

/// `secs` after the epoch, plus `leeway` seconds; `None` when the sum does
/// not fit a clock (never with values from [`numeric_date`]).
pub(crate) fn time_at(secs: u64, leeway: u64) -> Option<SystemTime> {
    UNIX_EPOCH.checked_add(Duration::from_secs(secs.checked_add(leeway)?))
}

/// Seconds since the epoch now.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numeric_dates_in_range_only() {
        let claims = json!({
            "zero": 0, "ok": 1_700_000_000u64, "max": MAX_NUMERIC_DATE,
            "past_max": MAX_NUMERIC_DATE + 1, "e19": 10_000_000_000_000_000_000u64,
            "two63": 9_223_372_036_854_775_808u64, "negative": -5, "fraction": 1.5,
            "float_e19": 1e19, "string": "1700000000", "null": null
        });
        let date = |name| numeric_date(&claims, name);
        assert_eq!(date("zero"), Ok(Some(0)));
        assert_eq!(date("ok"), Ok(Some(1_700_000_000)));
        assert_eq!(date("max"), Ok(Some(MAX_NUMERIC_DATE)));
        assert_eq!(date("absent"), Ok(None));
        assert_eq!(date("null"), Ok(None));
        for bad in [
            "past_max",
            "e19",
            "two63",
            "negative",
            "fraction",
            "float_e19",
            "string",
        ] {
            assert!(date(bad).is_err(), "{bad}");
        }
        assert!(time_at(MAX_NUMERIC_DATE, 30).is_some());
        assert_eq!(time_at(u64::MAX, 30), None);
        assert_eq!(
            time_at(10, 30),
            Some(UNIX_EPOCH + Duration::from_secs(40)),
            "leeway is added, not multiplied"
        );
    }

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

    #[test]
    fn an_escaped_dot_stays_inside_its_segment() {
        let path = |p: &str| ClaimPath::new(p).segments;
        assert_eq!(path("a.b"), ["a", "b"]);
        assert_eq!(
            path(r"kubernetes\.io.namespace"),
            ["kubernetes.io", "namespace"]
        );
        assert_eq!(path(r"a\.b\.c"), ["a.b.c"]);
        assert_eq!(
            path(r"a\b.c"),
            [r"a\b", "c"],
            "a backslash before another character stays"
        );
        assert_eq!(path(r"a\"), [r"a\"]);
        let mapping = ClaimsMapping::new(&pairs(&[
            (r"kubernetes\.io.namespace", "namespaces"),
            (r"extra\.groups", "teams"),
        ]));
        let claims = json!({
            "kubernetes.io": {"namespace": "ml-prod"},
            "kubernetes": {"io": {"namespace": "wrong"}},
            "extra.groups": ["a", "b"],
            "extra": {"groups": "wrong"}
        });
        let a = mapping.attributes(&claims);
        assert_eq!(a["namespaces"], ["ml-prod"]);
        assert_eq!(a["teams"], ["a", "b"]);
        // An escaped path is never also read as the literal key with its backslash.
        let literal = json!({r"kubernetes\.io": {"namespace": "x"}});
        assert!(
            ClaimPath::new(r"kubernetes\.io.namespace")
                .find(&literal)
                .is_none()
        );
    }

    #[test]
    fn a_tenant_is_a_checked_string_or_nothing() {
        let user = || User::new("u", Attributes::new());
        let path = ClaimPath::new(r"org.kubernetes\.io/tenant");
        let tenant = |claims: Value| {
            path.tenant(&claims, user())
                .map(|u| u.tenant().map(str::to_owned))
        };
        assert_eq!(
            tenant(json!({"org": {"kubernetes.io/tenant": " Acme "}})),
            Ok(Some("acme".into()))
        );
        assert_eq!(tenant(json!({"org": {}})), Ok(None));
        assert_eq!(
            tenant(json!({"org": {"kubernetes.io/tenant": null}})),
            Ok(None)
        );
        assert_eq!(
            tenant(json!({"org": {"kubernetes.io/tenant": "  "}})),
            Ok(None)
        );
        for (bad, why) in [
            (json!("acme/../globex"), "may hold only"),
            (json!("x".repeat(129)), "longer than 128"),
            (json!(7), "not a string"),
            (json!(["acme"]), "not a string"),
        ] {
            let claims = json!({"org": {"kubernetes.io/tenant": bad}});
            match tenant(claims) {
                Err(AuthError::Rejected(m)) => {
                    assert!(m.starts_with("Invalid tenant: ") && m.contains(why), "{m}");
                    assert!(!m.contains("globex") && !m.contains("xxxx"), "{m}");
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert_eq!(
            with_tenant(None, &json!({"tenant": "acme"}), user()).map(|u| u.tenant().is_none()),
            Ok(true),
            "no path configured, no tenant"
        );
    }
}
