//! SIGHUP reloads the config: the demo server under continuous load swaps a
//! key and a policy with no failed request; a config that does not load
//! keeps the running one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::metrics::start_at as start;

fn config(key: &str, files: &str) -> String {
    format!(
        "server:
  metrics: {{address: '127.0.0.1:0'}}
  auth:
    provider_config:
      type: api_keys
      keys:
        - {{key: {key}, principal: admin, attributes: {{roles: [admin], scopes: [models.read]}}}}
    route_policy:
      - {files}: {{paths: '/v1/files*'}}
      - permit: {{paths: '*'}}
"
    )
}

async fn status(client: &reqwest::Client, url: String, key: &str) -> Result<u16, String> {
    client
        .get(url)
        .bearer_auth(key)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn sighup_swaps_keys_and_policies_under_load_without_a_failed_request() {
    let dir = std::env::temp_dir().join(format!("webmethod-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.yaml");
    std::fs::write(&path, config("old-key", "permit")).unwrap();
    let server = start(&path);
    let client = reqwest::Client::new();
    // Files allowed: the handler answers (there is no such file).
    assert_eq!(
        status(&client, format!("{}/v1/files/a", server.api), "old-key").await,
        Ok(404)
    );

    // Continuous load on kept-alive connections, with both keys.
    let stop = Arc::new(AtomicBool::new(false));
    let failed = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let mut load = Vec::new();
    for task in 0..4 {
        let (stop, failed, answered) = (stop.clone(), failed.clone(), answered.clone());
        let (client, url) = (client.clone(), format!("{}/v1/models", server.api));
        load.push(tokio::spawn(async move {
            let key = if task % 2 == 0 { "old-key" } else { "new-key" };
            while !stop.load(Ordering::Relaxed) {
                match status(&client, url.clone(), key).await {
                    // Each key is accepted or refused by the config it met.
                    Ok(200 | 401) => answered.fetch_add(1, Ordering::Relaxed),
                    _ => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The new config: another key, and files forbidden.
    std::fs::write(&path, config("new-key", "forbid")).unwrap();
    server.hangup();
    let deadline = Instant::now() + Duration::from_secs(10);
    while status(&client, format!("{}/v1/models", server.api), "new-key").await != Ok(200) {
        assert!(Instant::now() < deadline, "the reload never happened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "failed requests across the reload"
    );
    assert!(answered.load(Ordering::Relaxed) > 20);
    assert_eq!(
        status(&client, format!("{}/v1/models", server.api), "old-key").await,
        Ok(401)
    );
    // Files forbidden by the new route policy.
    assert_eq!(
        status(&client, format!("{}/v1/files/a", server.api), "new-key").await,
        Ok(403)
    );

    // A config that does not load: the running one stays.
    std::fs::write(
        &path,
        "server:\n  auth:\n    provider_config: {type: ldap}\n",
    )
    .unwrap();
    server.hangup();
    let text = server
        .wait_for_metric(
            &client,
            r#"webmethod_config_reloads_total{result="error"} 1"#,
        )
        .await;
    assert!(
        text.contains(r#"webmethod_config_reloads_total{result="ok"} 1"#),
        "{text}"
    );
    assert_eq!(
        status(&client, format!("{}/v1/models", server.api), "new-key").await,
        Ok(200)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A reload that keeps `kvstore` keeps the counters: new limits apply to
/// the counts so far, nobody's quota starts over.
#[tokio::test]
async fn a_reload_keeps_the_quota_counters() {
    let dir = std::env::temp_dir().join(format!("webmethod-reload-quota-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.yaml");
    let config = |limit: u32| {
        format!(
            "server:
  metrics: {{address: '127.0.0.1:0'}}
  quota: {{kvstore: {{type: memory}}, anonymous_max_requests: 100, authenticated_max_requests: {limit}}}
  auth:
    provider_config:
      type: api_keys
      keys: [{{key: k1, principal: alice, attributes: {{scopes: [models.read]}}}}]
"
        )
    };
    std::fs::write(&path, config(5)).unwrap();
    let server = start(&path);
    let client = reqwest::Client::new();
    let remaining = || async {
        let response = client
            .get(format!("{}/v1/models", server.api))
            .bearer_auth("k1")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.headers()["ratelimit-remaining"]
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(remaining().await, "4");
    assert_eq!(remaining().await, "3");
    assert_eq!(remaining().await, "2");
    std::fs::write(&path, config(6)).unwrap();
    server.hangup();
    // Wait for the reload to land (counted in the metrics), then: the new
    // limit over the same counter, 6 - 4 = 2 left (started over: 5).
    server
        .wait_for_metric(&client, r#"webmethod_config_reloads_total{result="ok"} 1"#)
        .await;
    assert_eq!(remaining().await, "2", "the counter started over");
    let _ = std::fs::remove_dir_all(&dir);
}
