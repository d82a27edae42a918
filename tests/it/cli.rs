//! The `shop` command as an operator uses it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::*;

fn shop(dir: &std::path::Path, database_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shop"));
    cmd.env_clear()
        .env("SHOP_DATA_DIR", dir)
        .env("DATABASE_URL", database_url)
        .env("SHOP_ADDR", "127.0.0.1:0")
        .env("SHOP_LOG", "warn")
        .env("SHOP_SQLITE_SYNCHRONOUS", "NORMAL");
    cmd
}

/// Starts `shop serve` and hands over the lines it prints, as they come.
pub(crate) fn spawn_serve(
    dir: &std::path::Path,
    database_url: &str,
) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    let mut child = shop(dir, database_url).stdout(Stdio::piped()).spawn().expect("start shop");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Starts `shop serve`, reads what it prints up to the logins, checks it answers, stops it with SIGTERM.
fn serve_once(dir: &std::path::Path, database_url: &str) -> Vec<String> {
    let (mut child, rx) = spawn_serve(dir, database_url);
    let mut lines = Vec::new();
    let url = loop {
        let line = rx.recv_timeout(Duration::from_secs(60)).expect("the shop prints its address");
        lines.push(line.clone());
        if let Some(url) = line.strip_prefix("The shop is running at ") {
            break url.trim_end_matches('/').to_owned();
        }
    };
    // The demo logins follow at once on a first start.
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(500)) {
        lines.push(line);
    }
    assert!(http_get_status(&url, "/healthz").starts_with("HTTP/1.1 200"), "{url}/healthz answers 200");

    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
    let status = child.wait().expect("wait");
    assert!(status.success(), "a graceful stop on SIGTERM exits with 0, got {status}");
    lines
}

#[test]
fn first_start_seeds_demo_logins_once_and_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().expect("dir");
    let (url, _guard) = fresh_database(dir.path());
    let printed = serve_once(dir.path(), &url);
    let saved = std::fs::read_to_string(dir.path().join("demo-logins.txt")).expect("saved logins");
    let first: Vec<String> = saved.lines().map(str::to_owned).collect();
    assert!(printed.iter().any(|l| l.contains("demo-logins.txt")), "the output says where the logins are: {printed:?}");
    for secret in first.iter().filter_map(|l| l.rsplit(' ').next()).filter(|s| s.len() >= 15) {
        assert!(!printed.iter().any(|l| l.contains(secret)), "no password in captured output: {printed:?}");
    }
    let cards: Vec<&String> = first.iter().filter(|l| l.starts_with("demo prepaid card: ")).collect();
    assert_eq!(cards.len(), 3, "three demo cards for buying anonymously: {first:?}");
    for card in &cards {
        let code = card["demo prepaid card: ".len()..].split(' ').next().unwrap_or_default();
        assert!(shop::codes::normalize(code, 4, 4).is_some() && card.contains("500.00"), "{card}");
    }
    let logins: Vec<&String> =
        first.iter().filter(|l| l.starts_with("demo ") && !l.starts_with("demo prepaid card")).collect();
    let roles: Vec<&str> = logins.iter().map(|l| l["demo ".len()..].split(':').next().unwrap_or_default()).collect();
    assert_eq!(roles, ["shopper", "salesperson", "maker", "clerk", "carrier", "pickup", "admin"], "{first:?}");
    for line in &logins {
        let parts: Vec<&str> = line.split(' ').collect();
        assert_eq!(parts.len(), 4, "demo <role>: <email> <password>: {line}");
        assert!(parts[2].contains('@') && parts[3].len() >= 15);
    }
    assert_eq!(first.len(), 10, "the logins and the cards: {saved}");

    let second = serve_once(dir.path(), &url);
    assert!(!second.iter().any(|l| l.starts_with("demo ")), "demo data only on the first start: {second:?}");
}

#[test]
fn demo_passwords_differ_between_installations() {
    let a = tempfile::tempdir().expect("dir");
    let b = tempfile::tempdir().expect("dir");
    let seed = |dir: &std::path::Path| {
        let (url, guard) = fresh_database(dir);
        let out = shop(dir, &url).arg("seed-demo").output().expect("seed-demo");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        (std::fs::read_to_string(dir.join("demo-logins.txt")).expect("saved logins"), guard)
    };
    let (first, _ga) = seed(a.path());
    let (second, _gb) = seed(b.path());
    assert_eq!(first.lines().count(), 7);
    assert_ne!(first, second);
}

#[test]
fn create_admin_reads_the_password_from_the_environment_and_promotes_existing_users() {
    let dir = tempfile::tempdir().expect("dir");
    let (url, _guard) = fresh_database(dir.path());
    let out = shop(dir.path(), &url).arg("migrate").output().expect("migrate");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let out = shop(dir.path(), &url)
        .args(["create-admin", "--email", "Boss@Example.com", "--name", "Bea Boss"])
        .env("SHOP_ADMIN_PASSWORD", "a long admin passphrase")
        .output()
        .expect("create-admin");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Created administrator"));

    let out = shop(dir.path(), &url)
        .args(["create-admin", "--email", "boss@example.com"])
        .env("SHOP_ADMIN_PASSWORD", "short")
        .output()
        .expect("create-admin");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 10 characters"));

    let out = shop(dir.path(), &url)
        .args(["create-admin", "--email", "boss@example.com"])
        .env("SHOP_ADMIN_PASSWORD", "another long passphrase")
        .output()
        .expect("create-admin");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("now an administrator"));
}

/// The status line of a plain HTTP GET (no client library needed outside an async runtime).
fn http_get_status(base: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response.lines().next().unwrap_or_default().to_owned()
}
