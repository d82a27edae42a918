//! What the benchmarks share: settings from the environment, a form field read from a page, and
//! percentiles of timings. Each bench takes it with `mod common;`, so not every bench uses all.
#![allow(dead_code)]

use std::time::Duration;

/// An environment variable parsed, or the default.
pub fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The value of a hidden form field in a page, e.g. the CSRF token.
pub fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap_or_else(|| panic!("no {name} in page")) + marker.len();
    page[start..].split('"').next().unwrap_or_default().to_owned()
}

/// The `q` quantile of sorted timings, in milliseconds.
pub fn at(sorted: &[Duration], q: f64) -> f64 {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// Prints a line of percentiles for the timings of `what`.
pub fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{what:<56} p50 {:>8.3} ms  p90 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms  (n={})",
        at(&times, 0.5),
        at(&times, 0.9),
        at(&times, 0.99),
        at(&times, 1.0),
        times.len()
    );
}
