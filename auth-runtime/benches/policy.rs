//! One decision against a 100-rule policy, in the worst case: the first 99
//! rules do not apply and the last one decides (or none does). Target: under
//! a microsecond.

use std::hint::black_box;
use std::time::Duration;

use auth_runtime::User;
use auth_runtime::authz::{AccessPolicy, Action, Resource, RoutePolicy};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

/// 99 rules that miss (other principals, other resources, conditions that do
/// not hold), then one that permits `read` for teammates.
fn access_rules(with_regex: bool) -> Vec<Value> {
    let mut rules: Vec<Value> = (0..99)
        .map(|i| match i % 4 {
            0 => json!({"permit": {"principal": format!("user-{i}"), "actions": ["read", "update"]}}),
            1 => json!({"forbid": {"actions": ["read"], "resource": format!("vector_store::vs-{i}")}}),
            2 => json!({"permit": {"actions": ["read"], "resource": format!("dataset::*")}, "when": format!("user with role-{i} in roles")}),
            _ if with_regex && i == 51 => json!({"permit": {"actions": ["read"], "resource": "regex:model::(mistral|gemma)-[0-9]+$"}, "unless": "user with intern in roles"}),
            _ => json!({"forbid": {"actions": ["delete"]}, "unless": [format!("user with admin-{i} in roles"), "user is owner"]}),
        })
        .collect();
    rules.push(json!({"permit": {"actions": ["read"]}, "when": "user in owners teams", "description": "teammates read"}));
    rules
}

fn route_rules() -> Vec<Value> {
    let mut rules: Vec<Value> = (0..99)
        .map(|i| match i % 3 {
            0 => json!({"permit": {"paths": format!("/v1/area-{i}*")}}),
            1 => json!({"forbid": {"paths": [format!("/v1/exact-{i}"), format!("/v1/other-{i}")]}, "unless": "user with admin in roles"}),
            _ => json!({"permit": {"paths": format!("/v2/x-{i}")}, "when": "user with dev in roles"}),
        })
        .collect();
    rules.push(json!({"permit": {"paths": "/v1/models*"}, "when": "user with user in roles"}));
    rules
}

fn user(principal: &str, attrs: &[(&str, &[&str])]) -> User {
    User::new(
        principal,
        attrs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
            .collect(),
    )
}

fn policy(c: &mut Criterion) {
    let alice = user("alice", &[("roles", &["user"]), ("teams", &["ml"])]);
    let owner = user("bob", &[("teams", &["ml"])]);
    let stranger = user("eve", &[("teams", &["ops"])]);
    let model = Resource::new("model", "llama-3", Some(&owner));
    let mut group = c.benchmark_group("policy_100_rules");
    for (name, with_regex) in [
        ("access_last_rule", false),
        ("access_last_rule_regex_on_the_way", true),
    ] {
        let policy = AccessPolicy::from_values(&access_rules(with_regex)).expect("valid policy");
        let d = policy.decide(Action::Read, &model, Some(&alice));
        assert!(d.allowed && d.rule == Some(99), "{d:?}");
        group.bench_function(name, |b| {
            b.iter(|| {
                policy
                    .decide(
                        black_box(Action::Read),
                        black_box(&model),
                        black_box(Some(&alice)),
                    )
                    .allowed
            })
        });
    }
    let policy = AccessPolicy::from_values(&access_rules(false)).expect("valid policy");
    assert!(!policy.decide(Action::Read, &model, Some(&stranger)).allowed);
    group.bench_function("access_no_match", |b| {
        b.iter(|| {
            policy
                .decide(
                    black_box(Action::Read),
                    black_box(&model),
                    black_box(Some(&stranger)),
                )
                .allowed
        })
    });
    let routes = RoutePolicy::from_values(&route_rules()).expect("valid policy");
    assert_eq!(routes.decide("/v1/models/m1", Some(&alice)).rule, Some(99));
    group.bench_function("route_last_rule", |b| {
        b.iter(|| {
            routes
                .decide(black_box("/v1/models/m1"), black_box(Some(&alice)))
                .allowed
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = policy
}
criterion_main!(benches);
