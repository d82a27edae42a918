//! The pure rules of paid analytics (seeds 001, 004): the privacy of aggregates (suppression of
//! small cells with totals from the shown cells only, exact discrete noise, a monthly privacy budget),
//! the periods and price bands results are grouped by, and CSV cells that cannot run as formulas.

use chrono::{Datelike, NaiveDate};
use rand::Rng;

/// No cell is ever shown from fewer than this many distinct sales or requests.
pub const MIN_K: i64 = 2;
pub const DEFAULT_K: i64 = 5;

/// The admins' *k* as typed: a whole number, at least `MIN_K`.
pub fn parse_k(text: &str) -> Result<i64, String> {
    match text.trim().parse::<i64>() {
        Ok(k) if (MIN_K..=1_000).contains(&k) => Ok(k),
        _ => Err(format!("A whole number from {MIN_K} to 1000.")),
    }
}

// ---- suppression ----

/// One cell of a result: what it is about and how many distinct sales or requests it counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell<K> {
    pub key: K,
    pub count: i64,
}

/// A cell as a result shows it: its count, or "fewer than k".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    Count(i64),
    FewerThan(i64),
}

/// The cells of a result after suppression, with the total of the shown cells and how many were
/// suppressed (never the total of all cells: a suppressed value could be found by subtraction).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppressed<K> {
    pub cells: Vec<(K, Shown)>,
    pub shown_total: i64,
    pub suppressed: usize,
}

/// Suppresses every cell below `k` (after noise, when there is noise: `counts` are then noisy).
pub fn suppress<K>(cells: Vec<Cell<K>>, k: i64) -> Suppressed<K> {
    let k = k.max(MIN_K);
    let mut shown_total = 0;
    let mut suppressed = 0;
    let cells = cells
        .into_iter()
        .map(|c| {
            if c.count >= k {
                shown_total += c.count;
                (c.key, Shown::Count(c.count))
            } else {
                suppressed += 1;
                (c.key, Shown::FewerThan(k))
            }
        })
        .collect();
    Suppressed { cells, shown_total, suppressed }
}

// ---- tables of results ----

/// A row of a result before suppression: its labels and, per value column, the value and the
/// number of distinct sales or requests it is built from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawRow {
    pub labels: Vec<String>,
    pub values: Vec<(i64, i64)>,
}

/// A result's table as stored and shown: each value shown or "fewer than k"; per value column the
/// total of the shown cells; how many cells were suppressed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Table {
    pub title: String,
    pub label_columns: Vec<String>,
    pub value_columns: Vec<String>,
    pub rows: Vec<(Vec<String>, Vec<Option<i64>>)>,
    pub totals: Vec<i64>,
    pub suppressed: usize,
    pub k: i64,
    /// How many rows the whole table has, when `rows` holds only the first of them (a page shows
    /// at most `SHOWN_ROWS`; the CSV download has them all).
    #[serde(default)]
    pub all_rows: Option<usize>,
    /// Rows left out because every value in them was suppressed: listing them would only say that
    /// some sale or request was there.
    #[serde(default)]
    pub hidden_rows: usize,
}

/// Rows of a table a report's page shows (and charts); the CSV download has every row.
pub const SHOWN_ROWS: usize = 200;

/// The tables as a page shows them: each cut to its first `at_most` rows, saying how many it had.
pub fn first_rows(tables: &[Table], at_most: usize) -> Vec<Table> {
    tables
        .iter()
        .map(|t| Table {
            title: t.title.clone(),
            label_columns: t.label_columns.clone(),
            value_columns: t.value_columns.clone(),
            // Only the rows shown are copied: a year-long extract has hundreds of thousands.
            rows: t.rows.iter().take(at_most).cloned().collect(),
            totals: t.totals.clone(),
            suppressed: t.suppressed,
            k: t.k,
            all_rows: (t.rows.len() > at_most).then_some(t.rows.len()),
            hidden_rows: t.hidden_rows,
        })
        .collect()
}

