//! Placed orders per second through HTTP: `cargo bench --bench orders`. The real app in-process
//! (release build), 16 clients that each log in once and then, again and again, add an offer to
//! the cart (POST), open the checkout (GET, for the form's fingerprint) and place the order with
//! an e-check (POST). A few offers have little stock, so they sell out under the load; at the end
//! every offer's stock is checked against the units ordered: nothing may be oversold.
//!
//! `ORDERS_BENCH_FLOWS=orders,anon,orders,anon` takes turns on the same shop between that flow and
//! complete anonymous purchases by visitors (purchase request answered with its results → pick →
//! pay by prepaid card), `ORDERS_BENCH_SECONDS` each; the stock check counts both. The flow
//! `points` is `orders` with collection points redeemed on every order (`POINTS_PER_ORDER`).
//! Each turn also prints the process's CPU time per completed flow (server and clients: the
//! clients' share is the same in `orders` and `points`).
//!
//! SQLite by default (`ORDERS_BENCH_SYNC=FULL|NORMAL`, FULL by default as the shop runs); with
//! `SHOP_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test` on a new PostgreSQL
//! database instead. `ORDERS_BENCH_SECONDS` (15) and `ORDERS_BENCH_CLIENTS` (16) change the run.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use shop::accounts::{PersonalData, Registration, Role, UserId};
use shop::config::{Config, Settings};
use shop::db::Db;

const PASSWORD: &str = "correct horse battery";
const OFFERS: usize = 40;
/// Offers 0..HOT have little stock and sell out during the run.
const HOT: usize = 4;
const HOT_STOCK: i64 = 40;
const STOCK: i64 = 100_000;
/// Points each order of the `points` flow uses (one point is worth 0.01).
const POINTS_PER_ORDER: &str = "100";

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn settings(dir: &std::path::Path, database_url: Option<String>, synchronous: &str) -> Settings {
    Settings {
        db_pool_size: 24,
        db_threads: std::env::var("SHOP_DB_THREADS").ok().and_then(|n| n.parse().ok()),
        sqlite_synchronous: synchronous.into(),
        login_attempts_per_account: 1_000_000,
        login_attempts_per_address: 1_000_000,
        card_attempts_per_address: 1_000_000,
        mail_poll_millis: 1000,
        mail_retry_seconds: 30,
        anon_notice_seconds: 2,
        log: "error".into(),
        ..Settings::for_tests(dir, database_url)
    }
}

fn person(name: &str) -> PersonalData {
    PersonalData {
        full_name: name.into(),
        postal_address: "1 Bench Road\nBenchtown".into(),
        phone: "+1 555 0100".into(),
    }
}

async fn user(accounts: &shop::accounts::Accounts, email: &str, role: Role) -> UserId {
    let form = Registration {
        email: email.into(),
        password: PASSWORD.into(),
        password_again: PASSWORD.into(),
        personal: person(email),
    };
    accounts.create(form, vec![role]).await.expect("user")
}

/// A selling office with one salesperson, a carrier, a kind, the offers; returns their codes.
async fn catalog(db: &Db, seller: &UserId) -> Vec<String> {
    let seller = seller.clone();
    db.write(move |c| {
        let now = shop::db::now();
        let office = shop::echeck::RegistryForm {
            code: "BENCH".into(),
            name: "Bench Office".into(),
            address: "1 Bench Road".into(),
            phone: "+1 555 0100".into(),
            fax: "+1 555 0101".into(),
            bank: "Bench Bank".into(),
            bank_account: "B-1".into(),
        };
        shop::echeck::register::<shop::echeck::Office>(c, None, &office, now).expect("office");
        shop::echeck::add_staff::<shop::echeck::Office>(c, None, "BENCH", &seller, now).expect("staff");
        let carrier = shop::echeck::RegistryForm {
            code: "SWIFT".into(),
            name: "Swift".into(),
            address: "2 Bench Road".into(),
            phone: "+1 555 0102".into(),
            ..Default::default()
        };
        shop::echeck::register::<shop::echeck::Carrier>(c, None, &carrier, now).expect("carrier");
        shop::catalog::create_kind(c, "toner", "Toner cartridge").expect("kind");
        let mut codes = Vec::new();
        for i in 0..OFFERS {
            let product = shop::catalog::ProductForm {
                maker: "Acme".into(),
                model: format!("T-{i}"),
                name: format!("Acme toner T-{i}"),
                ..Default::default()
            };
            let stock = if i < HOT { HOT_STOCK } else { STOCK };
            let offer = shop::catalog::OfferForm {
                price: format!("{}.90", 20 + i),
                stock: stock.to_string(),
                guarantee_months: "12".into(),
                cooling_off_days: "14".into(),
                ..Default::default()
            };
            codes.push(
                shop::catalog::create_product_and_offer(c, &seller, "toner", &product, &offer, "EUR").expect("offer"),
            );
        }
        Ok::<_, shop::db::DbError>(codes)
    })
    .await
    .expect("catalog")
}

fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap_or_else(|| panic!("no {name} in page")) + marker.len();
    page[start..].split('"').next().unwrap_or_default().to_owned()
}

#[derive(Default)]
struct Tally {
    placed: AtomicUsize,
    sold_out: AtomicUsize,
}

/// One client: logs in, then orders until `until`; returns the time each placed order took.
async fn client(
    base: String,
    email: String,
    codes: Arc<Vec<String>>,
    n: usize,
    tally: Arc<Tally>,
    until: Instant,
    points: &'static str,
) -> Vec<Duration> {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let login = http.get(format!("{base}/login")).send().await.expect("login page").text().await.expect("body");
    let form = [("csrf_token", field(&login, "csrf_token")), ("email", email), ("password", PASSWORD.into())];
    let response = http.post(format!("{base}/login")).form(&form).send().await.expect("login");
    assert_eq!(response.status().as_u16(), 303, "login");
    let cart = http.get(format!("{base}/cart")).send().await.expect("cart").text().await.expect("body");
    let token = field(&cart, "csrf_token");
    let mut times = Vec::new();
    let mut i = n;
    while Instant::now() < until {
        let code = &codes[i % codes.len()];
        i += 7;
        let started = Instant::now();
        let added = http
            .post(format!("{base}/cart/add"))
            .form(&[("csrf_token", token.as_str()), ("offer", code), ("quantity", "1")])
            .send()
            .await
            .expect("add");
        let status = added.status().as_u16();
        added.bytes().await.expect("body");
        if status != 303 {
            tally.sold_out.fetch_add(1, Ordering::Relaxed);
            continue; // sold out before it reached the cart
        }
        let checkout = http.get(format!("{base}/checkout")).send().await.expect("checkout").text().await.expect("body");
        let (quote, key) = (field(&checkout, "quote"), field(&checkout, "key"));
        let placed = http
            .post(format!("{base}/checkout"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("quote", &quote),
                ("key", &key),
                ("address", "1 Bench Road\nBenchtown"),
                ("date", ""),
                ("slot", ""),
                ("payment", "echeck"),
                ("carrier", "SWIFT"),
                ("points", points),
            ])
            .send()
            .await
            .expect("place");
        let status = placed.status().as_u16();
        placed.bytes().await.expect("body");
        match status {
            303 => {
                times.push(started.elapsed());
                tally.placed.fetch_add(1, Ordering::Relaxed);
            }
            409 => {
                // Sold out between adding and placing: empty the cart and go on.
                tally.sold_out.fetch_add(1, Ordering::Relaxed);
                let remove = http
                    .post(format!("{base}/cart/{code}/remove"))
                    .form(&[("csrf_token", token.as_str())])
                    .send()
                    .await
                    .expect("remove");
                remove.bytes().await.expect("body");
            }
            other => panic!("checkout answered {other}"),
        }
    }
    times
}

