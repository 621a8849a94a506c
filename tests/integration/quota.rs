//! Quota end to end: per principal and per address, the window rolling over,
//! concurrency against each store, SQLite across a restart, Redis shared by
//! two servers and going away, and forwarded headers.

use std::time::Duration;

use auth_runtime::config::Config;
use auth_runtime::{AuthenticatedUser, RouterBuilder, Security, webmethod};
use serde_json::{Value, json};

use crate::support::{RedisServer, entries_of, serve_with_peers};

#[webmethod(
    route = "/quota/public",
    method = "GET",
    level = "v1",
    require_authentication = false
)]
async fn quota_public() -> &'static str {
    "public"
}

#[webmethod(route = "/quota/private", method = "GET", level = "v1")]
async fn quota_private(user: AuthenticatedUser) -> String {
    user.principal.clone()
}

const KEYS: &str = "    provider_config:\n      type: api_keys\n      keys:\n        - {key: alice-key, principal: alice}\n        - {key: bob-key, principal: bob}\n";

fn config(quota: &str, auth: Option<&str>) -> Config {
    let auth = auth.map(|a| format!("  auth:\n{a}")).unwrap_or_default();
    Config::parse(
        &format!("server:\n{auth}  quota:\n{quota}"),
        "test",
        &|_| None,
    )
    .unwrap()
}

async fn serve(config: &Config) -> String {
    let router = RouterBuilder::new()
        .entries(entries_of(module_path!()))
        .security(Security::from_config(config).unwrap())
        .build()
        .unwrap()
        .router;
    serve_with_peers(router).await
}

async fn get(
    base: &str,
    path: &str,
    key: Option<&str>,
    forwarded: Option<&str>,
) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(format!("{base}{path}"));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if let Some(f) = forwarded {
        request = request.header("x-forwarded-for", f);
    }
    request.send().await.unwrap()
}

async fn status(base: &str, path: &str, key: Option<&str>) -> u16 {
    get(base, path, key, None).await.status().as_u16()
}

#[tokio::test]
async fn limits_per_address_and_per_principal() {
    let cfg = config(
        "    anonymous_max_requests: 3\n    authenticated_max_requests: 2\n    period: day\n",
        Some(KEYS),
    );
    let base = serve(&cfg).await;
    // Authenticated callers count against themselves, not their address.
    assert_eq!(
        status(&base, "/v1/quota/private", Some("alice-key")).await,
        200
    );
    assert_eq!(
        status(&base, "/v1/quota/private", Some("alice-key")).await,
        200
    );
    assert_eq!(
        status(&base, "/v1/quota/private", Some("alice-key")).await,
        429
    );
    assert_eq!(
        status(&base, "/v1/quota/private", Some("bob-key")).await,
        200
    );

    // Anonymous requests count against the address, which was not touched.
    for _ in 0..3 {
        assert_eq!(status(&base, "/v1/quota/public", None).await, 200);
    }
    let r = get(&base, "/v1/quota/public", None, None).await;
    assert_eq!(r.status(), 429);
    for h in [
        "retry-after",
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
    ] {
        assert!(r.headers().get(h).is_some(), "{h} missing");
    }
    assert_eq!(r.headers()["ratelimit-limit"], "3");
    assert_eq!(r.headers()["ratelimit-remaining"], "0");
    let reset: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=86_400).contains(&reset), "{reset}");
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": {"message": "Quota exceeded"}})
    );

    // An address over its limit gets 429 before any token is looked at
    // (DESIGN.md "Quota": floods of bad tokens never reach the provider).
    assert_eq!(
        status(&base, "/v1/quota/private", Some("wrong-key")).await,
        429
    );
    assert_eq!(
        status(&base, "/v1/quota/private", Some("bob-key")).await,
        429
    );
}

#[tokio::test]
async fn an_address_over_its_limit_never_reaches_the_provider() {
    let (endpoint, auth_server) = crate::authn::start_auth_server().await;
    let provider =
        format!("    provider_config:\n      type: custom\n      endpoint: {endpoint}\n");
    let cfg = config("    anonymous_max_requests: 2\n", Some(&provider));
    let base = serve(&cfg).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(status(&base, "/v1/quota/private", Some("bad-token")).await);
    }
    assert_eq!(statuses, [401, 401, 429, 429, 429, 429]);
    assert_eq!(
        auth_server.requests.lock().unwrap().len(),
        2,
        "failed attempts stop at the limit"
    );
}

#[tokio::test]
async fn the_window_rolls_over() {
    let cfg = config(
        "    anonymous_max_requests: 2\n    period_seconds: 1\n",
        None,
    );
    let base = serve(&cfg).await;
    // Start at the beginning of a window so the three requests share it.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    tokio::time::sleep(Duration::from_millis(
        1000 - u64::from(now.subsec_millis()) + 20,
    ))
    .await;
    assert_eq!(status(&base, "/v1/quota/public", None).await, 200);
    assert_eq!(status(&base, "/v1/quota/public", None).await, 200);
    assert_eq!(status(&base, "/v1/quota/public", None).await, 429);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(status(&base, "/v1/quota/public", None).await, 200);
}

