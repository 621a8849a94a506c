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

/// A probe at a path of llama-stack's default exemptions.
#[webmethod(
    route = "/health",
    method = "GET",
    level = "v1",
    require_authentication = false
)]
async fn quota_health() -> &'static str {
    "OK"
}

#[webmethod(
    route = "/quota/probe",
    method = "GET",
    level = "v1",
    require_authentication = false
)]
async fn quota_probe() -> &'static str {
    "probe"
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

    // An address over its limit gets 429 for a bad token (DESIGN.md
    // "Quota": floods of bad tokens never reach the provider); a key known
    // without a provider call is charged to its principal instead.
    assert_eq!(
        status(&base, "/v1/quota/private", Some("wrong-key")).await,
        429
    );
    assert_eq!(
        status(&base, "/v1/quota/private", Some("bob-key")).await,
        200
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
    // A valid token that only a provider call could accept keeps the 429
    // too: over the limit, nothing reaches the provider.
    assert_eq!(
        status(&base, "/v1/quota/private", Some("good-token")).await,
        429
    );
    assert_eq!(
        auth_server.requests.lock().unwrap().len(),
        2,
        "failed attempts stop at the limit"
    );
}

#[tokio::test]
async fn over_its_limit_an_address_is_served_for_tokens_the_cache_already_accepted() {
    let (endpoint, auth_server) = crate::authn::start_auth_server().await;
    let provider = format!(
        "    provider_config:\n      type: custom\n      endpoint: {endpoint}\n    cache: {{enabled: true}}\n"
    );
    let cfg = config("    anonymous_max_requests: 2\n", Some(&provider));
    let base = serve(&cfg).await;
    assert_eq!(
        status(&base, "/v1/quota/private", Some("good-token")).await,
        200
    );
    let mut statuses = Vec::new();
    for i in 0..4 {
        statuses.push(status(&base, "/v1/quota/private", Some(&format!("bad-{i}"))).await);
    }
    assert_eq!(statuses, [401, 401, 429, 429]);
    // Accepted before, so known without a call: served, charged to alice.
    assert_eq!(
        status(&base, "/v1/quota/private", Some("good-token")).await,
        200
    );
    // Valid too, but only the provider could say so: 429, no call.
    assert_eq!(
        status(&base, "/v1/quota/private", Some("admin-token")).await,
        429
    );
    // A rejection the cache remembers keeps the 429 as well.
    assert_eq!(status(&base, "/v1/quota/private", Some("bad-0")).await, 429);
    assert_eq!(auth_server.requests.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn a_key_accepted_from_memory_pays_for_itself_from_an_address_over_its_limit() {
    let cfg = config(
        "    anonymous_max_requests: 1
    authenticated_max_requests: 3
    period: day
",
        Some(KEYS),
    );
    let base = serve(&cfg).await;
    assert_eq!(status(&base, "/v1/quota/public", None).await, 200);
    assert_eq!(status(&base, "/v1/quota/public", None).await, 429);
    // The address is over its limit; alice's key is accepted without a
    // provider call, so alice pays, up to her own limit.
    for _ in 0..3 {
        let r = get(&base, "/v1/quota/private", Some("alice-key"), None).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["ratelimit-limit"], "3");
    }
    let r = get(&base, "/v1/quota/private", Some("alice-key"), None).await;
    assert_eq!(r.status(), 429, "the principal's own limit");
    assert_eq!(r.headers()["ratelimit-limit"], "3");
    // Bob is another principal: his own count.
    assert_eq!(
        status(&base, "/v1/quota/private", Some("bob-key")).await,
        200
    );
    // A rejected key, or none, keeps the address's 429 (not a 401).
    let r = get(&base, "/v1/quota/private", Some("wrong-key"), None).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["ratelimit-limit"], "1");
    assert_eq!(status(&base, "/v1/quota/private", None).await, 429);
    assert_eq!(status(&base, "/v1/quota/public", None).await, 429);
}

#[tokio::test]
async fn a_full_memory_store_evicts_instead_of_locking_out_newcomers() {
    // One counter per shard: the store is full after a handful of clients.
    let cfg = config(
        "    anonymous_max_requests: 2\n    max_entries: 16\n    trusted_proxies: ['127.0.0.1']\n",
        Some(KEYS),
    );
    let base = serve(&cfg).await;
    for i in 0..200u32 {
        let client = std::net::Ipv4Addr::from(0xc633_6400 + i).to_string();
        assert_eq!(
            get(&base, "/v1/quota/public", None, Some(&client))
                .await
                .status(),
            200,
            "newcomer {client} after {i} others"
        );
    }
    // A valid key from yet another new address.
    assert_eq!(
        get(
            &base,
            "/v1/quota/private",
            Some("alice-key"),
            Some("192.0.2.200")
        )
        .await
        .status(),
        200
    );
}

