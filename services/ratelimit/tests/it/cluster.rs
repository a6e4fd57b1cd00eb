//! Redis Cluster: a private three-master cluster (never the shared Redis), two service
//! instances, many subjects spread over the slots; limits stay exact and usage works.

use crate::helpers::*;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Cluster {
    ports: Vec<u16>,
    children: Vec<Child>,
    dir: std::path::PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A free port whose cluster-bus port (+10000) is free too.
fn cluster_port() -> u16 {
    loop {
        let p = testkit::process::free_port();
        if p < 55_000 && std::net::TcpListener::bind(("127.0.0.1", p + 10_000)).is_ok() {
            return p;
        }
    }
}

/// Starts three masters and joins them. Ports are picked free but can be taken by a parallel
/// test before redis binds them, so a node that exits at start-up means: retry with new ports.
async fn start_cluster() -> Cluster {
    for _attempt in 0..3 {
        if let Some(c) = try_start_cluster().await {
            return c;
        }
    }
    panic!("could not start a private redis cluster in 3 attempts");
}

async fn try_start_cluster() -> Option<Cluster> {
    let dir = std::env::temp_dir().join(testkit::unique("rl-cluster-"));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let mut cluster = Cluster {
        ports: Vec::new(),
        children: Vec::new(),
        dir: dir.clone(),
    };
    for _ in 0..3 {
        let port = cluster_port();
        let p = port.to_string();
        let conf = format!("nodes-{port}.conf");
        let child = Command::new("redis-server")
            .args([
                "--port",
                &p,
                "--bind",
                "127.0.0.1",
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                &conf,
            ])
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("redis-server: {e}"));
        cluster.ports.push(port);
        cluster.children.push(child);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    for i in 0..cluster.ports.len() {
        let port = cluster.ports[i];
        while !redis_cli(port, &["PING"]).contains("PONG") {
            if matches!(cluster.children[i].try_wait(), Ok(Some(_))) || Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let nodes: Vec<String> = cluster
        .ports
        .iter()
        .map(|p| format!("127.0.0.1:{p}"))
        .collect();
    let out = Command::new("redis-cli")
        .arg("--cluster")
        .arg("create")
        .args(&nodes)
        .args(["--cluster-replicas", "0", "--cluster-yes"])
        .output()
        .unwrap_or_else(|e| panic!("redis-cli --cluster create: {e}"));
    if !out.status.success() {
        eprintln!(
            "cluster create failed, retrying: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        return None;
    }
    for &port in &cluster.ports {
        while !redis_cli(port, &["CLUSTER", "INFO"]).contains("cluster_state:ok") {
            if Instant::now() > deadline {
                eprintln!(
                    "cluster_state not ok on {port}: {}",
                    redis_cli(port, &["CLUSTER", "INFO"])
                );
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Some(cluster)
}

fn redis_cli(port: u16, args: &[&str]) -> String {
    Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn limits_are_exact_on_a_redis_cluster() {
    let cluster = start_cluster().await;
    let mut cfg = config(&[("five", 5, 3600, 0, false)]);
    cfg.redis.cluster = true;
    cfg.redis.url = service_kit::config::SecretUrl::new(
        cluster
            .ports
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(","),
    );
    cfg.timeout_ms = 1000;
    let a = spawn(cfg.clone()).await;
    let b = spawn(cfg).await;
    // Wait until the cluster client has read the topology (decisions are degraded before).
    let mut probe = a.client.clone();
    wait_until_redis(&mut probe).await;
    let mut probe = b.client.clone();
    wait_until_redis(&mut probe).await;

    let subjects: Vec<String> = (0..24).map(|_| testkit::unique("key_")).collect();
    let mut tasks = Vec::new();
    for t in 0..8 {
        let mut c = if t % 2 == 0 {
            a.client.clone()
        } else {
            b.client.clone()
        };
        let subjects = subjects.clone();
        tasks.push(tokio::spawn(async move {
            let mut allowed: HashMap<String, u32> = HashMap::new();
            for i in 0..(subjects.len() * 2) {
                let s = &subjects[(i + t * 5) % subjects.len()];
                let r = hit(&mut c, s, "five").await;
                assert!(!r.degraded, "{r:?}");
                if is_ok(&r) {
                    *allowed.entry(s.clone()).or_default() += 1;
                }
            }
            allowed
        }));
    }
    let mut total: HashMap<String, u32> = HashMap::new();
    for t in tasks {
        for (s, n) in t.await.unwrap_or_else(|e| panic!("{e}")) {
            *total.entry(s).or_default() += n;
        }
    }
    // 8 tasks × 2 rounds = 16 calls per subject; exactly 5 pass for each.
    for s in &subjects {
        assert_eq!(total.get(s).copied(), Some(5), "subject {s}");
    }
    // The subjects really are spread over the masters.
    let used = cluster
        .ports
        .iter()
        .filter(|p| {
            redis_cli(**p, &["DBSIZE"])
                .trim()
                .parse::<u64>()
                .unwrap_or(0)
                > 0
        })
        .count();
    assert!(used >= 2, "keys on {used} node(s)");
    // Usage reads (a pipeline of two keys in one slot) work on the cluster too.
    let mut c = a.client.clone();
    let u = usage(&mut c, &subjects[0], "").await;
    assert_eq!((u.requests_today, u.refused_today), (16, 11));
}

async fn wait_until_redis(c: &mut Client) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = hit(c, &testkit::unique("probe_"), "five").await;
        if !r.degraded {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "cluster connection not established"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
