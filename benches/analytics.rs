//! Analytics figures (issue 16), in a release build: `cargo bench --bench analytics`.
//!
//! A demo shop (the demo catalog, offices and salespeople) gets `ANALYTICS_BENCH_SALES`
//! (1,000,000) sales and `ANALYTICS_BENCH_REQUESTS` (1,000,000) purchase requests over the last
//! 365 days, through `shop::demo::seed_history` (what `shop seed-demo --sales N --requests N`
//! runs). Then:
//! 1. **Each prepared analysis computed** (`analytics::compute`, the reading of the stores and the
//!    assembling of the suppressed tables) for the widest design (all kinds, the whole year, the
//!    market) and a narrow one (one kind, the last month, one office); `ANALYTICS_BENCH_ROUNDS` (5)
//!    times each.
//! 2. **A stored report's page** `GET /sell/analytics/{id}` over HTTP as the logged-in salesperson,
//!    for the largest report (the widest sales extract) and a small one; 200 times each.
//!
//! SQLite by default, in a data folder kept between runs when `ANALYTICS_BENCH_DIR` names one (the
//! seeding is then done once); PostgreSQL when `ANALYTICS_BENCH_PG` names a database URL (seeded
//! when its history is empty).

mod common;

use std::time::{Duration, Instant};

use chrono::Duration as Days;
use common::{env, field, report};
use shop::accounts::{PersonalData, Registration, Role, UserId};
use shop::analytics::analyses::Analysis;
use shop::analytics::rules::Granularity;
use shop::analytics::{self, Design};
use shop::config::{Config, Settings};
use shop::db::Db;

const PASSWORD: &str = "correct horse battery";
const ANALYST: &str = "analyst@bench.test";

fn settings(dir: &std::path::Path, database_url: Option<String>) -> Settings {
    Settings {
        sqlite_synchronous: "NORMAL".into(),
        demo: true,
        log: "error".into(),
        ..Settings::for_tests(dir, database_url)
    }
}

/// The salesperson who buys the reports: on the staff of an office of their own, with money in it.
async fn analyst(db: &Db, accounts: &shop::accounts::Accounts) -> UserId {
    if let Some(user) = db.read(|c| shop::accounts::find_user_by_email(c, ANALYST)).await.expect("lookup") {
        return user.id;
    }
    let form = Registration {
        email: ANALYST.into(),
        password: PASSWORD.into(),
        password_again: PASSWORD.into(),
        personal: PersonalData {
            full_name: "Bench Analyst".into(),
            postal_address: "1 Bench Road\n10115 Benchtown".into(),
            phone: "+1 555 0100".into(),
        },
    };
    let user = accounts.create(form, vec![Role::Salesperson]).await.expect("analyst");
    let id = user.clone();
    db.write(move |c| {
        let now = shop::db::now();
        let office = shop::echeck::RegistryForm {
            code: "ANALYST".into(),
            name: "Analyst Office".into(),
            address: "1 Bench Road".into(),
            phone: "+1 555 0100".into(),
            fax: "+1 555 0101".into(),
            bank: "Bench Bank".into(),
            bank_account: "B-1".into(),
        };
        shop::echeck::register::<shop::echeck::Office>(c, None, &office, now)?;
        shop::echeck::add_staff::<shop::echeck::Office>(c, None, "ANALYST", &id, now)?;
        let office = shop::echeck::office_for(c, &id)?;
        let account = shop::echeck::open_account(c, shop::echeck::AccountKind::Office, office.id.as_str(), now)?;
        let m = shop::echeck::Movement {
            account: account.id,
            amount: 100_000_000,
            reason: "bench deposit".into(),
            key: shop::web::idempotency::IdempotencyKey::new(),
        };
        shop::echeck::deposit(c, &m, None, now)?;
        Ok::<_, shop::echeck::EcheckError>(())
    })
    .await
    .expect("office");
    user
}

async fn history_rows(db: &Db) -> (i64, i64) {
    db.read(|c| {
        use diesel::prelude::*;
        let sales: i64 = shop::db::schema::sales::table.count().get_result(c)?;
        let requests: i64 = shop::db::schema::purchase_requests::table.count().get_result(c)?;
        Ok::<_, shop::db::DbError>((sales, requests))
    })
    .await
    .expect("counts")
}

/// The designs measured: the widest, and a narrow one of a salesperson's everyday.
fn designs(analysis: Analysis, kind: &shop::catalog::KindId, office: &shop::echeck::OfficeId) -> [(String, Design); 2] {
    let today = shop::db::now().date();
    let widest = Design {
        analysis,
        kind: None,
        from: today - Days::days(364),
        last: today,
        granularity: Granularity::Month,
        office: None,
    };
    let narrow = Design {
        analysis,
        kind: Some(kind.clone()),
        from: today - Days::days(30),
        last: today,
        granularity: Granularity::Week,
        office: Some(office.clone()),
    };
    [
        (format!("{}, all kinds, 365 days, market", analysis.as_str()), widest),
        (format!("{}, one kind, 31 days, one office", analysis.as_str()), narrow),
    ]
}