/// One visitor buying anonymously until `until`: request, results, pick, pay with its card.
/// Returns the time of each request of the completed flows.
async fn anon_client(base: String, card: String, n: usize, tally: Arc<Tally>, until: Instant) -> Vec<Duration> {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let form = http.get(format!("{base}/anon?kind=toner")).send().await.expect("form").text().await.expect("body");
    let token = field(&form, "csrf_token");
    let mut times = Vec::new();
    let mut i = n;
    let location = |r: &reqwest::Response| {
        r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    };
    while Instant::now() < until {
        i += 7;
        let mut flow = Vec::with_capacity(4);
        let t = Instant::now();
        let asked = http
            .post(format!("{base}/anon"))
            .form(&[("csrf_token", token.as_str()), ("kind", "toner"), ("price_max", "100")])
            .send()
            .await
            .expect("request");
        assert_eq!(asked.status().as_u16(), 200, "request");
        let page = asked.text().await.expect("results");
        flow.push(t.elapsed());
        let results_token =
            page.split("action=\"/anon/results/").nth(1).and_then(|p| p.split('/').next()).expect("results");
        let results = format!("/anon/results/{results_token}");
        let offers: Vec<&str> =
            page.split("name=\"offer\" value=\"").skip(1).filter_map(|p| p.split('"').next()).collect();
        let offer = offers[i % offers.len()];
        let t = Instant::now();
        let picked = http
            .post(format!("{base}{results}/pick"))
            .form(&[("csrf_token", token.as_str()), ("key", &field(&page, "key")), ("offer", offer), ("quantity", "1")])
            .send()
            .await
            .expect("pick");
        let status = picked.status().as_u16();
        let link = location(&picked);
        picked.bytes().await.expect("body");
        flow.push(t.elapsed());
        if status == 409 {
            tally.sold_out.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        assert_eq!(status, 303, "pick");
        let t = Instant::now();
        let paid = http
            .post(format!("{base}{link}/pay"))
            .form(&[("csrf_token", token.as_str()), ("card", card.as_str()), ("point", "BENCH")])
            .send()
            .await
            .expect("pay");
        assert_eq!(paid.status().as_u16(), 303, "pay");
        paid.bytes().await.expect("body");
        flow.push(t.elapsed());
        tally.placed.fetch_add(1, Ordering::Relaxed);
        if std::env::var("ORDERS_BENCH_STEPS").is_ok() && i.is_multiple_of(97) {
            let ms: Vec<String> = flow.iter().map(|d| format!("{:.1}", d.as_secs_f64() * 1000.0)).collect();
            eprintln!("steps ms (request with results, pick, pay): {}", ms.join(" "));
        }
        times.extend(flow);
    }
    times
}

/// `ORDERS_BENCH_SQL_TRACE=1`: after each turn, the statements it ran that the database parsed
/// again at every run (never kept prepared), the most run first, per completed flow.
mod sql_trace {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use diesel::connection::{Instrumentation, InstrumentationEvent};

    /// SQL text -> (runs since the last report, kept prepared by any connection so far)
    static SEEN: Mutex<Option<HashMap<String, (u64, bool)>>> = Mutex::new(None);

    fn note(sql: &str, kept: bool) {
        let sql = sql.split(" -- binds:").next().unwrap_or_default().to_owned();
        let mut seen = SEEN.lock().expect("trace");
        let entry = seen.get_or_insert_with(HashMap::new).entry(sql).or_default();
        if kept { entry.1 = true } else { entry.0 += 1 }
    }

    pub fn instrumentation() -> Option<Box<dyn Instrumentation>> {
        Some(Box::new(|event: InstrumentationEvent<'_>| match event {
            InstrumentationEvent::StartQuery { query, .. } => note(&query.to_string(), false),
            InstrumentationEvent::CacheQuery { sql, .. } => note(sql, true),
            _ => {}
        }))
    }

    /// Prints (for `flows` completed flows; none: prints nothing) and starts counting afresh.
    pub fn report(flows: usize) {
        let mut seen = SEEN.lock().expect("trace");
        let Some(seen) = seen.as_mut() else { return };
        let mut never_kept: Vec<_> = seen.iter().filter(|(_, (runs, kept))| !kept && *runs > 0).collect();
        never_kept.sort_by_key(|(_, (runs, _))| std::cmp::Reverse(*runs));
        for (sql, (runs, _)) in never_kept.iter().take(25).filter(|_| flows > 0) {
            let short: String = sql.chars().take(160).collect();
            eprintln!("  {:6.2}/flow  {short}", *runs as f64 / flows as f64);
        }
        seen.values_mut().for_each(|(runs, _)| *runs = 0);
    }
}

/// The process's CPU time so far (user + system), from /proc.
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
    let ticks: f64 = fields.get(11..13).map_or(0.0, |f| f.iter().filter_map(|v| v.parse::<f64>().ok()).sum());
    ticks / 100.0
}

