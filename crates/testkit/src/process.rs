//! Starting the platform's service binaries as real processes for tests that
//! cross service boundaries (gateway tests, black-box tests in `tests/`).
//!
//! Binaries are looked up in the cargo target directory of the running test
//! (`target/debug/<name>`); `make test` builds them first
//! (`cargo build --workspace --bins`).

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// A free TCP port on 127.0.0.1 (bound then released; fine for tests).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// The path of a workspace binary next to the running test binary.
pub fn binary(name: &str) -> PathBuf {
    if let Ok(dir) = std::env::var("PLATFORM_BIN_DIR") {
        return PathBuf::from(dir).join(name);
    }
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current_exe: {e}"));
    // target/debug/deps/<test> → target/debug/<name>
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .unwrap_or_else(|| panic!("no target dir"));
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} not built: run `cargo build --workspace --bins` first",
        path.display()
    );
    path
}

/// A running service process, killed when dropped.
pub struct ServiceProcess {
    name: String,
    child: Child,
}

impl ServiceProcess {
    /// Starts `bin` with `args` and `env`, then waits until `ready_url` answers 2xx (at most 30 s).
    /// Panics with the tail of the service's stderr when it exits during start-up.
    pub async fn spawn(bin: &str, args: &[&str], env: &[(&str, String)], ready_url: &str) -> Self {
        Self::try_spawn(bin, args, env, ready_url)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`spawn`](Self::spawn) that reports a start-up failure instead of panicking, so a
    /// caller can retry with other ports (a port from [`free_port`] can be taken by another
    /// process, e.g. as the ephemeral port of an outgoing connection, before the service binds it).
    pub async fn try_spawn(
        bin: &str,
        args: &[&str],
        env: &[(&str, String)],
        ready_url: &str,
    ) -> Result<Self, String> {
        let mut cmd = Command::new(binary(bin));
        cmd.args(args).stdin(Stdio::null());
        let stderr_path = std::env::temp_dir().join(format!("{}.stderr", crate::unique(bin)));
        if std::env::var_os("TEST_SERVICE_LOGS").is_none() {
            let stderr = std::fs::File::create(&stderr_path).map_err(|e| e.to_string())?;
            cmd.stdout(Stdio::null()).stderr(stderr);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().map_err(|e| format!("spawn {bin}: {e}"))?;
        let mut process = Self {
            name: bin.to_owned(),
            child,
        };
        let ready = process.wait_ready(ready_url).await;
        let tail = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        let _ = std::fs::remove_file(&stderr_path);
        ready.map(|()| process).map_err(|e| {
            let tail: Vec<&str> = tail.lines().rev().take(5).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            format!("{e}; its last stderr lines:\n{}", tail.join("\n"))
        })
    }

    async fn wait_ready(&mut self, url: &str) -> Result<(), String> {
        let client = crate::http();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("{} exited during start-up: {status}", self.name));
            }
            let ready = client
                .get(url)
                .timeout(Duration::from_millis(500))
                .send()
                .await;
            if ready.is_ok_and(|res| res.status().is_success()) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!("{} not ready at {url} within 30 s", self.name));
            }
            tokio_sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends SIGTERM (graceful shutdown) and waits for the exit, at most `timeout`.
    pub fn terminate(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn tokio_sleep(d: Duration) {
    tokio::time::sleep(d).await;
}