/// 200 concurrent requests against a limit of 50, split over `bases`.
async fn exactly_fifty(bases: &[String]) {
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let url = format!("{}/v1/quota/public", bases[i % bases.len()]);
        let request = client.get(url).send();
        tasks.push(tokio::spawn(request));
    }
    let mut ok = 0;
    let mut limited = 0;
    for task in tasks {
        match task.await.unwrap().unwrap().status().as_u16() {
            200 => ok += 1,
            429 => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((ok, limited), (50, 150));
}

fn temp_db(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("webmethod-quota-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("quota.db")
}

#[tokio::test]
async fn concurrent_requests_never_pass_the_limit_memory() {
    let cfg = config(
        "    kvstore: {type: memory}\n    anonymous_max_requests: 50\n",
        None,
    );
    exactly_fifty(&[serve(&cfg).await]).await;
}

#[tokio::test]
async fn concurrent_requests_never_pass_the_limit_sqlite() {
    let db = temp_db("concurrent");
    let cfg = config(
        &format!(
            "    kvstore: {{type: sqlite, db_path: '{}'}}\n    anonymous_max_requests: 50\n",
            db.display()
        ),
        None,
    );
    exactly_fifty(&[serve(&cfg).await]).await;
}

#[tokio::test]
async fn concurrent_requests_never_pass_the_limit_redis() {
    let redis = RedisServer::start();
    let cfg = config(
        &format!(
            "    kvstore: {{type: redis, url: '{}'}}\n    anonymous_max_requests: 50\n",
            redis.url()
        ),
        None,
    );
    exactly_fifty(&[serve(&cfg).await]).await;
}

#[tokio::test]
async fn sqlite_counters_survive_a_restart() {
    let db = temp_db("restart");
    let quota = format!(
        "    kvstore: {{type: sqlite, db_path: '{}'}}\n    anonymous_max_requests: 5\n",
        db.display()
    );
    {
        let base = serve(&config(&quota, None)).await;
        for _ in 0..3 {
            assert_eq!(status(&base, "/v1/quota/public", None).await, 200);
        }
    }
    // A new server (new store, same file) continues the count.
    let base = serve(&config(&quota, None)).await;
    assert_eq!(status(&base, "/v1/quota/public", None).await, 200);
    assert_eq!(status(&base, "/v1/quota/public", None).await, 200);
    assert_eq!(status(&base, "/v1/quota/public", None).await, 429);
}

#[tokio::test]
async fn two_servers_share_one_redis_and_redis_going_away_is_500() {
    let mut redis = RedisServer::start();
    let quota = format!(
        "    kvstore: {{type: redis, url: '{}'}}\n    anonymous_max_requests: 50\n",
        redis.url()
    );
    let a = serve(&config(&quota, None)).await;
    let b = serve(&config(&quota, None)).await;
    exactly_fifty(&[a.clone(), b.clone()]).await;

    // A new window on a new Redis key space: use a second quota namespace.
    let quota = format!(
        "    kvstore: {{type: redis, url: '{}', namespace: other}}\n    anonymous_max_requests: 1000\n",
        redis.url()
    );
    let base = serve(&config(&quota, None)).await;
    assert_eq!(status(&base, "/v1/quota/public", None).await, 200);
    redis.stop();
    let r = get(&base, "/v1/quota/public", None, None).await;
    assert_eq!(r.status(), 500);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": {"message": "Quota service error"}})
    );
    redis.restart();
    let mut recovered = false;
    for _ in 0..50 {
        if status(&base, "/v1/quota/public", None).await == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "service resumes once Redis is back");
}

#[tokio::test]
async fn forwarded_headers_count_only_from_trusted_proxies() {
    // 127.0.0.1 is not trusted: every request is 127.0.0.1's, whatever it claims.
    let base = serve(&config("    anonymous_max_requests: 2\n", None)).await;
    assert_eq!(
        get(&base, "/v1/quota/public", None, Some("203.0.113.1"))
            .await
            .status(),
        200
    );
    assert_eq!(
        get(&base, "/v1/quota/public", None, Some("203.0.113.2"))
            .await
            .status(),
        200
    );
    assert_eq!(
        get(&base, "/v1/quota/public", None, Some("203.0.113.3"))
            .await
            .status(),
        429
    );

    // Trusted: the forwarded client is counted.
    let base = serve(&config(
        "    anonymous_max_requests: 2\n    trusted_proxies: ['127.0.0.1']\n",
        None,
    ))
    .await;
    for client in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        assert_eq!(
            get(&base, "/v1/quota/public", None, Some(client))
                .await
                .status(),
            200
        );
        assert_eq!(
            get(&base, "/v1/quota/public", None, Some(client))
                .await
                .status(),
            200
        );
        assert_eq!(
            get(&base, "/v1/quota/public", None, Some(client))
                .await
                .status(),
            429,
            "{client}"
        );
    }
}