/// Tables as CSV: one block per table (its title, the header, the rows, the total of the shown
/// cells), every cell written so that no spreadsheet runs it as a formula.
pub fn csv(tables: &[Table]) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for t in tables {
        out.write_record([csv_cell(&t.title).as_ref()])?;
        let header: Vec<String> =
            t.label_columns.iter().chain(&t.value_columns).map(|c| csv_cell(c).into_owned()).collect();
        out.write_record(&header)?;
        for (labels, values) in &t.rows {
            let mut row: Vec<String> = labels.iter().map(|l| csv_cell(l).into_owned()).collect();
            row.extend(values.iter().map(|v| v.map_or_else(|| format!("fewer than {}", t.k), |n| n.to_string())));
            out.write_record(&row)?;
        }
        let mut total: Vec<String> = vec![format!(
            "Total of shown cells ({} suppressed; {} rows of fewer than {} left out)",
            t.suppressed, t.hidden_rows, t.k
        )];
        total.extend(std::iter::repeat_n(String::new(), t.label_columns.len().saturating_sub(1)));
        total.extend(t.totals.iter().map(i64::to_string));
        out.write_record(&total)?;
        out.write_record([""])?;
    }
    out.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// Suppresses each value built from fewer than `k` distinct sales or requests (`k` never below 2).
pub fn table(title: &str, labels: &[&str], values: &[&str], rows: Vec<RawRow>, k: i64) -> Table {
    let k = k.max(MIN_K);
    let mut totals = vec![0i64; values.len()];
    let mut suppressed = 0;
    let rows: Vec<(Vec<String>, Vec<Option<i64>>)> = rows
        .into_iter()
        .map(|r| {
            let shown = r
                .values
                .iter()
                .enumerate()
                .map(|(i, &(value, basis))| {
                    if basis >= k {
                        if let Some(t) = totals.get_mut(i) {
                            *t += value;
                        }
                        Some(value)
                    } else {
                        suppressed += 1;
                        None
                    }
                })
                .collect();
            (r.labels, shown)
        })
        .collect();
    let listed = rows.len();
    let rows: Vec<_> = rows.into_iter().filter(|(_, values)| values.iter().any(Option::is_some)).collect();
    let hidden_rows = listed - rows.len();
    Table {
        title: title.to_owned(),
        label_columns: labels.iter().map(|s| (*s).to_owned()).collect(),
        value_columns: values.iter().map(|s| (*s).to_owned()).collect(),
        rows,
        totals,
        suppressed,
        k,
        all_rows: None,
        hidden_rows,
    }
}

// ---- noise and the budget ----

/// A decimal with up to three places as thousandths, within `range`.
fn parse_milli(text: &str, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
    let text = text.trim();
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || whole.len() > 7 || frac.len() > 3 || !digits(whole) || !digits(frac) {
        return None;
    }
    let milli = whole.parse::<i64>().ok()? * 1000 + format!("{frac:0<3}").parse::<i64>().ok()?;
    range.contains(&milli).then_some(milli)
}

/// ε in thousandths, as admins type it ("0.5" is 500): from 0.001 to 10.
pub fn parse_epsilon(text: &str) -> Result<i64, String> {
    parse_milli(text, 1..=10_000).ok_or_else(|| "A number from 0.001 to 10, e.g. 0.5.".to_owned())
}

/// A monthly budget of ε as admins type it (thousandths): from 0.001 to 1000.
pub fn parse_budget(text: &str) -> Result<i64, String> {
    parse_milli(text, 1..=1_000_000)
        .ok_or_else(|| "The ε each salesperson may spend in a month: a number from 0.001 to 1000, e.g. 5.".to_owned())
}

