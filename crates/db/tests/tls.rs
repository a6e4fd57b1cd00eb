//! PostgreSQL over TLS against a private server this test starts (never the
//! shared one): `initdb` under a temporary directory, a self-signed certificate
//! made here, `ssl = on`, and a `pg_hba.conf` that refuses plaintext TCP.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking"
)]

use diesel_async::RunQueryDsl;
use std::{
    path::{Path, PathBuf},
    process::Command,
};

const MIGRATIONS: diesel_migrations::EmbeddedMigrations = db::embed_migrations!("tests/migrations");

/// The newest `/usr/lib/postgresql/*/bin` (or `PG_BINDIR`).
fn bindir() -> PathBuf {
    if let Ok(dir) = std::env::var("PG_BINDIR") {
        return PathBuf::from(dir);
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    dirs.retain(|d| d.join("initdb").exists());
    dirs.sort();
    dirs.pop().expect(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: `make backing-services` installs them",
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}

/// Runs a PostgreSQL tool, as the `postgres` user when we are root (initdb refuses root).
fn run_pg(tool: &Path, args: &[&str]) {
    let status = if is_root() {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(tool)
            .args(args)
            .status()
    } else {
        Command::new(tool).args(args).status()
    }
    .unwrap();
    assert!(status.success(), "{} {args:?} failed", tool.display());
}

/// A private PostgreSQL with TLS; stopped and removed on drop.
struct TlsServer {
    dir: PathBuf,
    port: u16,
    ca: PathBuf,
}

impl TlsServer {
    fn start() -> Self {
        let bin = bindir();
        let dir = std::env::temp_dir().join(format!("db-tls-{}", uuid::Uuid::new_v4().simple()));
        let data = dir.join("data");
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(&dir)
                .status()
                .unwrap();
            assert!(ok.success());
        }
        run_pg(
            &bin.join("initdb"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
            ],
        );
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
            .unwrap();
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, cert.cert.pem()).unwrap();
        std::fs::write(data.join("server.crt"), cert.cert.pem()).unwrap();
        std::fs::write(data.join("server.key"), cert.signing_key.serialize_pem()).unwrap();
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
        )
        .unwrap();
        let mut fixup = vec![
            Command::new("chmod")
                .args(["600"])
                .arg(data.join("server.key"))
                .status()
                .unwrap(),
        ];
        if is_root() {
            fixup.push(
                Command::new("chown")
                    .args(["-R", "postgres"])
                    .arg(&dir)
                    .status()
                    .unwrap(),
            );
        }
        assert!(fixup.iter().all(|s| s.success()));
        let port = testkit_free_port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c ssl=on -c fsync=off",
            dir.display()
        );
        run_pg(
            &bin.join("pg_ctl"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-l",
                dir.join("postgres.log").to_str().unwrap(),
                "-w",
                "-o",
                &options,
                "start",
            ],
        );
        Self { dir, port, ca }
    }

    fn url(&self, host: &str, query: &str) -> String {
        format!("postgres://postgres@{host}:{}/postgres{query}", self.port)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        run_pg(
            &bindir().join("pg_ctl"),
            &["-D", data.to_str().unwrap_or(""), "-m", "immediate", "stop"],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn testkit_free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

#[derive(diesel::QueryableByName)]
struct Ssl {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    ssl: bool,
}

async fn session_is_encrypted(url: &str) -> Result<bool, String> {
    let pool = db::pool(url, 2).map_err(|e| e.to_string())?;
    let mut conn = pool.get().await.map_err(|e| e.to_string())?;
    let row: Ssl = diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .get_result(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.ssl)
}

#[tokio::test]
async fn the_pool_speaks_tls_when_the_url_asks_for_it() {
    let server = TlsServer::start();
    let ca = server.ca.to_str().unwrap().to_owned();

    // The server refuses plaintext TCP, so the encrypted sessions below are ours.
    let plain = session_is_encrypted(&server.url("127.0.0.1", "")).await;
    assert!(plain.is_err(), "plaintext was accepted: {plain:?}");

    // require: encrypted, the self-signed certificate is not verified.
    assert_eq!(
        session_is_encrypted(&server.url("127.0.0.1", "?sslmode=require")).await,
        Ok(true)
    );
    // verify-full with the certificate as root: verified, host name checked.
    let verified = server.url(
        "localhost",
        &format!("?sslmode=verify-full&sslrootcert={ca}"),
    );
    assert_eq!(session_is_encrypted(&verified).await, Ok(true));
    // verify-full against the public roots: the self-signed certificate is refused.
    let unknown = session_is_encrypted(&server.url("localhost", "?sslmode=verify-full")).await;
    assert!(unknown.is_err(), "an unverifiable certificate was accepted");

    // Database creation and migrations go through the same connector.
    let app = server.url(
        "localhost",
        &format!("?sslmode=verify-full&sslrootcert={ca}"),
    );
    let app = db::with_database(&app, "tls_app").unwrap();
    db::create_database_if_missing(&app).await.unwrap();
    db::migrate(&app, MIGRATIONS).await.unwrap();
    let pool = db::pool(&app, 1).unwrap();
    let mut conn = pool.get().await.unwrap();
    let n = diesel::sql_query("INSERT INTO tls_probe DEFAULT VALUES")
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, 1);
}
