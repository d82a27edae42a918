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

/// `shop backup` while buyers place orders: the copy is private, whole, and holds every order
/// acknowledged before the backup began; `shop restore` refuses while a shop has the database
/// open, and puts the copy into a fresh data folder, where the books balance and the stock adds up.
/// (Backups of SQLite; a PostgreSQL shop uses pg_dump, so this runs on SQLite in either suite.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_order_load_restores_every_acknowledged_order_with_balanced_books() {
    use std::time::Instant;
    let app = spawn_app_with(|s| {
        s.database_url = Some(s.data_dir.join("live.sqlite3").to_string_lossy().into_owned());
    })
    .await;
    let live = app.config.database_url.clone();
    let w = app.order_world().await;
    let stock = 10_000;
    let code = app.stocked_offer(&w.seller, "Acme", "B1", "10.00", stock).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut buyers = tokio::task::JoinSet::new();
    for b in 0..6 {
        let person = app.create_user(&format!("Buyer {b}"), &[shop::accounts::Role::Shopper]).await;
        let shopper = app.logged_in(&person).await;
        let (code, stop) = (code.clone(), stop.clone());
        buyers.spawn(async move {
            let mut acknowledged = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                shopper.add_to_cart(&code, "1").await;
                // Cash on delivery: the e-check's credit line would run out first.
                let number = order_number(&shopper.check_out(&[("payment", "cash")]).await);
                acknowledged.push((number, Instant::now()));
            }
            acknowledged
        });
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let scratch = tempfile::tempdir().expect("dir");
    let copy = scratch.path().join("shop-backup.sqlite3");
    let began = Instant::now();
    let out = {
        let mut cmd = shop(scratch.path(), &live);
        cmd.args(["backup", &copy.to_string_lossy()]);
        tokio::task::spawn_blocking(move || cmd.output().expect("backup runs")).await.expect("backup")
    };
    assert!(out.status.success(), "backup: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("integrity check ok"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut before = Vec::new();
    let mut all = 0;
    while let Some(run) = buyers.join_next().await {
        let run = run.expect("a buyer's run");
        all += run.len();
        before.extend(run.into_iter().filter(|(_, at)| *at < began).map(|(number, _)| number));
    }
    assert!(!before.is_empty() && all > before.len(), "orders before ({}) and during the backup ({all})", before.len());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy).expect("copy").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the copy holds names and addresses");
    }
    let again = shop(scratch.path(), &live).args(["backup", &copy.to_string_lossy()]).output().expect("runs");
    assert!(!again.status.success(), "a backup never overwrites a file");

    // Not over a database a shop has open.
    let refused = shop(scratch.path(), &live).args(["restore", &copy.to_string_lossy()]).output().expect("runs");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("has this database open"), "{refused:?}");

    // Into a fresh data folder (the default database file there).
    let fresh = tempfile::tempdir().expect("dir");
    let mut restore = shop(fresh.path(), "");
    restore.env_remove("DATABASE_URL").args(["restore", &copy.to_string_lossy()]);
    let restored = restore.output().expect("restore runs");
    assert!(restored.status.success(), "restore: {}", String::from_utf8_lossy(&restored.stderr));
    let settings = shop::config::Settings::for_tests(fresh.path(), None);
    let (db, _) = shop::open_database(&shop::config::Config::from_settings(settings).expect("config")).expect("opens");
    let numbers: std::collections::BTreeSet<String> = db
        .read_blocking(|c| {
            use diesel::prelude::*;
            use shop::db::schema::orders::dsl::*;
            orders.select(number).load::<String>(c).map_err(shop::db::DbError::from)
        })
        .expect("orders")
        .into_iter()
        .collect();
    let missing: Vec<&String> = before.iter().filter(|n| !numbers.contains(*n)).collect();
    assert!(missing.is_empty(), "acknowledged before the backup, missing from it: {missing:?}");
    let books = db.read_blocking(shop::echeck::books).expect("books");
    assert!(books.balanced(), "{books:?}");
    let left = db
        .read_blocking(|c| shop::orders::price_cart(c, None, vec![cart_line(&code)], "EUR"))
        .map(|cart| cart.rows[0].stock())
        .expect("stock");
    assert_eq!(left + numbers.len() as i64, stock, "every unit is in stock or in an order of the copy");
}

