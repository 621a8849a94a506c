//! One request through the router, in process: a bare axum router with the same
//! 200 routes against the webmethod router without guards and with a no-op
//! guard. Read the ratios, not the absolute numbers.

use std::time::Duration;

use async_trait::async_trait;
use auth_runtime::{Guard, RouterBuilder, Target};
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use axum::routing::{MethodRouter, on};
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;

mod common;

struct Allow;

#[async_trait]
impl Guard for Allow {
    async fn check(&self, _: Target, _: &mut Request) -> Result<(), Response> {
        Ok(())
    }
}

async fn handler() -> &'static str {
    "ok"
}

fn bare_axum() -> Router {
    let mut router = Router::new();
    let entries = common::entries();
    let mut i = 0;
    while i < entries.len() {
        let path = entries[i].path;
        let mut mr: MethodRouter = MethodRouter::new();
        while i < entries.len() && entries[i].path == path {
            mr = mr.merge(on(entries[i].method.filter(), handler));
            i += 1;
        }
        router = router.route(path, mr);
    }
    router
}

fn request(path: &str) -> Request {
    Request::builder()
        .uri(path)
        .body(Body::empty())
        .expect("valid request")
}

fn router(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let routers = [
        ("bare_axum", bare_axum()),
        (
            "webmethod_no_guard",
            RouterBuilder::new()
                .entries(common::entries())
                .build()
                .expect("builds")
                .router,
        ),
        (
            "webmethod_one_guard",
            RouterBuilder::new()
                .entries(common::entries())
                .guard(Allow)
                .build()
                .expect("builds")
                .router,
        ),
    ];
    let mut group = c.benchmark_group("request_200_routes");
    for (name, router) in routers {
        group.bench_function(name, |b| {
            b.to_async(&rt).iter(|| {
                let router = router.clone();
                async move {
                    let response = router
                        .oneshot(request("/v1/resource39/abc"))
                        .await
                        .expect("infallible");
                    assert!(response.status().is_success());
                    response
                }
            })
        });
    }
    group.finish();

    c.bench_function("router_build_200", |b| {
        b.iter(|| {
            RouterBuilder::new()
                .entries(common::entries())
                .guard(Allow)
                .build()
                .expect("builds")
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = router
}
criterion_main!(benches);
