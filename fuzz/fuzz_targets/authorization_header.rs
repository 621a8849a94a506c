//! The `Authorization` header parser: any bytes a client can send as one or
//! two header values. A token it hands on is printable ASCII, non-empty, and
//! follows the `Bearer` scheme and its spaces.
#![no_main]

use auth_runtime::fuzzing::{Credentials, credentials};
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A NUL separates two header values; without one there is one value.
    let values: Vec<&[u8]> = data.splitn(2, |b| *b == 0).collect();
    let mut headers = HeaderMap::new();
    for value in &values {
        // What hyper would refuse never reaches the parser.
        let Ok(value) = HeaderValue::from_bytes(value) else {
            return;
        };
        headers.append(AUTHORIZATION, value);
    }
    match credentials(&headers) {
        Credentials::Bearer(token) => {
            assert_eq!(values.len(), 1, "two headers must be malformed");
            assert!(!token.is_empty());
            assert!(token.bytes().all(|b| b.is_ascii_graphic()));
            let value = values[0];
            assert!(value.len() > 7 && value[..6].eq_ignore_ascii_case(b"bearer"));
            let gap = &value[6..value.len() - token.len()];
            assert!(!gap.is_empty() && gap.iter().all(|b| *b == b' '));
            assert!(value.ends_with(token.as_bytes()));
        }
        Credentials::Missing => panic!("a header was sent"),
        Credentials::Malformed => {}
    }
});
