//! Login latency (argon2-bound), through HTTP against the real app in a release build:
//! `cargo bench --bench login`. Logs in sequentially so each figure is one login's own time, and
//! measures a wrong password and an unknown e-mail too: the two must take the same time, or the
//! timing would tell whether an account exists.

use std::time::{Duration, Instant};

use shop::accounts::{PersonalData, Registration, Role};
use shop::config::{Config, Settings};

const ROUNDS: usize = 200;
const PASSWORD: &str = "correct horse battery";

fn settings(dir: &std::path::Path) -> Settings {
    Settings {
        workers: Some(1),
        sqlite_synchronous: "FULL".into(),
        login_attempts_per_account: 1_000_000,
        login_attempts_per_address: 1_000_000,
        mail_poll_millis: 1000,
        mail_retry_seconds: 30,
        ..Settings::for_tests(dir, None)
    }
}

fn token(page: &str) -> String {
    let start = page.find("name=\"csrf_token\" value=\"").expect("token") + "name=\"csrf_token\" value=\"".len();
    page[start..].split('"').next().expect("token").to_owned()
}

/// One login with a fresh browser (GET the form, POST it); returns the POST's time.
async fn time_login(base: &str, email: &str, password: &str, expect: u16) -> Duration {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let form = client.get(format!("{base}/login")).send().await.expect("GET").text().await.expect("body");
    let token = token(&form);
    let started = Instant::now();
    let response = client
        .post(format!("{base}/login"))
        .form(&[("csrf_token", token.as_str()), ("email", email), ("password", password)])
        .send()
        .await
        .expect("POST");
    let status = response.status().as_u16();
    response.bytes().await.expect("body");
    let elapsed = started.elapsed();
    assert_eq!(status, expect, "login of {email}");
    elapsed
}

fn report(what: &str, times: &[Duration]) {
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)].as_secs_f64() * 1000.0;
    println!(
        "{what:<28} p50 {:>6.2} ms   p90 {:>6.2} ms   p99 {:>6.2} ms   (n={})",
        at(0.5),
        at(0.9),
        at(0.99),
        times.len()
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("dir");
    let config = Config::from_settings(settings(dir.path())).expect("config");
    let app = shop::build(config.clone()).await.expect("build");
    let base = format!("http://{}", app.addr());
    let db = app.db().clone();
    tokio::spawn(app.run());
    let accounts = shop::accounts(&db, &config).expect("accounts");
    let email = "bench@example.com";
    accounts
        .create(
            Registration {
                email: email.into(),
                password: PASSWORD.into(),
                password_again: PASSWORD.into(),
                personal: PersonalData {
                    full_name: "Bench Mark".into(),
                    postal_address: "1 Bench Road".into(),
                    phone: "+1 555 0100".into(),
                },
            },
            vec![Role::Shopper],
        )
        .await
        .expect("user");

    // The three cases take turns, round by round, so drift of the machine hits them alike.
    let cases = [
        ("successful login", email, PASSWORD, 303),
        ("wrong password", email, "not the password", 401),
        ("unknown e-mail", "nobody@example.com", "not the password", 401),
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); cases.len()];
    for round in 0..ROUNDS + 20 {
        for (i, (_, email, password, expect)) in cases.iter().enumerate() {
            let t = time_login(&base, email, password, *expect).await;
            if round >= 20 {
                times[i].push(t); // the first rounds warm up connections and caches
            }
        }
    }
    println!("login over HTTP, SQLite (synchronous=FULL), 1 worker, sequential; argon2id m=19456 t=2 p=1");
    for ((what, ..), mut t) in cases.iter().zip(times) {
        t.sort();
        report(what, &t);
    }
}
