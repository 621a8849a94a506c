//! `${env.NAME}`, `${env.NAME:=default}` and `${env.NAME:+value}` in config
//! strings, as llama-stack substitutes them. Done on parsed values, so a secret
//! holding YAML syntax cannot change the document's structure.

use serde_json::Value;

use super::error::ConfigError;

/// Replaces every placeholder in every string of `value`. `path` names the
/// value for errors. A string that was one placeholder and came out empty
/// becomes null, so `${env.X:=}` leaves an optional field unset, except in a
/// field that changes security ([`changes_security`]): there it is refused,
/// as a literal `""` is, naming the field and the variable. An unset
/// variable must never switch TLS, an issuer check or a policy off.
pub(super) fn substitute(
    value: &mut Value,
    path: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    match value {
        Value::String(s) if s.contains("${env.") => {
            let whole = s.starts_with("${env.") && s.ends_with('}') && s.matches("${").count() == 1;
            let out = expand(s, path, lookup)?;
            *value = if whole && out.is_empty() {
                if changes_security(path) {
                    let name = s["${env.".len()..]
                        .split([':', '}'])
                        .next()
                        .unwrap_or_default();
                    let what = if path.ends_with("provider_config") || path.ends_with(']') {
                        " (a provider config needs at least its `type`)"
                    } else {
                        ""
                    };
                    return Err(ConfigError::field(
                        path,
                        format!(
                            "is empty: {s} gave an empty value ({name} is unset or empty); an empty value is refused in this field{what}, as a literal \"\" is, because leaving it out would change security: set {name}, or remove the field from the config"
                        ),
                    ));
                }
                Value::Null
            } else {
                Value::String(out)
            };
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                substitute(item, &format!("{path}[{i}]"), lookup)?;
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                substitute(item, &child, lookup)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Whether leaving the field at `path` out changes what the server lets
/// through: the TLS files, everything under `server.auth` (providers and
/// their issuer, audience, `typ`, CA file, keys; the policies; the decision
/// log) and under `server.quota`. README "Configuration" lists them.
pub(crate) fn changes_security(path: &str) -> bool {
    const FIELDS: &[&str] = &[
        "server.tls_certfile",
        "server.tls_keyfile",
        "server.tls_cafile",
    ];
    const SECTIONS: &[&str] = &["server.auth", "server.quota"];
    FIELDS.contains(&path)
        || SECTIONS.iter().any(|section| {
            path.strip_prefix(section)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        })
}

fn expand(
    input: &str,
    path: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(start) = rest.find("${env.") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "${env.".len()..];
        let Some(end) = after.find('}') else {
            return Err(ConfigError::field(
                path,
                format!("unterminated `${{env.` placeholder in {input:?}"),
            ));
        };
        let spec = &after[..end];
        let (name, op, arg) = match spec.find(":=").or_else(|| spec.find(":+")) {
            Some(i) => (&spec[..i], &spec[i..i + 2], &spec[i + 2..]),
            None => (spec, "", ""),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(ConfigError::field(
                path,
                format!("invalid environment variable name {name:?}"),
            ));
        }
        let found = lookup(name).filter(|v| !v.is_empty());
        match (op, found) {
            ("", Some(v)) | (":=", Some(v)) => out.push_str(&v),
            (":=", None) => out.push_str(arg),
            (":+", Some(_)) => out.push_str(arg),
            (":+", None) => {}
            (_, None) => {
                return Err(ConfigError::field(
                    path,
                    format!(
                        "environment variable {name} is not set (write `${{env.{name}:=default}}` for a default)"
                    ),
                ));
            }
            _ => unreachable!("op is one of \"\", \":=\", \":+\""),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(name: &str) -> Option<String> {
        match name {
            "SECRET" => Some("s3: {cr}et".into()),
            "PORT" => Some("9000".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn run(mut v: Value) -> Result<Value, ConfigError> {
        substitute(&mut v, "", &env).map(|()| v)
    }

    #[test]
    fn substitutes_in_place() {
        let v = run(json!({"a": "${env.SECRET}", "b": ["x-${env.PORT}-y"], "c": 3})).unwrap();
        assert_eq!(v, json!({"a": "s3: {cr}et", "b": ["x-9000-y"], "c": 3}));
        let v =
            run(json!({"p": "${env.NOPE:=8321}", "q": "${env.EMPTY:=d}", "r": "${env.NOPE:=}"}))
                .unwrap();
        assert_eq!(v, json!({"p": "8321", "q": "d", "r": null}));
        let v = run(json!({"on": "${env.PORT:+yes}", "off": "${env.NOPE:+yes}"})).unwrap();
        assert_eq!(v, json!({"on": "yes", "off": null}));
    }

    #[test]
    fn an_empty_security_field_is_refused_naming_field_and_variable() {
        for field in [
            "server.tls_certfile",
            "server.tls_keyfile",
            "server.tls_cafile",
            "server.auth",
            "server.auth.provider_config.issuer",
            "server.auth.providers[1].typ",
            "server.auth.access_policy[0].when",
            "server.auth.decision_log.path",
            "server.quota",
            "server.quota.anonymous_max_requests",
        ] {
            for placeholder in ["${env.NOPE:=}", "${env.EMPTY}", "${env.NOPE:+x}"] {
                let mut v = Value::String(placeholder.into());
                let err = substitute(&mut v, field, &env).unwrap_err();
                assert_eq!(err.path(), Some(field));
                let name = if placeholder.contains("EMPTY") {
                    "EMPTY"
                } else {
                    "NOPE"
                };
                assert!(err.to_string().contains(name), "{err}");
            }
        }
        // Elsewhere the field is left unset, as before.
        for field in [
            "server.port",
            "server.host",
            "server.authx",
            "server.quotas.x",
        ] {
            let mut v = Value::String("${env.NOPE:=}".into());
            substitute(&mut v, field, &env).unwrap();
            assert_eq!(v, Value::Null, "{field}");
        }
        // A placeholder inside a longer value is not the whole value.
        let mut v = Value::String("https://idp${env.NOPE:=}".into());
        substitute(&mut v, "server.auth.provider_config.issuer", &env).unwrap();
        assert_eq!(v, json!("https://idp"));
    }

    #[test]
    fn unset_variable_names_field_and_variable() {
        let err = run(json!({"server": {"auth": {"key": "${env.MISSING}"}}}))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("server.auth.key") && err.contains("MISSING"),
            "{err}"
        );
        let err = run(json!({"k": ["${env.BAD NAME}"]}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("k[0]"), "{err}");
        assert!(run(json!({"k": "${env.X"})).is_err());
    }
}
