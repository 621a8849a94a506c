//! Policy loading and one decision: YAML text compiled as a route policy and
//! as an access policy, then one decision of each for a fuzzed caller,
//! action and resource. Decisions are deterministic, name a rule that
//! exists, and without a caller the route policy denies every rule
//! (`decide_for_any_caller` agrees with `decide` where it answers).
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use auth_runtime::authz::{AccessPolicy, Action, Resource, RoutePolicy};
use auth_runtime::{Attributes, User};
use libfuzzer_sys::fuzz_target;

// The input: the policy's YAML, a NUL, then the bytes this is drawn from.
#[derive(Arbitrary, Debug)]
struct Input<'a> {
    principal: &'a str,
    attributes: Vec<(&'a str, Vec<&'a str>)>,
    anonymous: bool,
    action: u8,
    kind: &'a str,
    id: &'a str,
    owner: Option<(&'a str, Vec<(&'a str, Vec<&'a str>)>)>,
    path: &'a str,
}

fn attributes(pairs: &[(&str, Vec<&str>)]) -> Attributes {
    let mut attributes = Attributes::new();
    for (name, values) in pairs {
        attributes
            .entry((*name).to_owned())
            .or_default()
            .extend(values.iter().map(|v| (*v).to_owned()));
    }
    attributes
}

fuzz_target!(|data: &[u8]| {
    let (policy, rest) = split(data);
    let Ok(policy_text) = std::str::from_utf8(policy) else {
        return;
    };
    let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(rest)) else {
        return;
    };
    let user = User::new(input.principal, attributes(&input.attributes));
    let owner = input
        .owner
        .as_ref()
        .map(|(principal, pairs)| User::new(*principal, attributes(pairs)));
    let user = (!input.anonymous).then_some(&user);

    if let Ok(policy) = RoutePolicy::from_yaml(policy_text) {
        let decision = policy.decide(input.path, user);
        assert_eq!(decision, policy.decide(input.path, user));
        if let Some(rule) = decision.rule {
            assert!(rule < policy.rules().len());
        }
        if let Some(any) = policy.decide_for_any_caller(input.path) {
            assert_eq!(any.allowed, decision.allowed);
        }
    }

    if let Ok(policy) = AccessPolicy::from_yaml(policy_text) {
        let action = Action::ALL[usize::from(input.action) % Action::ALL.len()];
        let resource = Resource::new(input.kind, input.id, owner.as_ref());
        let decision = policy.decide(action, &resource, user);
        assert_eq!(decision, policy.decide(action, &resource, user));
        if let Some(rule) = decision.rule {
            assert!(rule < policy.rules().len());
        }
        if user.is_none() {
            assert!(decision.allowed, "authentication off allows, as llama-stack");
        }
    }
});

fn split(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[]),
    }
}