/// A kind and an office with sales on the last day: the narrow design reads something.
async fn busy_kind_and_office(db: &Db) -> (shop::catalog::KindId, shop::echeck::OfficeId) {
    db.read(|c| {
        use diesel::prelude::*;
        use shop::db::schema::daily_sales::dsl as t;
        let (kind, office): (String, String) =
            t::daily_sales.order(t::day.desc()).select((t::kind_id, t::office_id)).first(c)?;
        Ok::<_, anyhow::Error>((kind.parse()?, office.parse()?))
    })
    .await
    .expect("a kind and an office with sales")
}

async fn computing(db: &Db, rounds: usize) {
    let (kind, office) = busy_kind_and_office(db).await;
    for analysis in Analysis::ALL.iter().copied() {
        for (what, design) in designs(analysis, &kind, &office) {
            let d = design.clone();
            let (times, rows) = db
                .read(move |c| {
                    let mut times = Vec::new();
                    let mut rows = 0;
                    for _ in 0..rounds {
                        let started = Instant::now();
                        let tables = analytics::compute(c, &d, 5, None, "EUR")?;
                        times.push(started.elapsed());
                        rows = tables.iter().map(|t| t.rows.len()).sum();
                    }
                    Ok::<_, analytics::AnalyticsError>((times, rows))
                })
                .await
                .expect("computed");
            report(&format!("{what} ({rows} rows)"), times);
        }
    }
}

async fn log_in(base: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = client.get(format!("{base}/login")).send().await.expect("GET").text().await.expect("body");
    let token = field(&page, "csrf_token");
    let answer = client
        .post(format!("{base}/login"))
        .form(&[("csrf_token", token.as_str()), ("email", ANALYST), ("password", PASSWORD)])
        .send()
        .await
        .expect("POST");
    assert_eq!(answer.status(), 303, "logged in");
    client
}

async fn viewing(base: &str, db: &Db, seller: &UserId, what: &str, design: Design) {
    let seller = seller.clone();
    let started = Instant::now();
    let prepared = db.read(move |c| analytics::prepare(c, &design)).await.expect("computed");
    let bought = db
        .write(move |c| {
            let key = shop::web::idempotency::IdempotencyKey::new().to_string();
            analytics::buy(c, &seller, prepared, &key, shop::db::now())
        })
        .await
        .expect("bought");
    let bought_in = started.elapsed();
    let client = log_in(base).await;
    let url = format!("{base}/sell/analytics/{}", bought.id);
    let mut times: Vec<Duration> = Vec::new();
    let mut size = 0;
    for _ in 0..200 {
        let started = Instant::now();
        let page = client.get(&url).send().await.expect("GET");
        assert_eq!(page.status(), 200, "{url}");
        size = page.bytes().await.expect("body").len();
        times.push(started.elapsed());
    }
    report(
        &format!(
            "page of {what} ({} KB stored, {} KB page; bought in {:.0} ms)",
            bought.tables.len() / 1024,
            size / 1024,
            bought_in.as_secs_f64() * 1000.0
        ),
        times,
    );
}

#[tokio::main]
async fn main() {
    let sales: usize = env("ANALYTICS_BENCH_SALES", 1_000_000);
    let requests: usize = env("ANALYTICS_BENCH_REQUESTS", 1_000_000);
    let rounds: usize = env("ANALYTICS_BENCH_ROUNDS", 5);
    let pg = std::env::var("ANALYTICS_BENCH_PG").ok();
    let temp = tempfile::tempdir().expect("dir");
    let dir = std::env::var("ANALYTICS_BENCH_DIR").map(std::path::PathBuf::from).unwrap_or_else(|_| temp.path().into());
    std::fs::create_dir_all(&dir).expect("data folder");
    let config = Config::from_settings(settings(&dir, pg.clone())).expect("config");
    let app = shop::build(config.clone()).await.expect("build");
    let base = format!("http://{}", app.addr());
    let db = app.db().clone();
    tokio::spawn(app.run());
    let accounts = shop::accounts(&db, &config).expect("accounts");
    let seller = analyst(&db, &accounts).await;

    let (have_sales, have_requests) = history_rows(&db).await;
    let (more_sales, more_requests) =
        (sales.saturating_sub(have_sales as usize), requests.saturating_sub(have_requests as usize));
    if more_sales + more_requests > 0 {
        let started = Instant::now();
        let (s, r) = shop::demo::seed_history(&accounts, "EUR", more_sales, more_requests).await.expect("seeded");
        eprintln!("seeded {s} sales and {r} requests in {:.1} s", started.elapsed().as_secs_f64());
    }
    let (have_sales, have_requests) = history_rows(&db).await;
    println!(
        "{} with {have_sales} sales and {have_requests} purchase requests",
        if pg.is_some() { "PostgreSQL" } else { "SQLite" }
    );

    computing(&db, rounds).await;

    let (kind, office) = busy_kind_and_office(&db).await;
    let [(_, widest), _] = designs(Analysis::Sales, &kind, &office);
    viewing(&base, &db, &seller, "the widest sales extract", widest).await;
    let [_, (_, narrow)] = designs(Analysis::Volume, &kind, &office);
    viewing(&base, &db, &seller, "a volume report, one kind, 31 days", Design { office: None, ..narrow }).await;
}
