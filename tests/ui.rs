//! Compile-fail and pass cases for `#[webmethod]`: every mistake in an
//! annotation is a compile error on the offending token.
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test --test ui`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
