//! Buy-back figures (issue 15), against the real app in a release build: `cargo bench --bench
//! buyback`.
//!
//! 1. **Rule lookup with 10,000 rules**: `buyback::benefit_for` (the query of the rules that may
//!    apply and the choice of the most specific) timed inside one database connection, for two
//!    shapes of 10,000 rules: spread over 20 makers × 25 models bought × 20 makers of used items,
//!    and the worst case of one maker with 10,000 models.
//! 2. **Verification + application over HTTP** on SQLite (FULL): `BUYBACK_BENCH_ORDERS` (300)
//!    delivered orders of a trade-in offer; for each, a fresh browser opens `/buyback`, posts the
//!    estimate (the purchase verified through `orders::purchase_facts` under the attempt limiter)
//!    and then the application; the times of both POSTs. Sequentially (one applicant at a time),
//!    then with `BUYBACK_BENCH_CLIENTS` (8) applicants at once.

mod common;

use std::time::{Duration, Instant};

use common::{env, field, report};

use shop::accounts::{PersonalData, Registration, Role, UserId};
use shop::buyback::{self, CenterForm, PriceForm, RuleForm};
use shop::config::{Config, Settings};
use shop::db::Db;
use shop::web::idempotency::IdempotencyKey;

const PASSWORD: &str = "correct horse battery";
const RULES: usize = 10_000;

fn settings(dir: &std::path::Path) -> Settings {
    Settings {
        sqlite_synchronous: "FULL".into(),
        buyback_attempts_per_address: 1_000_000,
        mail_poll_millis: 1000,
        mail_retry_seconds: 30,
        log: "error".into(),
        ..Settings::for_tests(dir, None)
    }
}

async fn user(accounts: &shop::accounts::Accounts, email: &str, name: &str, role: Role) -> UserId {
    let form = Registration {
        email: email.into(),
        password: PASSWORD.into(),
        password_again: PASSWORD.into(),
        personal: PersonalData {
            full_name: name.into(),
            postal_address: "1 Bench Road\n10115 Benchtown".into(),
            phone: "+1 555 0100".into(),
        },
    };
    accounts.create(form, vec![role]).await.expect("user")
}

/// The office, carrier, a trade-in offer, a funded default center with a price; `orders`
/// delivered orders of the offer by `buyer`. Returns their numbers.
async fn world(db: &Db, seller: &UserId, buyer: &UserId, carrier: &UserId, orders: usize) -> Vec<String> {
    let (seller, buyer, carrier) = (seller.clone(), buyer.clone(), carrier.clone());
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
        shop::echeck::register::<shop::echeck::Office>(c, None, &office, now)?;
        shop::echeck::add_staff::<shop::echeck::Office>(c, None, "BENCH", &seller, now)?;
        let swift = shop::echeck::RegistryForm {
            code: "SWIFT".into(),
            name: "Swift".into(),
            address: "2 Bench Road".into(),
            phone: "+1 555 0102".into(),
            ..Default::default()
        };
        shop::echeck::register::<shop::echeck::Carrier>(c, None, &swift, now)?;
        shop::echeck::add_staff::<shop::echeck::Carrier>(c, None, "SWIFT", &carrier, now)?;
        shop::catalog::create_kind(c, "printer", "Printer")?;
        let product = shop::catalog::ProductForm {
            maker: "Acme".into(),
            model: "P100".into(),
            name: "Acme printer P100".into(),
            ..Default::default()
        };
        let offer = shop::catalog::OfferForm {
            price: "10.00".into(),
            stock: "100000".into(),
            guarantee_months: "12".into(),
            cooling_off_days: "14".into(),
            trade_in: Some("yes".into()),
            ..Default::default()
        };
        let code = shop::catalog::create_product_and_offer(c, &seller, "printer", &product, &offer, "EUR")?;
        let center = CenterForm {
            code: "BB-1".into(),
            name: "Bench buy-back".into(),
            address: "3 Bench Road".into(),
            phone: "+1 555 0103".into(),
            active: "yes".into(),
            is_default: "yes".into(),
            ..Default::default()
        };
        let center = buyback::save_center(c, None, &center, now)?;
        let price =
            PriceForm { maker: "Zeta".into(), grade: "good".into(), price: "40.00".into(), ..Default::default() };
        buyback::set_price(c, &center.id, &price, "EUR", now)?;
        let mut numbers = Vec::with_capacity(orders);
        for i in 0..orders {
            shop::orders::edit_saved_cart(
                c,
                &buyer,
                &shop::orders::CartEdit::Add { code: code.clone(), quantity: "1".into() },
                now,
            )?;
            let plan = shop::orders::checkout_plan(c, &buyer, "EUR")?;
            let form = shop::orders::CheckoutForm {
                address: "1 Bench Road\n10115 Benchtown".into(),
                payment: "cash".into(),
                carrier: "SWIFT".into(),
                quote: plan.cart.quote(),
                key: IdempotencyKey::named(&format!("bench-order-{i}")).to_string(),
                ..Default::default()
            };
            for order in shop::orders::place_orders(c, &buyer, &form, "EUR", now)? {
                shop::orders::confirm(c, &order.number, &seller, now)?;
                shop::orders::ship(c, &order.number, &seller, "SWIFT", now)?;
                shop::orders::deliver(c, &order.number, &carrier, "10.00", "", "", now)?;
                numbers.push(order.number);
            }
        }
        Ok::<_, anyhow::Error>(numbers)
    })
    .await
    .expect("world")
}

