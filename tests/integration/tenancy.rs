//! Tenants partition resources (DESIGN.md "Tenancy", ogx's tenant scope in
//! LLAMA-STACK-SEMANTICS.md): a resource whose owner is in another tenant
//! than the user is denied before any rule, and the owner conditions are
//! false across tenants. Checked against a reference written from the
//! semantics' text, on every combination of tenants, principals and shared
//! attributes.

use auth_runtime::User;
use auth_runtime::authz::{AccessPolicy, Action, Basis, Resource};

/// `yaml` written to `<name>.yaml` in this run's scratch folder.
fn write_config(name: &str, yaml: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("webmethod-tenancy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, yaml).unwrap();
    path
}

fn user(principal: &str, team: &str, tenant: Option<&str>) -> User {
    let user = User::new(
        principal,
        [("teams".to_owned(), vec![team.to_owned()])].into(),
    );
    match tenant {
        Some(t) => user.with_tenant(t).unwrap(),
        None => user,
    }
}

fn policy(condition: &str) -> AccessPolicy {
    AccessPolicy::from_yaml(&format!(
        "- permit: {{actions: [read]}}\n  when: {condition}\n"
    ))
    .unwrap()
}

/// The semantics' text, as written: `mismatch` only when both have a
/// tenant and they differ; then every owner condition is false.
fn reference(condition: &str, owner: Option<&User>, user: &User) -> bool {
    let mismatch = matches!(
        (owner.and_then(User::tenant), user.tenant()),
        (Some(o), Some(u)) if o != u
    );
    if mismatch {
        return false; // denied before any rule
    }
    let same = owner.is_some_and(|o| o.principal == user.principal);
    let shares = owner.is_some_and(|o| {
        o.attribute("teams")
            .iter()
            .any(|t| user.attribute("teams").contains(t))
    });
    match condition {
        "user is owner" => same,
        "user is not owner" => !same,
        "user in owners teams" => shares,
        "user not in owners teams" => !shares,
        "resource is unowned" => owner.is_none(),
        other => panic!("{other}"),
    }
}

#[test]
fn owner_conditions_are_tenant_aware_on_every_combination() {
    let tenants = [None, Some("acme"), Some("globex")];
    let conditions = [
        "user is owner",
        "user is not owner",
        "user in owners teams",
        "user not in owners teams",
        "resource is unowned",
    ];
    let mut checked = 0;
    for condition in conditions {
        let policy = policy(condition);
        for owner_tenant in tenants {
            for user_tenant in tenants {
                for (owner_name, owner_team) in [("alice", "ml"), ("bob", "ml"), ("bob", "ops")] {
                    let caller = user("alice", "ml", user_tenant);
                    let owner = user(owner_name, owner_team, owner_tenant);
                    for owner in [Some(&owner), None] {
                        let resource = Resource::new("model", "m1", owner);
                        let decision = policy.decide(Action::Read, &resource, Some(&caller));
                        assert_eq!(
                            decision.allowed,
                            reference(condition, owner, &caller),
                            "{condition}: owner {owner:?}, user {caller:?}"
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 5 * 3 * 3 * 3 * 2);
}

/// The issue's case: two customers' admins, a policy that lets a role read
/// what its owners' role may: each reads their own tenant's models only,
/// and the other's are denied before any rule, saying why.
#[test]
fn an_admin_of_one_tenant_reads_nothing_of_another() {
    let policy =
        AccessPolicy::from_yaml("- permit: {actions: [read]}\n  when: user in owners roles\n")
            .unwrap();
    let admin = |name: &str, tenant: &str| {
        User::new(
            name,
            [("roles".to_owned(), vec!["admin".to_owned()])].into(),
        )
        .with_tenant(tenant)
        .unwrap()
    };
    let (acme, globex) = (admin("ann", "acme"), admin("gus", "globex"));
    let acme_model = Resource::new("model", "acme-model", Some(&acme));
    let globex_model = Resource::new("model", "globex-model", Some(&globex));

    assert!(
        policy
            .decide(Action::Read, &acme_model, Some(&acme))
            .allowed
    );
    let crossed = policy.decide(Action::Read, &globex_model, Some(&acme));
    assert!(!crossed.allowed);
    assert_eq!(crossed.basis, Basis::TenantMismatch);
    assert_eq!(crossed.rule, None);
    assert_eq!(crossed.reason(), "denied: tenant scope mismatch");
    // A permit-everything rule does not reach across tenants either.
    let open = AccessPolicy::from_yaml("- permit: {actions: [read]}\n").unwrap();
    assert!(
        !open
            .decide(Action::Read, &globex_model, Some(&acme))
            .allowed
    );
    // Without tenants on either side, nothing changes.
    let plain = User::new(
        "ann",
        [("roles".to_owned(), vec!["admin".to_owned()])].into(),
    );
    assert!(
        policy
            .decide(Action::Read, &globex_model, Some(&plain))
            .allowed
    );
    // Authentication off: no user, everything allowed, as before.
    assert!(policy.decide(Action::Read, &globex_model, None).allowed);
}

#[test]
fn tenant_ids_are_trimmed_lower_cased_and_checked() {
    let with = |raw: &str| User::new("u", Default::default()).with_tenant(raw);
    assert_eq!(with("  Acme-1 ").unwrap().tenant(), Some("acme-1"));
    assert_eq!(with("a_b").unwrap().tenant(), Some("a_b"));
    assert_eq!(with("   ").unwrap().tenant(), None);
    assert_eq!(
        with(&"a".repeat(128)).unwrap().tenant().map(str::len),
        Some(128)
    );
    for bad in ["-acme", "_acme", "ac me", "acme/x", "ácme", "a.b"] {
        let error = with(bad).expect_err(bad);
        assert!(!error.to_string().contains(bad.trim()), "{error}");
    }
    assert!(with(&"a".repeat(129)).is_err());
}

/// An owner stored by the app (serialized) keeps its tenant.
#[test]
fn a_stored_owner_keeps_its_tenant() {
    let owner = user("alice", "ml", Some("acme"));
    let stored = serde_json::to_string(&owner).unwrap();
    let back: User = serde_json::from_str(&stored).unwrap();
    assert_eq!(back.tenant(), Some("acme"));
    let untenanted = serde_json::to_value(user("bob", "ml", None)).unwrap();
    assert!(untenanted.get("tenant").is_none(), "{untenanted}");
}

// ---- server.tenancy and api_keys tenants, through the demo server ----

mod modes {
    use std::process::Command;

    use serde_json::Value;

    use crate::demo_server::{Server, refused_start, server_binary};

    /// A config file with two API keys of two tenants, one without, and
    /// `tenancy` as given (the demo's routes and access policy otherwise).
    fn config(name: &str, tenancy: &str) -> std::path::PathBuf {
        super::write_config(
            name,
            &format!(
                "server:\n{tenancy}  auth:\n    provider_config:\n      type: api_keys\n      keys:\n        - {{key: acme-key, principal: ann, attributes: {{roles: [admin], scopes: [models.read]}}, tenant: ' Acme '}}\n        - {{key: globex-key, principal: gus, attributes: {{roles: [admin], scopes: [models.read]}}, tenant: globex}}\n        - {{key: loose-key, principal: lou, attributes: {{roles: [admin], scopes: [models.read]}}}}\n"
            ),
        )
    }

    async fn get(server: &Server, path: &str, key: Option<&str>) -> (u16, Value, Option<String>) {
        let mut request = reqwest::Client::new().get(server.url(path));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let challenge = response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body, challenge)
    }

    #[tokio::test]
    async fn disabled_keeps_each_keys_tenant_and_whoami_says_it() {
        let path = config("disabled", "");
        let server = Server::start(&["--config", path.to_str().unwrap()]);
        let (status, body, _) = get(&server, "/v1/whoami", Some("acme-key")).await;
        assert_eq!(status, 200);
        assert_eq!(body["tenant"], "acme", "{body}");
        let (_, body, _) = get(&server, "/v1/whoami", Some("loose-key")).await;
        assert!(body.get("tenant").is_none(), "{body}");
    }

    #[tokio::test]
    async fn single_puts_every_caller_in_the_default_tenant() {
        let path = config(
            "single",
            "  tenancy: {mode: single, default_tenant_id: Initech}\n",
        );
        let server = Server::start(&["--config", path.to_str().unwrap()]);
        for key in ["acme-key", "globex-key", "loose-key"] {
            let (status, body, _) = get(&server, "/v1/whoami", Some(key)).await;
            assert_eq!(status, 200);
            assert_eq!(body["tenant"], "initech", "{key}: {body}");
        }
    }

    #[tokio::test]
    async fn multi_refuses_a_protected_caller_without_a_tenant_and_never_a_public_route() {
        let path = config("multi", "  tenancy: {mode: multi}\n");
        let server = Server::start(&["--config", path.to_str().unwrap()]);
        let (status, body, challenge) = get(&server, "/v1/models", Some("loose-key")).await;
        assert_eq!(status, 401);
        assert_eq!(
            body,
            serde_json::json!({"error": {"message": "Tenant context required but not resolved from authentication"}})
        );
        assert!(challenge.is_some_and(|c| c.starts_with("Bearer")));
        let (status, _, _) = get(&server, "/v1/models", Some("acme-key")).await;
        assert_eq!(status, 200);
        // Public routes: never refused for a missing tenant, with a token or without.
        for key in [Some("loose-key"), None] {
            let (status, body, _) = get(&server, "/v1/health", key).await;
            assert_eq!(status, 200, "{key:?}: {body}");
        }
    }

    /// `multi` with a provider that has no tenant source: a startup
    /// warning naming it (every protected request will be refused).
    #[test]
    fn multi_warns_of_a_provider_without_a_tenant_source() {
        let path = super::write_config(
            "multi-warn",
            "server:\n  tenancy: {mode: multi}\n  auth:\n    providers:\n      - {name: gateway, type: custom, endpoint: 'http://127.0.0.1:9/auth'}\n      - {name: keys, type: api_keys, keys: [{key: k, principal: p, tenant: acme}]}\n",
        );
        let out = Command::new(server_binary())
            .args(["policy", "check", "--config", path.to_str().unwrap()])
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("provider `gateway`"), "{text}");
        assert!(text.contains("no tenant source"), "{text}");
        assert!(!text.contains("provider `keys`"), "{text}");
    }

    #[test]
    fn a_bad_tenancy_config_names_the_field_and_stops_the_start() {
        for (name, tenancy, field) in [
            (
                "mode",
                "  tenancy: {mode: several}\n",
                "server.tenancy.mode",
            ),
            (
                "nodefault",
                "  tenancy: {mode: single}\n",
                "server.tenancy.default_tenant_id",
            ),
            (
                "baddefault",
                "  tenancy: {mode: single, default_tenant_id: 'a b'}\n",
                "server.tenancy.default_tenant_id",
            ),
        ] {
            let stderr = refused_start(&config(name, tenancy));
            assert!(stderr.contains(field), "{name}: {stderr}");
        }
        // A key's tenant of the wrong shape: named, never repeated.
        let path = super::write_config(
            "badkey",
            "server:\n  auth:\n    provider_config:\n      type: api_keys\n      keys:\n        - {key: k, principal: p, tenant: 'no/slash'}\n",
        );
        let stderr = refused_start(&path);
        assert!(
            stderr.contains("server.auth.provider_config.keys[0].tenant"),
            "{stderr}"
        );
        assert!(!stderr.contains("no/slash"), "{stderr}");
    }
}

/// The demo answers another tenant's model as a model that does not exist
/// (the same status and bytes), and an ordinary denial stays a 403.
mod hidden {
    use crate::demo_server::Server;

    #[tokio::test]
    async fn another_tenants_model_is_not_found_and_an_ordinary_denial_is_403() {
        let key = |key: &str, principal: &str, role: &str, tenant: &str| {
            format!(
                "        - {{key: {key}, principal: {principal}, attributes: {{roles: [{role}], scopes: [models.read, models.write]}}, tenant: {tenant}}}\n"
            )
        };
        let path = super::write_config(
            "hidden",
            &format!(
                "server:\n  auth:\n    provider_config:\n      type: api_keys\n      keys:\n{}{}{}",
                key("acme-admin", "ann", "admin", "acme"),
                key("acme-viewer", "vic", "viewer", "acme"),
                key("globex-admin", "gus", "admin", "globex"),
            ),
        );
        let server = Server::start(&["--config", path.to_str().unwrap()]);
        let client = reqwest::Client::new();
        let created = client
            .post(server.url("/v1/models"))
            .bearer_auth("acme-admin")
            .json(&serde_json::json!({"model_id": "m1"}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 200);
        // The model records its owner with the owner's tenant (the answers
        // below depend on it); its JSON names the owner's principal only.
        let created: serde_json::Value = created.json().await.unwrap();
        assert_eq!(created["owner"], "ann", "{created}");

        let answer = |method: reqwest::Method, id: &'static str, key: &'static str| {
            let request = client
                .request(method, server.url(&format!("/v1/models/{id}")))
                .bearer_auth(key);
            async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let kind = response.headers().get("content-type").cloned();
                (status, kind, response.bytes().await.unwrap())
            }
        };
        // Another tenant: exactly a missing model's answer.
        for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
            let hidden = answer(method.clone(), "m1", "globex-admin").await;
            let missing = answer(method.clone(), "m2", "globex-admin").await;
            assert_eq!(hidden.0, 404, "{method}");
            assert_eq!((hidden.0, &hidden.1), (missing.0, &missing.1), "{method}");
            assert_eq!(
                String::from_utf8_lossy(&hidden.2).replace("m1", "m2"),
                String::from_utf8_lossy(&missing.2),
                "{method}"
            );
            assert_eq!(
                &hidden.2[..],
                br#"{"error":{"message":"model 'm1' not found"}}"#
            );
        }
        // The same tenant, no permission: the ordinary 403.
        let denied = answer(reqwest::Method::GET, "m1", "acme-viewer").await;
        assert_eq!(denied.0, 403, "{:?}", denied.2);
        // The owner reads it; the other tenant's list leaves it out.
        assert_eq!(
            answer(reqwest::Method::GET, "m1", "acme-admin").await.0,
            200
        );
        let list: serde_json::Value = client
            .get(server.url("/v1/models"))
            .bearer_auth("globex-admin")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            list["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["identifier"] != "m1"),
            "{list}"
        );
    }
}
