//! Route lookup on a 200-route table, at the start, middle and end of the
//! table: the time should not depend on the position (llama-stack tries its
//! route regexes one by one).

use std::hint::black_box;
use std::time::Duration;

use auth_runtime::route::{Lookup, RouteTable};
use axum::http::Method;
use criterion::{Criterion, criterion_group, criterion_main};

mod common;

fn lookup(c: &mut Criterion) {
    let entries = common::entries();
    assert_eq!(entries.len(), 200);
    let table = RouteTable::new(entries).expect("no conflicts");
    let mut group = c.benchmark_group("route_lookup_200");
    let cases = [
        ("first_static", Method::GET, "/v1/resource00"),
        ("middle_static", Method::POST, "/v1/resource20"),
        ("last_static", Method::GET, "/v1/resource39"),
        ("first_param", Method::GET, "/v1/resource00/abc"),
        ("last_param", Method::DELETE, "/v1/resource39/abc"),
        (
            "last_two_params",
            Method::GET,
            "/v1/resource39/abc/versions/7",
        ),
        ("not_found", Method::GET, "/v1/nothing/here"),
        ("method_not_allowed", Method::PUT, "/v1/resource39"),
    ];
    for (name, method, path) in cases {
        let found = matches!(table.lookup(&method, path), Lookup::Found { .. });
        assert_eq!(
            found,
            !name.starts_with("not") && !name.starts_with("method"),
            "{name}"
        );
        group.bench_function(name, |b| {
            b.iter(|| match table.lookup(black_box(&method), black_box(path)) {
                Lookup::Found { entry, params } => black_box(entry.line) as usize + params.len(),
                _ => 0,
            })
        });
    }
    group.finish();

    c.bench_function("route_table_build_200", |b| {
        b.iter(|| RouteTable::new(common::entries()).expect("no conflicts"))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = lookup
}
criterion_main!(benches);