/// 10,000 rules of one of two shapes (spread over makers, or one maker with 10,000 models).
async fn rules(db: &Db, admin: &UserId, one_maker: bool) {
    let admin = admin.clone();
    db.write(move |c| {
        let now = shop::db::now();
        for i in 0..RULES {
            let form = if one_maker {
                RuleForm {
                    bought_maker: "Bigco".into(),
                    bought_model: format!("B{i}"),
                    kind: "cash".into(),
                    amount: "1.00".into(),
                    ..Default::default()
                }
            } else {
                RuleForm {
                    bought_maker: format!("M{}", i % 20),
                    bought_model: format!("P{}", (i / 20) % 25),
                    used_maker: format!("U{}", i / 500),
                    kind: if i % 2 == 0 { "percent".into() } else { "points".into() },
                    amount: "10".into(),
                    ..Default::default()
                }
            };
            buyback::add_rule(c, &form, None, &admin, "EUR", now)?;
        }
        Ok::<_, buyback::BuybackError>(())
    })
    .await
    .expect("rules");
}

async fn lookups(
    db: &Db,
    seller: &UserId,
    what: &str,
    bought: (&'static str, &'static str),
    used: (&'static str, &'static str),
    applies: bool,
) {
    let seller = seller.clone();
    let times = db
        .read(move |c| {
            let now = shop::db::now();
            let mut times = Vec::with_capacity(2000);
            for _ in 0..2000 {
                let started = Instant::now();
                let found = buyback::benefit_for(c, &seller, bought, used, 4_000, now)?;
                times.push(started.elapsed());
                assert_eq!(found.is_some(), applies, "{bought:?} {used:?}");
            }
            Ok::<_, buyback::BuybackError>(times)
        })
        .await
        .expect("lookups");
    report(what, times);
}

