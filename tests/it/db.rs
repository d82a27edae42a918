//! The database layer: the twin migration folders and their down migrations.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use shop::db::{Db, DbSettings, SqliteSetup, migrations};

use crate::helpers::*;

fn names(dialect: &str) -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(dialect);
    std::fs::read_dir(&dir)
        .expect("migration folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn both_migration_folders_hold_the_same_names() {
    let sqlite = names("sqlite");
    let postgres = names("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres, "every migration exists for both databases under one name");
    for dialect in ["sqlite", "postgres"] {
        for name in &sqlite {
            for file in ["up.sql", "down.sql"] {
                let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("migrations")
                    .join(dialect)
                    .join(name)
                    .join(file);
                assert!(path.is_file(), "{} is missing", path.display());
            }
        }
    }
}

#[test]
fn migrations_run_up_down_and_up_again() {
    let dir = tempfile::tempdir().expect("dir");
    let (url, _guard) = fresh_database(dir.path());
    let db = Db::connect(&DbSettings {
        url,
        pool_size: 2,
        sqlite: SqliteSetup { busy_timeout_ms: 5000, synchronous: "NORMAL".into() },
        min_free_mb: 0,
    })
    .expect("connect");
    db.read_blocking(|c| -> Result<(), shop::db::DbError> {
        let all = migrations::run_pending(c).expect("up");
        assert_eq!(all.len(), names("sqlite").len());
        let reverted = migrations::revert_all(c).expect("down");
        assert_eq!(reverted.len(), all.len(), "every down.sql ran");
        assert!(migrations::applied(c).expect("applied").is_empty());
        let again = migrations::run_pending(c).expect("up again");
        assert_eq!(again, all);
        Ok(())
    })
    .expect("migrations");
}

#[test]
fn sqlite_connections_are_set_up_as_designed() {
    if postgres_url().is_some() {
        return; // A PRAGMA check; the PostgreSQL run covers its own settings through the other tests.
    }
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Value {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }
    let dir = tempfile::tempdir().expect("dir");
    let db = Db::connect(&DbSettings {
        url: dir.path().join("x.sqlite3").to_string_lossy().into_owned(),
        pool_size: 1,
        sqlite: SqliteSetup { busy_timeout_ms: 5000, synchronous: "FULL".into() },
        min_free_mb: 0,
    })
    .expect("connect");
    let pragma = |name: &str| -> String {
        let column = if name == "busy_timeout" { "timeout" } else { name };
        let sql = format!("SELECT CAST({column} AS TEXT) AS v FROM pragma_{name}");
        db.read_blocking(|c| diesel::sql_query(sql).get_result::<Value>(c).map_err(shop::db::DbError::from))
            .expect("pragma")
            .v
    };
    assert_eq!(pragma("journal_mode"), "wal");
    assert_eq!(pragma("synchronous"), "2", "FULL");
    assert_eq!(pragma("foreign_keys"), "1");
    assert_eq!(pragma("busy_timeout"), "5000");
    assert_eq!(pragma("temp_store"), "2", "MEMORY");
}

/// Writes that meet at the writer share one commit, each in a savepoint of its own: a write that
/// fails rolls back only itself, and every caller hears how its own write ended.
#[tokio::test]
async fn concurrent_writes_share_commits_but_fail_alone() {
    let app = spawn_app().await;
    let writes = (0..60).map(|n| {
        let db = app.db.clone();
        async move {
            let result = db
                .write(move |c| {
                    shop::db::meta::insert_once(c, &format!("group-{n}"), "written")?;
                    if n % 3 == 0 {
                        // Fails after writing: its row must go, the others' must stay.
                        return Err(shop::db::DbError::Cancelled);
                    }
                    Ok(n)
                })
                .await;
            (n, result)
        }
    });
    let results = futures_util::future::join_all(writes).await;
    for (n, result) in &results {
        assert_eq!(result.is_ok(), n % 3 != 0, "write {n}: {result:?}");
    }
    let kept: Vec<String> = app.query(|c| {
        use diesel::prelude::*;
        shop::db::schema::app_meta::table
            .filter(shop::db::schema::app_meta::key.like("group-%"))
            .select(shop::db::schema::app_meta::key)
            .load(c)
    });
    let expected: BTreeSet<String> = (0..60).filter(|n| n % 3 != 0).map(|n| format!("group-{n}")).collect();
    assert_eq!(kept.into_iter().collect::<BTreeSet<_>>(), expected);
}

/// Set in the children of the test below: each one exits while its threads are connecting.
const EXIT_RACE_CHILD: &str = "SHOP_TEST_EXIT_RACE_CHILD";

/// A process that exits while threads are still opening PostgreSQL connections (pool threads
/// at shutdown, the test binary after its last test) must exit cleanly. Without
/// `establish_postgres` initialising OpenSSL first, about one such exit in ten crashed.
#[test]
fn exiting_while_connections_open_does_not_crash() {
    let Some(url) = postgres_url() else { return };
    if std::env::var_os(EXIT_RACE_CHILD).is_some() {
        for _ in 0..8 {
            let url = url.clone();
            std::thread::spawn(move || {
                loop {
                    drop(shop::db::establish_postgres(&url));
                }
            });
        }
        std::thread::sleep(std::time::Duration::from_millis(60));
        return;
    }
    let me = std::env::current_exe().expect("the test binary");
    let crashed: Vec<_> = (0..40)
        .map(|_| {
            std::process::Command::new(&me)
                .args(["--exact", "db::exiting_while_connections_open_does_not_crash", "--quiet"])
                .env(EXIT_RACE_CHILD, "1")
                .output()
                .expect("child runs")
                .status
        })
        .filter(|status| !status.success())
        .collect();
    assert!(crashed.is_empty(), "{} of 40 exits failed: {crashed:?}", crashed.len());
}

/// PostgreSQL goes away under a running shop, hangs, and comes back: pages fail within a few
/// seconds with the error page and a `Retry-After` (not after the pool's old 10 s, never empty),
/// `/healthz` says 503 within a second even while the server hangs, and the shop serves again by
/// itself once the server is back, sessions kept. (PostgreSQL only: SQLite has no server to lose.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_fail_fast_while_postgresql_is_away_and_come_back_by_themselves() {
    use std::time::{Duration, Instant};
    if postgres_url().is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let (real, _guard) = fresh_database(dir.path());
    let mut url = url::Url::parse(&real).expect("url");
    let upstream = url.socket_addrs(|| Some(5432)).expect("server address")[0];
    let gate = Gate::to(upstream).await;
    url.set_ip_host(gate.addr.ip()).expect("host");
    url.set_port(Some(gate.addr.port())).expect("port");
    let app = spawn_app_with(|s| s.database_url = Some(url.to_string())).await;
    let shopper = app.shopper().await;
    let b = app.logged_in(&shopper).await;
    assert_eq!(b.get("/catalog").await.status, StatusCode::OK);

    gate.set(GateMode::Closed);
    for (who, browser) in [("logged in", &b), ("new visitor", &app.browser())] {
        let asked = Instant::now();
        let page = browser.get("/catalog").await;
        let took = asked.elapsed();
        assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE, "{who}: {}", page.body);
        assert!(page.contains("Try again in a moment"), "{who}: {}", page.body);
        assert!(page.headers.contains_key("retry-after"), "{who}");
        assert!(took < Duration::from_secs(8), "{who}: the page took {took:?}");
    }
    let health = timed_health(&app).await;
    assert!(health.contains("database:"), "{}", health.body);

    gate.set(GateMode::Silent);
    let health = timed_health(&app).await;
    assert!(health.contains("did not answer"), "{}", health.body);
    let again = timed_health(&app).await;
    assert!(again.contains("database:"), "{}", again.body);

    gate.set(GateMode::Open);
    let reopened = Instant::now();
    loop {
        let page = b.get("/catalog").await;
        if page.status == StatusCode::OK {
            break;
        }
        assert!(reopened.elapsed() < Duration::from_secs(20), "not back after 20 s: {}", page.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(b.get("/account").await.path(), "/account", "the session outlived the outage");
    assert_eq!(app.browser().get("/healthz").await.status, StatusCode::OK);
}

/// `/healthz` answered 503, and within two seconds.
async fn timed_health(app: &TestApp) -> Page {
    let asked = std::time::Instant::now();
    let page = app.browser().get("/healthz").await;
    let took = asked.elapsed();
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE, "{}", page.body);
    assert!(took < std::time::Duration::from_secs(2), "/healthz took {took:?}");
    page
}
