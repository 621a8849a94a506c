//! Tenants partition resources (DESIGN.md "Tenancy", ogx's tenant scope in
//! LLAMA-STACK-SEMANTICS.md): a resource whose owner is in another tenant
//! than the user is denied before any rule, and the owner conditions are
//! false across tenants. Checked against a reference written from the
//! semantics' text, on every combination of tenants, principals and shared
//! attributes.

use auth_runtime::User;
use auth_runtime::authz::{AccessPolicy, Action, Basis, Resource};

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

/// The case: two customers' admins, a policy that lets a role read
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