/// The demo's own process, so its counter is this test's alone: evictions
/// are counted.
#[tokio::test]
async fn evictions_are_counted_in_the_metrics() {
    let path = std::env::temp_dir().join(format!(
        "webmethod-quota-evictions-{}.yaml",
        std::process::id()
    ));
    std::fs::write(
        &path,
        "server:\n  metrics: {address: '127.0.0.1:0'}\n  quota: {max_entries: 16, trusted_proxies: ['127.0.0.1']}\n",
    )
    .unwrap();
    let server = crate::metrics::start_at(&path);
    let client = reqwest::Client::new();
    for i in 0..100u32 {
        let forwarded = std::net::Ipv4Addr::from(0xcb00_7100 + i).to_string();
        let r = client
            .get(format!("{}/v1/whoami", server.api))
            .header("x-forwarded-for", forwarded)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let text = server
        .wait_for_metric(&client, "webmethod_quota_evictions_total")
        .await;
    let evicted: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("webmethod_quota_evictions_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no eviction count in {text}"));
    // 100 subjects, 16 shards of one counter: every subject but the first
    // of each shard evicted a live counter.
    assert!((84..=99).contains(&evicted), "{evicted}\n{text}");
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn exempt_routes_are_never_charged() {
    let quota = "    anonymous_max_requests: 1
";
    // Default: llama-stack's probes (/v1/health here); other routes pay.
    let base = serve(&config(quota, Some(KEYS))).await;
    for _ in 0..3 {
        let r = get(&base, "/v1/health", None, None).await;
        assert_eq!(r.status(), 200);
        assert!(r.headers().get("ratelimit-limit").is_none());
    }
    assert_eq!(status(&base, "/v1/quota/probe", None).await, 200);
    assert_eq!(status(&base, "/v1/quota/probe", None).await, 429);
    // The address is over its limit, the probe still answers.
    assert_eq!(status(&base, "/v1/health", None).await, 200);

    // Configured: the list replaces the defaults.
    let base = serve(&config(
        &format!(
            "{quota}    exempt_routes: [/v1/quota/probe]
"
        ),
        Some(KEYS),
    ))
    .await;
    for _ in 0..3 {
        let r = get(&base, "/v1/quota/probe", None, None).await;
        assert_eq!(r.status(), 200);
        assert!(r.headers().get("ratelimit-limit").is_none());
    }
    assert_eq!(status(&base, "/v1/health", None).await, 200);
    assert_eq!(status(&base, "/v1/health", None).await, 429);
}

#[tokio::test]
async fn an_unparseable_forwarded_hop_is_an_unknown_client_of_its_own() {
    let base = serve(&config(
        "    anonymous_max_requests: 1
    trusted_proxies: ['127.0.0.1']
",
        None,
    ))
    .await;
    let via_proxy = |hop: &'static str| {
        let base = base.clone();
        async move {
            get(&base, "/v1/quota/public", None, Some(hop))
                .await
                .status()
                .as_u16()
        }
    };
    // Unknown clients behind this proxy share one bucket...
    assert_eq!(via_proxy("not-an-address").await, 200);
    assert_eq!(via_proxy("unknown").await, 429);
    assert_eq!(via_proxy("203.0.113.5, garbage").await, 429);
    // ...which is not the proxy's own address, nor anyone else's.
    assert_eq!(status(&base, "/v1/quota/public", None).await, 200);
    assert_eq!(via_proxy("203.0.113.5").await, 200);
}

/// The demo as deployed: a probe is never throttled, and what an operator
/// must hear about is logged (a typo in `exempt_routes`, a proxy forwarding
/// garbage), escaped.
#[tokio::test]
async fn the_demo_exempts_its_probes_and_warns_about_what_it_cannot_use() {
    let dir = std::env::temp_dir().join(format!("webmethod-quota-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config_path = dir.join("config.yaml");
    std::fs::write(
        &config_path,
        "server:\n  quota:\n    anonymous_max_requests: 1\n    trusted_proxies: ['127.0.0.1']\n    exempt_routes: [/v1/health, /v1/helth]\n",
    )
    .unwrap();
    let log_path = dir.join("server.log");
    let server = crate::demo_server::Server::start_logging(
        &["--config", config_path.to_str().unwrap()],
        &[("RUST_LOG", "info")],
        std::fs::File::create(&log_path).unwrap(),
    );
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let r = client.get(server.url("/v1/health")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers().get("ratelimit-limit").is_none());
    }
    let forged = |hop: &'static str| {
        client
            .get(server.url("/v1/version"))
            .header("x-forwarded-for", hop)
            .send()
    };
    assert_eq!(forged("x=1 level=ERROR").await.unwrap().status(), 200);
    assert_eq!(forged("x=2 level=ERROR").await.unwrap().status(), 429);
    drop(server);
    let logs = std::fs::read_to_string(&log_path).unwrap();
    let typo = logs
        .lines()
        .find(|l| l.contains("exempt_routes names no route"))
        .unwrap_or_else(|| panic!("no warning about the typo in {logs}"));
    assert!(
        typo.contains("WARN") && typo.contains("/v1/helth"),
        "{typo}"
    );
    assert!(
        !logs.contains("route=\"/v1/health\" server.quota"),
        "{logs}"
    );
    let hops: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("not an address"))
        .collect();
    // Rate-limited: one line for the two requests.
    assert_eq!(hops.len(), 1, "{logs}");
    assert!(hops[0].contains("WARN"), "{}", hops[0]);
    assert!(
        hops[0].contains("hop=\"x=1 level=ERROR\""),
        "quoted: {}",
        hops[0]
    );
    assert!(hops[0].contains("proxy=127.0.0.1"), "{}", hops[0]);
    let _ = std::fs::remove_dir_all(&dir);
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
        (
            "    exempt_routes: [v1/health]\n",
            "server.quota.exempt_routes[0]",
        ),
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
