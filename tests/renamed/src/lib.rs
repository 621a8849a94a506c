//! A crate that depends on `auth-runtime` under another name
//! (`webmethod_rt = { package = "auth-runtime" }`): the code `#[webmethod]`
//! generates must still find the runtime.

use axum::extract::State;
use webmethod_rt::webmethod;

#[derive(Clone)]
pub struct Greeting(pub &'static str);

#[webmethod(
    route = "/hello",
    method = "GET",
    level = "v1",
    require_authentication = false
)]
pub async fn hello(State(greeting): State<Greeting>) -> &'static str {
    greeting.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use webmethod_rt::RouterBuilder;
    use webmethod_rt::route::{Method, RouteTable};

    #[test]
    fn registers_through_the_renamed_dependency() {
        let table = RouteTable::from_registry().unwrap();
        let entry = table.entries()[0];
        assert_eq!(
            (entry.method, entry.path, entry.handler),
            (Method::Get, "/v1/hello", "hello")
        );
        assert!(!entry.require_authentication);
    }

    #[tokio::test]
    async fn serves_through_the_renamed_dependency() {
        let router = RouterBuilder::new()
            .without_security()
            .state(Greeting("hi"))
            .build()
            .unwrap()
            .router;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream
            .write_all(b"GET /v1/hello HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.ends_with("hi"), "{response}");
    }
}
