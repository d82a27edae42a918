//! E-check throughput, in-process without HTTP: full check cycles (issue, validate, demand
//! payment) per second, with one and with two threads, and the latency of one cycle.
//!
//! `cargo bench --bench echeck` runs on a new SQLite file with synchronous=FULL and =NORMAL;
//! with `SHOP_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test` it also runs on a new
//! PostgreSQL database created beside that one. `ECHECK_BENCH_SECONDS` sets each run's length (10),
//! `ECHECK_BENCH_SYNC` the SQLite modes (`FULL,NORMAL`), `ECHECK_BENCH_THREADS` the threads (`1,2`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use rand::Rng;
use shop::accounts::UserId;
use shop::db::{Db, DbSettings, SqliteSetup};
use shop::echeck::{self, IssueRequest, Movement, RegistryForm};

const BUYERS: usize = 1_000;

/// CPU µs per cycle of the last run (of this process: the database's work included for SQLite).
static CPU_PER_CYCLE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn open(url: &str, synchronous: &str) -> Db {
    let settings = DbSettings {
        url: url.to_owned(),
        pool_size: 4,
        sqlite: SqliteSetup { busy_timeout_ms: 5000, synchronous: synchronous.to_owned() },
        min_free_mb: 0,
    };
    let db = Db::connect(&settings).expect("database");
    db.read_blocking(|c| shop::db::migrations::run_pending(c).map_err(|e| anyhow::anyhow!("{e}"))).expect("migrate");
    db
}

/// An office, a carrier, and buyers with money enough for every cycle.
fn prepare(db: &Db) -> (echeck::OfficeId, Vec<UserId>) {
    let now = echeck::now();
    db.write_blocking(|c| echeck::open_books(c, "EUR", now)).expect("books");
    let office = db
        .write_blocking(|c| {
            let office = RegistryForm {
                code: "BENCH".into(),
                name: "Bench office".into(),
                address: "1 Bench Road".into(),
                phone: "1".into(),
                bank: "Bank".into(),
                bank_account: "1".into(),
                ..Default::default()
            };
            let carrier = RegistryForm {
                code: "CARRY".into(),
                name: "Carrier".into(),
                address: "2".into(),
                phone: "2".into(),
                ..Default::default()
            };
            echeck::register::<echeck::Carrier>(c, None, &carrier, now)?;
            echeck::register::<echeck::Office>(c, None, &office, now)
        })
        .expect("registries");
    let buyers: Vec<UserId> = (0..BUYERS).map(|_| UserId::new()).collect();
    db.write_blocking(|c| {
        for buyer in &buyers {
            let account = echeck::open_shopper_account(c, buyer, now)?;
            let m = Movement {
                account: account.id,
                amount: 1_000_000_000,
                reason: "bench".into(),
                key: shop::web::idempotency::IdempotencyKey::new(),
            };
            echeck::deposit(c, &m, None, now)?;
        }
        Ok::<_, echeck::EcheckError>(())
    })
    .expect("buyers");
    (office.id, buyers)
}

/// One cycle: the buyer's check issued, validated by the seller, paid on the seller's demand.
fn cycle(db: &Db, office: &echeck::OfficeId, buyer: &UserId, amount: i64) {
    let req = IssueRequest {
        buyer: buyer.clone(),
        office_code: "BENCH".into(),
        carrier_code: "CARRY".into(),
        amount,
        currency: "EUR".into(),
        reference: "bench order".into(),
        idempotency_key: shop::web::idempotency::IdempotencyKey::new(),
    };
    let check = db.write_blocking(|c| echeck::issue(c, &req, echeck::now())).expect("issue");
    db.read_blocking(|c| echeck::validate(c, &check.code, office, amount, echeck::now())).expect("validate");
    db.write_blocking(|c| echeck::demand_payment(c, &check.code, office, None, None, echeck::now())).expect("demand");
}

/// CPU time this process has used (user + system), from /proc: the figure that does not depend on
/// what else the machine is doing.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of the line (utime, stime, in ticks of 10 ms) are the 12th and 13th after the name.
    let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    let ticks = tick(11) + tick(12);
    Duration::from_millis(ticks * 10)
}

fn run(db: &Db, office: &echeck::OfficeId, buyers: &[UserId], threads: usize, seconds: u64) -> (f64, Vec<Duration>) {
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let cpu = cpu_time();
    let latencies: Vec<Duration> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let stop = &stop;
                scope.spawn(move || {
                    let mut rng = rand::rng();
                    let mut mine = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let buyer = &buyers[rng.random_range(0..buyers.len())];
                        let t = Instant::now();
                        cycle(db, office, buyer, rng.random_range(100..100_000));
                        mine.push(t.elapsed());
                    }
                    mine
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs(seconds));
        stop.store(true, Ordering::Relaxed);
        handles.into_iter().flat_map(|h| h.join().expect("thread")).collect()
    });
    let rate = latencies.len() as f64 / started.elapsed().as_secs_f64();
    let cpu_per_cycle = (cpu_time() - cpu).as_secs_f64() / latencies.len().max(1) as f64;
    CPU_PER_CYCLE.store((cpu_per_cycle * 1e6) as u64, Ordering::Relaxed);
    (rate, latencies)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(label: &str, db: &Db, seconds: u64) {
    let (office, buyers) = prepare(db);
    // Warm the statement caches and the file.
    run(db, &office, &buyers, 1, 1);
    let counts = std::env::var("ECHECK_BENCH_THREADS").unwrap_or_else(|_| "1,2".into());
    for threads in counts.split(',').filter_map(|t| t.trim().parse::<usize>().ok()) {
        let (rate, mut latencies) = run(db, &office, &buyers, threads, seconds);
        latencies.sort();
        println!(
            "{label:<24} threads={threads}  {rate:>7.0} cycles/s  p50 {:>6.2} ms  p99 {:>6.2} ms  CPU {:>4} µs/cycle  ({} cycles)",
            percentile(&latencies, 0.50).as_secs_f64() * 1e3,
            percentile(&latencies, 0.99).as_secs_f64() * 1e3,
            CPU_PER_CYCLE.load(Ordering::Relaxed),
            latencies.len()
        );
    }
    let books = db.read_blocking(echeck::books).expect("books");
    assert!(books.balanced(), "the books do not balance after the run: {books:?}");
}

fn main() {
    let seconds = std::env::var("ECHECK_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let modes = std::env::var("ECHECK_BENCH_SYNC").unwrap_or_else(|_| "FULL,NORMAL".into());
    for synchronous in modes.split(',').filter(|m| !m.is_empty()) {
        let dir = tempfile::tempdir().expect("dir");
        let url = dir.path().join("bench.sqlite3").to_string_lossy().into_owned();
        report(&format!("SQLite synchronous={synchronous}"), &open(&url, synchronous), seconds);
    }
    if let Some(admin) = std::env::var("SHOP_BENCH_POSTGRES_URL").ok().filter(|u| !u.is_empty()) {
        let name = format!("shop_bench_{}", hex::encode(rand::random::<[u8; 6]>()));
        let mut conn = shop::db::establish_postgres(&admin).expect("PostgreSQL");
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).expect("create database");
        let mut url = url::Url::parse(&admin).expect("url");
        url.set_path(&name);
        {
            let db = open(url.as_str(), "FULL");
            report("PostgreSQL", &db, seconds);
        }
        let _ = diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut conn);
    }
}
