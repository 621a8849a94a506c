// `{name}` matches one segment, `{name:path}` the rest of the path.
use auth_runtime::{webmethod}; use auth_runtime::route::{Lookup, RouteTable};
use axum::extract::Path;
use axum::http;

#[webmethod(
    route = "/buckets/{bucket}/files/{path:path}",
    method = "GET",
    level = "v1"
)]
async fn get_file(Path((bucket, path)): Path<(String, String)>) -> &'static str {
    let _ = (bucket, path);
    "file"
}

fn main() {
    let table = RouteTable::from_registry().expect("a valid route table");
    let entry = table.entries()[0];
    assert_eq!(entry.path, "/v1/buckets/{bucket}/files/{*path}");
    assert_eq!(entry.template, "/buckets/{bucket}/files/{path:path}");
    assert_eq!(entry.params, ["bucket", "path"]);

    match table.lookup(&http::Method::GET, "/v1/buckets/b1/files/a/b/c.txt") {
        Lookup::Found {
            entry: found,
            params,
        } => {
            assert_eq!(found.handler, "get_file");
            assert_eq!(params.get("bucket"), Some("b1"));
            assert_eq!(params.get("path"), Some("a/b/c.txt"));
        }
        other => panic!("expected a match, got {other:?}"),
    }
}