/// The crash test kept from the fault hunt: `shop serve` (synchronous=FULL) is killed with
/// SIGKILL at random moments while six buyers place orders, and started again, five times on
/// SQLite and three on PostgreSQL. Every order a buyer saw acknowledged exists, the stock and the
/// orders agree unit for unit, the books balance, and SQLite's integrity check is ok.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_mid_load_and_restarted_the_shop_loses_no_acknowledged_order() {
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    let cycles = if postgres_url().is_some() { 3 } else { 5 };
    let stock = 100_000;
    // Fixtures through the library, then the in-process shop stops and the binary takes over.
    let dir = tempfile::tempdir().expect("dir");
    let sqlite = dir.path().join("crash.sqlite3").to_string_lossy().into_owned();
    let (url, _guard, code, buyers) = {
        let app = spawn_app_with(|s| {
            if postgres_url().is_none() {
                s.database_url = Some(sqlite);
            }
        })
        .await;
        let w = app.order_world().await;
        let code = app.stocked_offer(&w.seller, "Acme", "K9", "10.00", stock).await;
        let mut buyers = Vec::new();
        for b in 0..6 {
            buyers.push(app.create_user(&format!("Buyer {b}"), &[shop::accounts::Role::Shopper]).await);
        }
        (app.config.database_url.clone(), app.keep_database(), code, buyers)
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let base = format!("http://127.0.0.1:{port}");
    let start = || {
        let mut cmd = shop(dir.path(), &url);
        cmd.env("SHOP_ADDR", format!("127.0.0.1:{port}")).env("SHOP_SQLITE_SYNCHRONOUS", "FULL");
        cmd.env("SHOP_DEMO", "false").stdout(Stdio::null()).spawn().expect("start shop")
    };
    let mut server = start();
    wait_until_serving(&base).await;

    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let mut runs = tokio::task::JoinSet::new();
    for person in buyers {
        let (base, code, stop) = (base.clone(), code.clone(), stop.clone());
        runs.spawn(async move {
            let b = Browser::new(&base);
            let mut acknowledged = Vec::new();
            let mut logged_in = false;
            while !stop.load(Relaxed) {
                if !logged_in {
                    logged_in = b.try_log_in(&person.email, &person.password).await.is_ok_and(|p| p.path() == "/");
                }
                match b.try_order(&code).await {
                    Ok(Some(number)) => acknowledged.push(number),
                    Ok(None) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
            acknowledged
        });
    }
    for cycle in 0..cycles {
        tokio::time::sleep(Duration::from_millis(800 + rand::random::<u64>() % 1700)).await;
        server.kill().expect("SIGKILL");
        server.wait().expect("reaped");
        server = start();
        wait_until_serving(&base).await;
        eprintln!("crash cycle {} of {cycles} done", cycle + 1);
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    stop.store(true, Relaxed);
    let mut acknowledged = Vec::new();
    while let Some(run) = runs.join_next().await {
        acknowledged.extend(run.expect("a buyer's run"));
    }
    server.kill().expect("SIGKILL");
    server.wait().expect("reaped");

    let settings = shop::config::Settings {
        database_url: Some(url.clone()),
        ..shop::config::Settings::for_tests(dir.path(), None)
    };
    let (db, _) = shop::open_database(&shop::config::Config::from_settings(settings).expect("config")).expect("opens");
    let (numbers, ordered): (Vec<String>, Vec<i64>) = db
        .read_blocking(|c| {
            use diesel::prelude::*;
            use shop::db::schema::{order_items, orders};
            let numbers = orders::table.select(orders::number).load::<String>(c)?;
            let live = orders::table
                .inner_join(order_items::table)
                .filter(orders::state.ne("cancelled"))
                .filter(order_items::offer_code.eq(&code))
                .select(order_items::quantity)
                .load::<i64>(c)?;
            Ok::<_, shop::db::DbError>((numbers, live))
        })
        .expect("orders");
    let numbers: std::collections::BTreeSet<String> = numbers.into_iter().collect();
    assert!(acknowledged.len() > 20, "the buyers got orders through: {}", acknowledged.len());
    let lost: Vec<&String> = acknowledged.iter().filter(|n| !numbers.contains(*n)).collect();
    assert!(lost.is_empty(), "acknowledged and lost: {lost:?}");
    let left = db
        .read_blocking(|c| shop::orders::price_cart(c, None, vec![cart_line(&code)], "EUR"))
        .map(|cart| cart.rows[0].stock())
        .expect("stock");
    assert_eq!(left + ordered.iter().sum::<i64>(), stock, "stock and orders agree");
    let books = db.read_blocking(shop::echeck::books).expect("books");
    assert!(books.balanced(), "{books:?}");
    if db.backend() == shop::db::Backend::Sqlite {
        let check = shop::db::backup::check_copy(std::path::Path::new(&url));
        assert!(check.is_ok(), "{check:?}");
    }
    eprintln!("{cycles} crashes: {} orders acknowledged, {} in the database", acknowledged.len(), numbers.len());
}

async fn wait_until_serving(base: &str) {
    let b = Browser::new(base);
    for _ in 0..600 {
        if b.try_get("/healthz").await.is_ok_and(|p| p.status == reqwest::StatusCode::OK) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the shop did not come up at {base}");
}