/// The buyer as a member of the collection with points for the whole run; the shop's account
/// funded to pay the sellers the reductions.
async fn members(db: &Db, user: &UserId) {
    let user = user.clone();
    db.write(move |c| {
        let now = shop::db::now();
        let member = shop::collection::register(c, &user, now)?;
        shop::collection::adjust(c, &member.card_number, "100000000", "bench", &user, "EUR", now)?;
        let platform = shop::echeck::platform(c).map_err(|e| anyhow::anyhow!("{e}"))?;
        let fund = shop::echeck::Movement {
            account: platform.id,
            amount: 10_000_000_000,
            reason: "bench".into(),
            key: shop::web::idempotency::IdempotencyKey::named(&format!("fund-{user}")),
        };
        shop::echeck::deposit(c, &fund, None, now).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok::<_, anyhow::Error>(())
    })
    .await
    .expect("member");
}

/// A pickup point and one prepaid card per client, with money enough for the run.
async fn anon_setup(db: &Db, config: &Config, admin: UserId, clients: usize) -> Vec<String> {
    let terms = shop::anon_terms(config);
    db.write(move |c| {
        let now = shop::db::now();
        let point = shop::anonymity::PointForm {
            code: "BENCH".into(),
            name: "Bench Pickup".into(),
            address: "3 Bench Road".into(),
            opening_hours: "always".into(),
        };
        shop::anonymity::register_point(c, &point, now)?;
        let key = shop::web::idempotency::IdempotencyKey::new().to_string();
        let issued = shop::anonymity::issue_batch(c, &terms, &clients.to_string(), "10000000.00", &key, &admin, now)?;
        Ok::<_, shop::anonymity::AnonError>(issued.codes)
    })
    .await
    .expect("anonymous purchase setup")
}

