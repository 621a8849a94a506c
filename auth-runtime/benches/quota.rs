//! One quota hit (atomic increment of a counter in the current window) per
//! store: memory, SQLite (a file in a temp dir), Redis (a redis-server this
//! bench starts on 127.0.0.1). Hits per second = 1 / time.

use std::time::Duration;

use auth_runtime::config::Config;
use auth_runtime::quota::{Quota, Window};
use criterion::{Criterion, criterion_group, criterion_main};

fn quota(kvstore: &str) -> Quota {
    let yaml = format!(
        "server:\n  quota:\n    kvstore: {kvstore}\n    anonymous_max_requests: 1000000000\n"
    );
    let config = Config::parse(&yaml, "bench", &|_| None).expect("config");
    Quota::from_config(config.server.quota.as_ref().expect("quota")).expect("store")
}

fn stores(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = std::env::temp_dir().join(format!("webmethod-bench-quota-{}", std::process::id()));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let mut redis = std::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("redis-server (apt-get install redis-server)");
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let stores = [
        ("memory", quota("{type: memory}")),
        (
            "sqlite",
            quota(&format!(
                "{{type: sqlite, db_path: '{}'}}",
                dir.join("q.db").display()
            )),
        ),
        (
            "redis",
            quota(&format!(
                "{{type: redis, url: 'redis://127.0.0.1:{port}/'}}"
            )),
        ),
    ];
    let mut group = c.benchmark_group("quota_hit");
    for (name, quota) in &stores {
        group.bench_function(*name, |b| {
            b.to_async(&rt).iter(|| async {
                let window = Window::current(Duration::from_secs(86_400));
                quota
                    .store()
                    .hit("addr:203.0.113.9", window)
                    .await
                    .expect("store")
            })
        });
    }
    group.finish();
    let _ = redis.kill();
    let _ = redis.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = stores
}
criterion_main!(benches);
