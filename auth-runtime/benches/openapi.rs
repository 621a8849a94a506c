//! Making the OpenAPI document of a 200-route registry (schemas, security,
//! the pipeline's responses): done once at startup or by `openapi`, never
//! per request.

use std::hint::black_box;
use std::time::Duration;

use auth_runtime::Settings;
use auth_runtime::openapi::{Info, OpenApi};
use criterion::{Criterion, criterion_group, criterion_main};

mod common;

const CONFIG: &str = "
server:
  auth:
    provider_config:
      type: api_keys
      keys: [{key: k, principal: p}]
    route_policy:
      - permit: {paths: \"*\"}
  quota:
    kvstore: {type: memory}
    anonymous_max_requests: 10
    authenticated_max_requests: 100
    period: day
";

fn generate(c: &mut Criterion) {
    let table = auth_runtime::route::RouteTable::new(common::entries()).expect("no conflicts");
    let settings = Settings::parse(CONFIG, "bench", &|_| None).expect("a valid config");
    let info = Info::new("bench", "1");
    let api = OpenApi::generate(&table, &settings, false, &info);
    eprintln!(
        "200 routes: document of {} bytes (pretty JSON), {} paths",
        api.to_json().len(),
        api.document["paths"].as_object().map_or(0, |p| p.len())
    );
    let mut group = c.benchmark_group("openapi_200_routes");
    group.bench_function("generate", |b| {
        b.iter(|| OpenApi::generate(black_box(&table), &settings, false, &info))
    });
    group.bench_function("generate_and_serialize", |b| {
        b.iter(|| {
            OpenApi::generate(black_box(&table), &settings, false, &info)
                .to_json()
                .len()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    targets = generate
}
criterion_main!(benches);
