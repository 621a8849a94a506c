//! A provider's config error names the whole field path, among several
//! providers (`server.auth.providers[1].jwks.uri`) and alone
//! (`server.auth.provider_config.jwks.uri`): the errors found when the config
//! is checked and those found when the providers are built (a CA file that
//! cannot be read, one key twice), through the library and through the demo
//! server's start.

use std::path::PathBuf;

use auth_runtime::Errors;
use auth_runtime::Security;
use auth_runtime::Settings;
use auth_runtime::config::{Config, ConfigError};

use crate::demo_server::refused_start;

/// A fresh directory for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "webmethod-config-paths-{test}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn config(yaml: &str) -> Config {
    Config::parse(yaml, "run.yaml", &|_| None).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

/// `(path, whole message)` of each error, in order.
fn located(errors: &Errors<ConfigError>) -> Vec<(String, String)> {
    errors
        .iter()
        .map(|e| (e.path().unwrap_or("<none>").to_owned(), e.to_string()))
        .collect()
}

/// The errors of building the security `yaml` describes (checked, then
/// the providers built).
fn build_errors(yaml: &str) -> Vec<(String, String)> {
    match Security::from_config(&config(yaml)) {
        Ok(_) => panic!("built:\n{yaml}"),
        Err(errors) => located(&errors),
    }
}

/// Checked only: each provider config's values.
#[test]
fn checks_name_the_whole_path_alone_and_among_several() {
    let api_keys = "{type: api_keys, keys: [{key: k, principal: p}]}";
    let cases = [
        (
            "{type: oauth2_token, issuer: 'https://a', jwks: {uri: 'not a url'}}",
            "jwks.uri",
        ),
        (
            "{type: oauth2_token, issuer: 'https://a', jwks: {uri: 'https://a/jwks', key_recheck_period: 0}}",
            "jwks.key_recheck_period",
        ),
        (
            "{type: oauth2_token, issuer: 'https://a', introspection: {url: 'ftp://a/i', client_id: c, client_secret: s}}",
            "introspection.url",
        ),
        (
            "{type: oauth2_token, issuer: 'https://a', tls_cafile: ''}",
            "tls_cafile",
        ),
        ("{type: github_token, timeout: 0}", "timeout"),
        (
            "{type: kubernetes, api_server_url: 'k8s.local'}",
            "api_server_url",
        ),
        ("{type: custom, endpoint: 'ftp://x'}", "endpoint"),
        (
            "{type: api_keys, keys: [{key: 'a b', principal: p}]}",
            "keys[0].key",
        ),
    ];
    for (provider, field) in cases {
        let alone = format!("server:\n  auth:\n    provider_config: {provider}\n");
        let several =
            format!("server:\n  auth:\n    providers:\n      - {api_keys}\n      - {provider}\n");
        for (yaml, path) in [
            (alone, format!("server.auth.provider_config.{field}")),
            (several, format!("server.auth.providers[1].{field}")),
        ] {
            let errors = match Settings::from_config(&config(&yaml)) {
                Ok(_) => panic!("checked:\n{yaml}"),
                Err(errors) => located(&errors),
            };
            assert_eq!(errors.len(), 1, "{yaml}\n{errors:#?}");
            assert_eq!(errors[0].0, path, "{yaml}\n{errors:#?}");
            assert!(
                errors[0].1.starts_with(&format!("config field `{path}`: ")),
                "{errors:#?}"
            );
        }
    }
}

/// Found when the providers are built: a CA file that cannot be read or
/// holds no certificate, one key twice in one provider. Every provider's
/// error is reported, each at its own path.
#[test]
fn build_errors_name_the_whole_path_of_each_provider() {
    let dir = scratch("build");
    let missing = dir.join("missing.pem");
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let yaml = format!(
        "server:\n  auth:\n    providers:\n      \
         - {{type: api_keys, keys: [{{key: k, principal: p}}]}}\n      \
         - {{type: kubernetes, name: cluster, tls_cafile: '{}'}}\n      \
         - {{type: github_token, tls_cafile: '{}'}}\n      \
         - {{type: api_keys, name: more, keys: [{{key: twice, principal: a}}, {{key: twice, principal: b}}]}}\n",
        missing.display(),
        empty.display()
    );
    let errors = build_errors(&yaml);
    let paths: Vec<&str> = errors.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "server.auth.providers[1].tls_cafile",
            "server.auth.providers[2].tls_cafile",
            "server.auth.providers[3].keys[1]",
        ],
        "{errors:#?}"
    );
    assert!(
        errors[0].1.contains("cannot read tls_cafile"),
        "{errors:#?}"
    );
    assert!(errors[0].1.contains("missing.pem"), "{errors:#?}");
    assert!(errors[1].1.contains("empty.pem"), "{errors:#?}");
    // The other key is named by its whole path too.
    assert!(
        errors[2]
            .1
            .ends_with("the same key as server.auth.providers[3].keys[0]"),
        "{errors:#?}"
    );

    // Alone, the same errors at `provider_config`.
    let alone = format!(
        "server:\n  auth:\n    provider_config: {{type: kubernetes, tls_cafile: '{}'}}\n",
        missing.display()
    );
    let errors = build_errors(&alone);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].0, "server.auth.provider_config.tls_cafile");
    let errors = build_errors(
        "server:\n  auth:\n    provider_config: {type: api_keys, keys: [{key: twice, principal: a}, {key: twice, principal: b}]}\n",
    );
    assert_eq!(
        errors,
        [(
            "server.auth.provider_config.keys[1]".to_owned(),
            "config field `server.auth.provider_config.keys[1]`: the same key as server.auth.provider_config.keys[0]"
                .to_owned()
        )]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `serve` refuses to start, each line naming the whole path.
#[test]
fn the_server_refuses_to_start_naming_the_whole_path() {
    let dir = scratch("serve");
    let config = dir.join("run.yaml");
    std::fs::write(
        &config,
        format!(
            "server:\n  auth:\n    providers:\n      \
             - {{type: api_keys, keys: [{{key: k, principal: p}}]}}\n      \
             - {{type: github_token, tls_cafile: '{}'}}\n",
            dir.join("missing.pem").display()
        ),
    )
    .unwrap();
    let stderr = refused_start(&config);
    assert!(
        stderr.contains(
            "error: config field `server.auth.providers[1].tls_cafile`: cannot read tls_cafile"
        ),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