#[tokio::test]
async fn a_router_served_without_peer_addresses_fails_closed() {
    let cfg = config("    anonymous_max_requests: 2\n", None);
    let router = RouterBuilder::new()
        .entries(entries_of(module_path!()))
        .security(Security::from_config(&cfg).unwrap())
        .build()
        .unwrap()
        .router;
    let base = crate::support::serve(router).await;
    assert_eq!(status(&base, "/v1/quota/public", None).await, 500);
}

async fn get_with(base: &str, headers: &[(&str, &str)]) -> u16 {
    let mut request = reqwest::Client::new().get(format!("{base}/v1/quota/public"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn one_forwarding_header_is_read_the_other_changes_nothing() {
    // Default: X-Forwarded-For. A client-added Forwarded changes nothing.
    let base = serve(&config(
        "    anonymous_max_requests: 1\n    trusted_proxies: ['127.0.0.1']\n",
        None,
    ))
    .await;
    let xff = ("x-forwarded-for", "203.0.113.1");
    assert_eq!(
        get_with(&base, &[xff, ("forwarded", "for=198.51.100.1")]).await,
        200
    );
    assert_eq!(
        get_with(&base, &[xff, ("forwarded", "for=198.51.100.2")]).await,
        429
    );

    // `forwarded_header: forwarded`: RFC 7239, and X-Forwarded-For is ignored.
    let base = serve(&config(
        "    anonymous_max_requests: 1\n    trusted_proxies: ['127.0.0.1']\n    forwarded_header: forwarded\n",
        None,
    ))
    .await;
    let fwd = ("forwarded", "for=\"[2001:db8::7]:4711\";proto=https");
    assert_eq!(
        get_with(&base, &[fwd, ("x-forwarded-for", "198.51.100.1")]).await,
        200
    );
    assert_eq!(
        get_with(&base, &[fwd, ("x-forwarded-for", "198.51.100.2")]).await,
        429
    );
    assert_eq!(
        get_with(&base, &[("forwarded", "for=192.0.2.9")]).await,
        200
    );
}

#[tokio::test]
async fn ipv6_clients_are_counted_per_prefix() {
    let base = serve(&config(
        "    anonymous_max_requests: 2\n    trusted_proxies: ['127.0.0.1']\n",
        None,
    ))
    .await;
    // Rotating addresses inside one /64: one counter.
    for (client, expected) in [
        ("2001:db8:1:2::1", 200),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 200),
        ("2001:db8:1:2:ffff::9", 429),
        ("2001:db8:1:3::1", 200),
    ] {
        assert_eq!(
            get_with(&base, &[("x-forwarded-for", client)]).await,
            expected,
            "{client}"
        );
    }
    // A /48 configured: the neighbouring /64 shares the counter too.
    let base = serve(&config(
        "    anonymous_max_requests: 2\n    trusted_proxies: ['127.0.0.1']\n    ipv6_prefix: 48\n",
        None,
    ))
    .await;
    assert_eq!(
        get_with(&base, &[("x-forwarded-for", "2001:db8:1:2::1")]).await,
        200
    );
    assert_eq!(
        get_with(&base, &[("x-forwarded-for", "2001:db8:1:3::1")]).await,
        200
    );
    assert_eq!(
        get_with(&base, &[("x-forwarded-for", "2001:db8:1:4::1")]).await,
        429
    );
    // IPv4-mapped IPv6 is the IPv4 address.
    let base = serve(&config(
        "    anonymous_max_requests: 1\n    trusted_proxies: ['127.0.0.1']\n",
        None,
    ))
    .await;
    assert_eq!(
        get_with(&base, &[("x-forwarded-for", "::ffff:203.0.113.9")]).await,
        200
    );
    assert_eq!(
        get_with(&base, &[("x-forwarded-for", "203.0.113.9")]).await,
        429
    );
}

#[test]
fn client_address_and_memory_settings_are_checked() {
    for (quota, field) in [
        (
            "    forwarded_header: x-real-ip\n",
            "server.quota.forwarded_header",
        ),
        ("    ipv6_prefix: 0\n", "server.quota.ipv6_prefix"),
        ("    ipv6_prefix: 129\n", "server.quota.ipv6_prefix"),
        ("    max_entries: 0\n", "server.quota.max_entries"),
    ] {
        let config = config(quota, None);
        let error = match Security::from_config(&config) {
            Ok(_) => panic!("{quota} accepted"),
            Err(e) => e.to_string(),
        };
        assert!(error.contains(field), "{quota}: {error}");
    }
    assert!(
        Security::from_config(&config(
            "    max_entries: 5000\n    ipv6_prefix: 56\n",
            None
        ))
        .is_ok()
    );
}
