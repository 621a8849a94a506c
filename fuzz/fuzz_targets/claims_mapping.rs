//! Claims mapping and claim times: any JSON claims against a fuzzed
//! `claim -> attribute` mapping. Attributes come only from mapped claims;
//! `exp`-style times are in range or refused, never a panic.
#![no_main]

use std::collections::BTreeMap;

use auth_runtime::fuzzing::{ClaimsMapping, expiry};
use libfuzzer_sys::fuzz_target;

// The input: `claim=attribute` lines, a NUL, then the claims as JSON.
fuzz_target!(|data: &[u8]| {
    let Ok(data) = std::str::from_utf8(data) else {
        return;
    };
    let (lines, claims) = data.split_once('\0').unwrap_or(("", data));
    let mapping: BTreeMap<String, String> = lines
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(claim, attribute)| (claim.to_owned(), attribute.to_owned()))
        .collect();
    let Ok(claims) = serde_json::from_str::<serde_json::Value>(claims) else {
        return;
    };
    let attributes = ClaimsMapping::new(&mapping).attributes(&claims);
    for name in attributes.keys() {
        assert!(mapping.values().any(|a| a == name), "{name} is not mapped to");
    }
    for name in ["exp", "nbf", "iat"] {
        for leeway in [0, 30, u64::MAX] {
            let _ = expiry(&claims, name, leeway);
        }
    }
});