/// ε in thousandths as people read it: 500 is "0.5".
pub fn epsilon_text(milli: i64) -> String {
    let text = format!("{}.{:03}", milli / 1000, milli % 1000);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Whether a report costing `cost` fits the month's budget with `spent` used already (all in
/// thousandths of ε).
pub fn fits_budget(spent: i64, cost: i64, budget: i64) -> bool {
    spent.checked_add(cost).is_some_and(|total| total <= budget)
}

/// Bernoulli(n / d), exactly, for 0 ≤ n ≤ d.
fn bernoulli_ratio(rng: &mut impl Rng, n: u64, d: u64) -> bool {
    rng.random_range(0..d) < n
}

/// Bernoulli(exp(−n/d)), exactly, for n/d in [0, 1] (Canonne, Kamath and Steinke 2020, alg. 1).
fn bernoulli_exp_unit(rng: &mut impl Rng, n: u64, d: u64) -> bool {
    let mut k = 1u64;
    while bernoulli_ratio(rng, n, d.saturating_mul(k)) {
        k += 1;
    }
    k % 2 == 1
}

/// Bernoulli(exp(−n/d)), exactly, for any n/d ≥ 0.
fn bernoulli_exp(rng: &mut impl Rng, n: u64, d: u64) -> bool {
    for _ in 0..n / d {
        if !bernoulli_exp_unit(rng, 1, 1) {
            return false;
        }
    }
    bernoulli_exp_unit(rng, n % d, d)
}

/// Noise from the discrete Laplace distribution, P(z) ∝ exp(−|z|·ε) for counts (sensitivity 1),
/// with ε given in thousandths: an exact integer sampler (Canonne, Kamath and Steinke 2020,
/// alg. 2; no floating point), fed by `rng` (the shop passes a cryptographic one).
pub fn discrete_laplace(rng: &mut impl Rng, epsilon_milli: i64) -> i64 {
    // exp(−|z|·s/t) with s/t = ε = epsilon_milli / 1000.
    let (s, t) = (epsilon_milli.max(1).unsigned_abs(), 1000u64);
    loop {
        let u = rng.random_range(0..t);
        if !bernoulli_exp(rng, u, t) {
            continue;
        }
        let mut v = 0u64;
        while bernoulli_exp(rng, 1, 1) {
            v += 1;
        }
        let x = u + t * v;
        let y = i64::try_from(x / s).unwrap_or(i64::MAX);
        let negative: bool = rng.random();
        if negative && y == 0 {
            continue;
        }
        return if negative { -y } else { y };
    }
}

/// Adds noise to each count of each row (never below zero), before suppression: a value and its
/// basis move together (with noise, results show counts only, where the two are one).
pub fn noise_rows(rows: Vec<RawRow>, epsilon_milli: i64, rng: &mut impl Rng) -> Vec<RawRow> {
    rows.into_iter()
        .map(|r| RawRow {
            labels: r.labels,
            values: r
                .values
                .into_iter()
                .map(|(v, b)| {
                    let n = discrete_laplace(rng, epsilon_milli);
                    ((v + n).max(0), (b + n).max(0))
                })
                .collect(),
        })
        .collect()
}

/// Adds noise to each cell's count (never below zero), before suppression.
pub fn add_noise<K>(cells: Vec<Cell<K>>, epsilon_milli: i64, rng: &mut impl Rng) -> Vec<Cell<K>> {
    cells
        .into_iter()
        .map(|c| Cell { count: (c.count + discrete_laplace(rng, epsilon_milli)).max(0), key: c.key })
        .collect()
}

// ---- periods and bands ----

crate::db::text_enum! {
    /// How a result's periods are cut.
    pub enum Granularity {
        Week = "week",
        Month = "month",
    }
}

/// The first day of the period `day` falls in: the Monday of its ISO week, or the first of its month.
pub fn period_start(day: NaiveDate, g: Granularity) -> NaiveDate {
    match g {
        Granularity::Week => day - chrono::Duration::days(i64::from(day.weekday().num_days_from_monday())),
        Granularity::Month => day.with_day(1).unwrap_or(day),
    }
}

/// The price band (lower bound, in minor units) of a price, for bands `width` wide.
pub fn price_band(price: i64, width: i64) -> i64 {
    let width = width.max(1);
    price.max(0) / width * width
}

/// A band width that cuts prices from `low` to `high` into about ten bands of a round size (1, 2
/// or 5 times a power of ten, in minor units).
pub fn band_width(low: i64, high: i64) -> i64 {
    let span = (high - low).max(1);
    let mut unit = 1i64;
    loop {
        for step in [1, 2, 5] {
            let width = unit.saturating_mul(step);
            if span / width <= 10 {
                return width;
            }
        }
        unit = unit.saturating_mul(10);
    }
}

// ---- CSV ----

/// A cell of a CSV download that no spreadsheet runs as a formula: one starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return gets a leading apostrophe (OWASP's advice).
pub fn csv_cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{text}")),
        _ => std::borrow::Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn cells(counts: &[i64]) -> Vec<Cell<usize>> {
        counts.iter().enumerate().map(|(key, &count)| Cell { key, count }).collect()
    }

    #[test]
    fn cells_below_k_are_suppressed_and_the_total_counts_only_shown_ones() {
        let s = suppress(cells(&[4, 5, 12, 1]), 5);
        assert_eq!(
            s.cells,
            vec![(0, Shown::FewerThan(5)), (1, Shown::Count(5)), (2, Shown::Count(12)), (3, Shown::FewerThan(5))]
        );
        assert_eq!((s.shown_total, s.suppressed), (17, 2));
        // k − 1 is hidden, k is shown.
        assert_eq!(suppress(cells(&[2]), 3).cells, vec![(0, Shown::FewerThan(3))]);
        assert_eq!(suppress(cells(&[3]), 3).cells, vec![(0, Shown::Count(3))]);
        assert_eq!(suppress(cells(&[1]), 0).cells, vec![(0, Shown::FewerThan(MIN_K))], "k is never below 2");
    }

    /// Two reports whose scopes differ by one small cell: the totals are of shown cells only, so
    /// subtracting one report from the other tells nothing about the small cell.
    #[test]
    fn differencing_two_overlapping_reports_reveals_no_small_cell() {
        let wide = suppress(cells(&[40, 30, 3]), 5);
        let narrow = suppress(cells(&[40, 30]), 5);
        assert_eq!(wide.shown_total - narrow.shown_total, 0, "the small cell adds nothing to the shown total");
        assert_eq!(wide.suppressed, 1);
    }

    #[test]
    fn a_table_hides_each_value_by_its_own_basis_and_totals_the_shown() {
        let rows = vec![
            RawRow { labels: vec!["a".into()], values: vec![(12, 6), (6, 6)] },
            RawRow { labels: vec!["b".into()], values: vec![(40, 4), (4, 4)] },
            RawRow { labels: vec!["c".into()], values: vec![(9, 9), (2, 2)] },
        ];
        let t = table("t", &["kind"], &["units", "sales"], rows, 5);
        assert_eq!(t.rows[0].1, vec![Some(12), Some(6)]);
        assert_eq!(t.rows[1], (vec!["c".to_owned()], vec![Some(9), None]));
        assert_eq!(t.hidden_rows, 1, "40 units from 4 sales stay hidden: the row is left out");
        assert_eq!((t.totals.clone(), t.suppressed), (vec![21, 6], 3));
    }

    #[test]
    fn k_and_epsilon_parse_as_admins_type_them() {
        assert_eq!(parse_k("5"), Ok(5));
        assert!(parse_k("1").is_err() && parse_k("five").is_err());
        assert_eq!(parse_epsilon("0.5"), Ok(500));
        assert_eq!(parse_epsilon("1"), Ok(1000));
        assert_eq!(parse_epsilon("0.001"), Ok(1));
        assert!(parse_epsilon("0").is_err() && parse_epsilon("0.0001").is_err() && parse_epsilon("11").is_err());
        assert!(parse_epsilon("-1").is_err() && parse_epsilon("1e3").is_err());
        assert_eq!(epsilon_text(500), "0.5");
        assert_eq!(epsilon_text(1000), "1");
        assert_eq!(epsilon_text(1250), "1.25");
    }

    #[test]
    fn the_budget_refuses_what_would_pass_it() {
        assert!(fits_budget(500, 500, 1000));
        assert!(!fits_budget(501, 500, 1000));
        assert!(!fits_budget(i64::MAX, 1, i64::MAX));
    }

    /// The sampler's mean is 0 and its variance that of the discrete Laplace distribution,
    /// 2·e^(−ε) / (1 − e^(−ε))², within a few standard errors.
    #[test]
    fn discrete_laplace_noise_has_the_right_spread() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for milli in [500i64, 1000, 2000] {
            let n = 40_000;
            let samples: Vec<i64> = (0..n).map(|_| discrete_laplace(&mut rng, milli)).collect();
            let mean = samples.iter().sum::<i64>() as f64 / n as f64;
            let var = samples.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n as f64;
            let q = (-(milli as f64) / 1000.0).exp();
            let expected = 2.0 * q / (1.0 - q).powi(2);
            assert!(mean.abs() < 4.0 * (expected / n as f64).sqrt(), "ε {milli}: mean {mean}");
            assert!((var / expected - 1.0).abs() < 0.08, "ε {milli}: variance {var}, expected {expected}");
            let zeros = samples.iter().filter(|&&x| x == 0).count() as f64 / n as f64;
            assert!((zeros - (1.0 - q) / (1.0 + q)).abs() < 0.02, "ε {milli}: P(0) {zeros}");
        }
    }

    #[test]
    fn noise_never_makes_a_count_negative() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let noisy = add_noise(cells(&[0; 500]), 100, &mut rng);
        assert!(noisy.iter().all(|c| c.count >= 0));
        assert!(noisy.iter().any(|c| c.count > 0), "noise was added");
    }

    #[test]
    fn periods_start_on_monday_or_the_first() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).expect("day"); // a Thursday
        assert_eq!(period_start(day, Granularity::Week), NaiveDate::from_ymd_opt(2026, 11, 30).expect("day"));
        assert_eq!(period_start(day, Granularity::Month), NaiveDate::from_ymd_opt(2026, 12, 1).expect("day"));
    }

    #[test]
    fn prices_fall_into_round_bands() {
        assert_eq!(band_width(0, 10_000), 1_000);
        assert_eq!(band_width(1_990, 4_990), 500);
        assert_eq!(band_width(0, 0), 1);
        assert_eq!(price_band(2_499, 500), 2_000);
        assert_eq!(price_band(2_500, 500), 2_500);
    }

    #[test]
    fn no_csv_cell_can_run_as_a_formula() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_cell(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(csv_cell("Acme P100"), "Acme P100");
        assert_eq!(csv_cell(""), "");
    }

    #[test]
    fn a_page_shows_the_first_rows_and_says_how_many_there_are() {
        let rows = (0..5).map(|i| RawRow { labels: vec![format!("x{i}")], values: vec![(9, 9)] }).collect();
        let t = table("t", &["row"], &["sales"], rows, 5);
        let shown = first_rows(std::slice::from_ref(&t), 3);
        assert_eq!((shown[0].rows.len(), shown[0].all_rows), (3, Some(5)));
        assert_eq!(
            (shown[0].totals.clone(), shown[0].suppressed),
            (t.totals.clone(), 0),
            "totals are the whole table's"
        );
        assert_eq!(first_rows(std::slice::from_ref(&t), 5)[0].all_rows, None);
        let csv = String::from_utf8(csv(std::slice::from_ref(&t)).expect("csv")).expect("utf-8");
        assert_eq!(csv.lines().filter(|l| l.starts_with('x')).count(), 5, "the CSV has every row");
    }
}