/// One applicant: a fresh browser opens the form, posts the estimate, then the application.
/// Returns the two POSTs' times.
async fn apply(base: &str, number: &str) -> (Duration, Duration) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let form = client.get(format!("{base}/buyback")).send().await.expect("GET").text().await.expect("body");
    let token = field(&form, "csrf_token");
    let fields = [
        ("csrf_token", token.as_str()),
        ("order", number),
        ("full_name", "Bench Buyer"),
        ("phone", "+1 555 0100"),
        ("maker", "Zeta"),
        ("model", "Z9"),
        ("grade", "good"),
    ];
    let started = Instant::now();
    let estimate = client.post(format!("{base}/buyback/estimate")).form(&fields).send().await.expect("POST");
    assert_eq!(estimate.status(), 200, "estimate of {number}");
    let page = estimate.text().await.expect("body");
    let verified = started.elapsed();
    let key = field(&page, "key");
    let line = field(&page, "line");
    let mut all = fields.to_vec();
    all.push(("key", &key));
    all.push(("line", &line));
    let started = Instant::now();
    let applied = client.post(format!("{base}/buyback/apply")).form(&all).send().await.expect("POST");
    assert_eq!(applied.status(), 303, "application of {number}");
    applied.bytes().await.expect("body");
    (verified, started.elapsed())
}

async fn http_round(base: &str, numbers: &[String], clients: usize) -> (Vec<Duration>, Vec<Duration>, f64) {
    let started = Instant::now();
    let chunks: Vec<Vec<String>> = numbers.chunks(numbers.len().div_ceil(clients)).map(<[String]>::to_vec).collect();
    let tasks: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let base = base.to_owned();
            tokio::spawn(async move {
                let mut out = Vec::new();
                for n in chunk {
                    out.push(apply(&base, &n).await);
                }
                out
            })
        })
        .collect();
    let (mut verified, mut applied) = (Vec::new(), Vec::new());
    for t in tasks {
        for (v, a) in t.await.expect("client") {
            verified.push(v);
            applied.push(a);
        }
    }
    (verified, applied, numbers.len() as f64 / started.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() {
    let orders: usize = env("BUYBACK_BENCH_ORDERS", 300);
    let clients: usize = env("BUYBACK_BENCH_CLIENTS", 8);
    let dir = tempfile::tempdir().expect("dir");
    let config = Config::from_settings(settings(dir.path())).expect("config");
    let app = shop::build(config.clone()).await.expect("build");
    let base = format!("http://{}", app.addr());
    let db = app.db().clone();
    tokio::spawn(app.run());
    let accounts = shop::accounts(&db, &config).expect("accounts");
    let seller = user(&accounts, "seller@bench.test", "Bench Seller", Role::Salesperson).await;
    let buyer = user(&accounts, "buyer@bench.test", "Bench Buyer", Role::Shopper).await;
    let carrier = user(&accounts, "carrier@bench.test", "Bench Carrier", Role::Carrier).await;
    let admin = user(&accounts, "admin@bench.test", "Bench Admin", Role::Admin).await;

    let started = Instant::now();
    rules(&db, &admin, false).await;
    rules(&db, &admin, true).await;
    eprintln!("20,000 rules saved in {:.1} s", started.elapsed().as_secs_f64());
    lookups(&db, &seller, "rule lookup, 10,000 spread rules (+10,000 others)", ("M3", "P7"), ("U5", "Z9"), true).await;
    lookups(&db, &seller, "rule lookup, one maker with 10,000 models", ("Bigco", "B7777"), ("Zeta", "Z9"), true).await;
    lookups(&db, &seller, "rule lookup, no rule for these goods", ("Nobody", "X1"), ("Zeta", "Z9"), false).await;

    let started = Instant::now();
    let numbers = world(&db, &seller, &buyer, &carrier, orders * 2).await;
    eprintln!("{} delivered orders in {:.1} s", numbers.len(), started.elapsed().as_secs_f64());
    let (first, second) = numbers.split_at(orders);
    // A few warm-up applications are part of the first round's figures: nothing is discarded.
    let (verified, applied, rate) = http_round(&base, first, 1).await;
    report("verification (POST /buyback/estimate), 1 applicant", verified);
    report("application (POST /buyback/apply), 1 applicant", applied);
    println!("  {rate:.0} applicants/s");
    let (verified, applied, rate) = http_round(&base, second, clients).await;
    report(&format!("verification (POST /buyback/estimate), {clients} at once"), verified);
    report(&format!("application (POST /buyback/apply), {clients} at once"), applied);
    println!("  {rate:.0} applicants/s");
}
