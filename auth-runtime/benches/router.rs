//! One request through the router, in process, on a 200-route app: a bare
//! axum router with the same routes, the same with a `from_fn` middleware
//! (what a hand-written axum auth layer costs), and the webmethod router with
//! no guard, one no-op guard, and the real stack of an `api_keys` config
//! (authentication + scope check). Every request carries the same bearer
//! token. Read the ratios to `bare_axum`, not the absolute numbers.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use auth_runtime::config::Config;
use auth_runtime::{Guard, RouterBuilder, Security, Target};
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::{self, Next};
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

async fn pass_through(request: Request, next: Next) -> Response {
    next.run(request).await
}

/// The security of an `api_keys` config with one key.
fn api_key_security() -> Security {
    let yaml = "server:\n  auth:\n    provider_config:\n      type: api_keys\n      keys:\n        - key: bench-key\n          principal: bench\n          attributes: {scopes: [s]}\n";
    let config = Config::parse(yaml, "bench", &|_| None).expect("valid config");
    Security::from_config(&config).expect("valid config")
}

fn webmethod(security: Security, guards: Vec<Arc<dyn Guard>>) -> Router {
    RouterBuilder::new()
        .entries(common::entries())
        .security(security)
        .guards(guards)
        .build()
        .expect("builds")
        .router
}

fn request() -> Request {
    Request::builder()
        .uri("/v1/resource39/abc")
        .header("authorization", "Bearer bench-key")
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
            "bare_axum_from_fn",
            bare_axum().route_layer(middleware::from_fn(pass_through)),
        ),
        ("webmethod_no_guard", webmethod(Security::off(), Vec::new())),
        (
            "webmethod_noop_guard",
            webmethod(Security::off(), vec![Arc::new(Allow)]),
        ),
        (
            "webmethod_api_key_auth",
            webmethod(api_key_security(), Vec::new()),
        ),
    ];
    let mut group = c.benchmark_group("request_200_routes");
    for (name, router) in routers {
        group.bench_function(name, |b| {
            b.to_async(&rt).iter(|| {
                let router = router.clone();
                async move {
                    let response = router.oneshot(request()).await.expect("infallible");
                    assert!(response.status().is_success());
                    response
                }
            })
        });
    }
    group.finish();

    c.bench_function("router_build_200", |b| {
        b.iter(|| webmethod(api_key_security(), Vec::new()))
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