/// Units ordered per offer against the stock left: (offers checked, units oversold).
fn oversold(db: &Db, codes: &[String]) -> (usize, i64) {
    use shop::db::schema::{anon_orders, offers, order_items};
    db.read_blocking(|c| {
        let mut over = 0;
        for (i, code) in codes.iter().enumerate() {
            let (id, stock): (String, i64) =
                offers::table.filter(offers::code.eq(code)).select((offers::id, offers::stock)).first(c)?;
            let mut quantities: Vec<i64> =
                order_items::table.filter(order_items::offer_code.eq(code)).select(order_items::quantity).load(c)?;
            quantities.extend(
                anon_orders::table
                    .filter(anon_orders::offer_id.eq(&id))
                    .filter(anon_orders::state.ne("expired"))
                    .select(anon_orders::quantity)
                    .load::<i64>(c)?,
            );
            let initial = if i < HOT { HOT_STOCK } else { STOCK };
            let ordered: i64 = quantities.iter().sum();
            assert_eq!(initial - stock, ordered, "offer {code}: stock and orders disagree");
            over += (-stock).max(0);
        }
        Ok::<_, shop::db::DbError>((codes.len(), over))
    })
    .expect("stock check")
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    if std::env::var("ORDERS_BENCH_SQL_TRACE").is_ok() {
        diesel::connection::set_default_instrumentation(sql_trace::instrumentation).expect("instrumentation");
    }
    let seconds: u64 = env("ORDERS_BENCH_SECONDS", 15);
    let clients: usize = env("ORDERS_BENCH_CLIENTS", 16);
    let synchronous: String = env("ORDERS_BENCH_SYNC", "FULL".to_owned());
    let dir = tempfile::tempdir().expect("dir");
    let pg_admin = std::env::var("SHOP_BENCH_POSTGRES_URL").ok().filter(|u| !u.is_empty());
    let pg_name = format!("shop_bench_{}", hex::encode(rand::random::<[u8; 6]>()));
    let url = pg_admin.as_ref().map(|admin| {
        let mut conn = shop::db::establish_postgres(admin).expect("PostgreSQL");
        diesel::sql_query(format!("CREATE DATABASE {pg_name}")).execute(&mut conn).expect("create database");
        let mut url = url::Url::parse(admin).expect("url");
        url.set_path(&pg_name);
        url.to_string()
    });
    let config = Config::from_settings(settings(dir.path(), url, &synchronous)).expect("config");
    let app = shop::build(config.clone()).await.expect("build");
    let base = format!("http://{}", app.addr());
    let db = app.db().clone();
    tokio::spawn(app.run());
    let accounts = shop::accounts(&db, &config).expect("accounts");

    let seller = user(&accounts, "seller@bench.test", Role::Salesperson).await;
    let codes = Arc::new(catalog(&db, &seller).await);
    let mut emails = Vec::new();
    // Buyers 0..clients order without points; the next `clients` are members who use points.
    for n in 0..2 * clients {
        let email = format!("buyer{n}@bench.test");
        let id = user(&accounts, &email, Role::Shopper).await;
        if n >= clients {
            members(&db, &id).await;
        }
        db.write(move |c| {
            let account = shop::echeck::open_shopper_account(c, &id, shop::db::now())?;
            let m = shop::echeck::Movement {
                account: account.id,
                amount: 10_000_000_000,
                reason: "bench".into(),
                key: shop::web::idempotency::IdempotencyKey::named(&format!("bench-{id}")),
            };
            shop::echeck::deposit(c, &m, None, shop::db::now())
        })
        .await
        .expect("deposit");
        emails.push(email);
    }

    let admin = user(&accounts, "admin@bench.test", Role::Admin).await;
    let cards = anon_setup(&db, &config, admin, clients).await;
    let backend =
        if pg_admin.is_some() { "PostgreSQL".to_owned() } else { format!("SQLite synchronous={synchronous}") };
    let flows: String = env("ORDERS_BENCH_FLOWS", "orders".to_owned());
    // The largest SQLite write-ahead log seen during a flow, sampled every 20 ms.
    let largest_log = Arc::new(std::sync::atomic::AtomicU64::new(0));
    {
        let (db, largest_log) = (db.clone(), largest_log.clone());
        tokio::spawn(async move {
            loop {
                largest_log.fetch_max(db.log_bytes().unwrap_or(0), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
    }
    for flow in flows.split(',') {
        sql_trace::report(0); // the set-up's statements are not the flow's
        largest_log.store(0, Ordering::Relaxed);
        let tally = Arc::new(Tally::default());
        let started = Instant::now();
        let until = started + Duration::from_secs(seconds);
        let cpu_before = process_cpu_seconds();
        let tasks: Vec<_> = (0..clients)
            .map(|n| {
                let (base, codes, tally) = (base.clone(), codes.clone(), tally.clone());
                match flow {
                    "anon" => tokio::spawn(anon_client(base, cards[n].clone(), n, tally, until)),
                    "points" => {
                        let email = emails[clients + n].clone();
                        tokio::spawn(client(base, email, codes, n, tally, until, POINTS_PER_ORDER))
                    }
                    _ => tokio::spawn(client(base, emails[n].clone(), codes, n, tally, until, "")),
                }
            })
            .collect();
        let mut times = Vec::new();
        for task in tasks {
            times.extend(task.await.expect("client"));
        }
        let elapsed = started.elapsed().as_secs_f64();
        // E-mails the turn made that wait to be sent: work it leaves to the next turn.
        let waiting = db.read(shop::notify::backlog).await.unwrap_or(-1);
        times.sort();
        let done = tally.placed.load(Ordering::Relaxed);
        let cpu = process_cpu_seconds() - cpu_before;
        let what = match flow {
            "anon" => "anonymous purchases (request with results, pick, pay)",
            "points" => "orders with points",
            _ => "orders",
        };
        let unit = if flow == "anon" { "per request" } else { "per order" };
        println!(
            "{what} over HTTP, {backend}, 2 workers, {clients} clients, {seconds} s: {:.0}/s \
             (done {done}, sold out {}), {unit} p50 {:.1} ms, p99 {:.1} ms, CPU {:.0} us per flow, \
             largest WAL {:.1} MB, e-mails waiting at the end {waiting}",
            done as f64 / elapsed,
            tally.sold_out.load(Ordering::Relaxed),
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            cpu / done.max(1) as f64 * 1e6,
            largest_log.load(Ordering::Relaxed) as f64 / 1e6,
        );
        sql_trace::report(done);
    }
    let (checked, over) = oversold(&db, &codes);
    println!("{checked} offers checked, {over} units oversold");
    assert_eq!(over, 0, "oversold");
    if let Some(admin) = pg_admin {
        drop(db);
        if let Ok(mut conn) = shop::db::establish_postgres(&admin) {
            let _ = diesel::sql_query(format!("DROP DATABASE {pg_name} WITH (FORCE)")).execute(&mut conn);
        }
    }
}
