//! The router being served, swapped whole on reload.

use std::sync::Arc;

use axum::Router;

/// The router requests are served by, swapped whole on reload: each request
/// takes the router current when it arrives and finishes with it.
#[derive(Clone)]
pub struct Routers(Arc<arc_swap::ArcSwap<Router>>);

impl Routers {
    /// Serves `router` until the next [`swap`](Self::swap).
    pub fn new(router: Router) -> Routers {
        Routers(Arc::new(arc_swap::ArcSwap::from_pointee(router)))
    }

    /// The router current now, for one request.
    #[inline]
    pub(super) fn current(&self) -> Router {
        Router::clone(&self.0.load())
    }

    /// Serves `router` from the next request on.
    pub fn swap(&self, router: Router) {
        self.0.store(Arc::new(router));
    }
}

impl tower::Service<axum::extract::Request> for Routers {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = <Router as tower::Service<axum::extract::Request>>::Future;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        // A Router is always ready.
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::extract::Request) -> Self::Future {
        let mut router = self.current();
        tower::Service::call(&mut router, request)
    }
}
