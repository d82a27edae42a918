//! The prepared analyses (seed 004, FIG. 5; issue 16's list), each assembled from the stores'
//! groups into tables whose small cells are suppressed (`rules::table`). Pure: the service reads
//! the groups and the names and hands them here.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use super::rules::{self, Granularity, RawRow, Table};
use crate::catalog::{KindId, ProductId};
use crate::history::{ConstraintGroup, RequestGroup, SalesGrain, SalesGroup};

crate::db::text_enum! {
    /// What a salesperson can buy.
    pub enum Analysis {
        Sales = "sales",
        Preferences = "preferences",
        Volume = "volume",
        Words = "words",
        PriceBands = "price-bands",
        UnmetDemand = "unmet-demand",
        Conversion = "conversion",
    }
}

impl Analysis {
    pub fn title(self) -> &'static str {
        match self {
            Analysis::Sales => "Sales history extract",
            Analysis::Preferences => "Purchaser preferences extract",
            Analysis::Volume => "Sales volume per kind and period",
            Analysis::Words => "Preferred colors and other words per kind",
            Analysis::PriceBands => "Price bands",
            Analysis::UnmetDemand => "Unmet demand",
            Analysis::Conversion => "Conversion: requests against sales",
        }
    }

    pub fn about(self) -> &'static str {
        match self {
            Analysis::Sales => "Per day, product and unit price: units sold and the number of sales.",
            Analysis::Preferences => "Per kind: each characteristic as purchasers asked for it, and how often.",
            Analysis::Volume => "Per kind and week or month: units sold and the number of sales.",
            Analysis::Words => "Per kind: the colors (and other word characteristics) purchasers asked for.",
            Analysis::PriceBands => "Per kind: how many sold in each price band.",
            Analysis::UnmetDemand => "Requests that matched nothing, by kind and by what they asked.",
            Analysis::Conversion => "Per kind: purchase requests against sales.",
        }
    }

    /// How finely it reads the sales history; none: it does not.
    pub fn sales_grain(self) -> Option<SalesGrain> {
        match self {
            Analysis::Sales => Some(SalesGrain::Product),
            Analysis::Volume | Analysis::Conversion => Some(SalesGrain::Kind),
            Analysis::PriceBands => Some(SalesGrain::Price),
            _ => None,
        }
    }

    /// Whether it reads the preference store.
    pub fn reads_requests(self) -> bool {
        !matches!(self, Analysis::Sales | Analysis::Volume | Analysis::PriceBands)
    }
}

/// What the tables name things by.
#[derive(Clone, Debug, Default)]
pub struct Names {
    pub kinds: HashMap<KindId, String>,
    pub products: HashMap<ProductId, String>,
    pub currency: String,
}

impl Names {
    fn kind(&self, kind: Option<&KindId>) -> String {
        match kind {
            Some(k) => self.kinds.get(k).cloned().unwrap_or_else(|| "(a kind no longer offered)".to_owned()),
            None => "(any kind)".to_owned(),
        }
    }

    fn product(&self, p: &ProductId) -> String {
        self.products.get(p).cloned().unwrap_or_else(|| "(a product no longer offered)".to_owned())
    }

    fn money(&self, minor: i64) -> String {
        crate::money::format(minor, &self.currency)
    }
}

/// What the stores gave for a design.
#[derive(Clone, Debug, Default)]
pub struct Groups {
    pub sales: Vec<SalesGroup>,
    pub requests: Vec<RequestGroup>,
    pub constraints: Vec<ConstraintGroup>,
}

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// A constraint as it was asked, in words: "silver", "at least 2000", "1000 to 3000".
fn asked(c: &ConstraintGroup) -> String {
    let n = |v: f64| if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v}") };
    match (&c.word, c.min, c.max) {
        (Some(w), _, _) => w.clone(),
        (None, Some(lo), Some(hi)) => format!("{} to {}", n(lo), n(hi)),
        (None, Some(lo), None) => format!("at least {}", n(lo)),
        (None, None, Some(hi)) => format!("at most {}", n(hi)),
        (None, None, None) => "anything".to_owned(),
    }
}

/// Sums rows with the same labels (a sale taken back on another day nets out in its period),
/// in the order of their labels.
fn summed(rows: impl IntoIterator<Item = Keyed<Vec<String>>>) -> Vec<RawRow> {
    let mut rows: Vec<Keyed<Vec<String>>> = rows.into_iter().collect();
    rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    merge_neighbours(rows).into_iter().map(|(labels, values)| RawRow { labels, values }).collect()
}

/// A row's key (its labels, or what they are made from) and its values with their bases.
type Keyed<K> = (K, Vec<(i64, i64)>);

/// Rows sorted by their key, those with the same key summed into one.
fn merge_neighbours<K: PartialEq>(rows: Vec<Keyed<K>>) -> Vec<Keyed<K>> {
    let mut merged: Vec<Keyed<K>> = Vec::with_capacity(rows.len());
    for (key, values) in rows {
        match merged.last_mut() {
            Some((last, sums)) if *last == key => {
                for (e, v) in sums.iter_mut().zip(values) {
                    e.0 += v.0;
                    e.1 += v.1;
                }
            }
            _ => merged.push((key, values)),
        }
    }
    merged
}

/// The sales extract's rows: per day, product and unit price, the groups of every office summed,
/// in that order (prices by amount). A year holds 200,000 rows but only 365 days, a few thousand
/// products and a few hundred prices: rows are sorted and merged by numbers (each product ranked
/// by its name once), and each label is written once, for the rows kept.
fn sales_extract(sales: &[SalesGroup], names: &Names, values: impl Fn(&SalesGroup) -> Vec<(i64, i64)>) -> Vec<RawRow> {
    let mut products: Vec<(&ProductId, String)> = sales
        .iter()
        .filter_map(|g| g.product.as_ref())
        .collect::<std::collections::HashSet<_>>()
        .into_iter()
        .map(|p| (p, names.product(p)))
        .collect();
    products.sort_unstable_by(|a, b| a.1.cmp(&b.1));
    // Products of the same name share a rank: their rows are one row of the extract.
    let mut rank: HashMap<&ProductId, usize> = HashMap::with_capacity(products.len());
    let mut product_names: Vec<String> = Vec::new();
    for (id, name) in products {
        if product_names.last() != Some(&name) {
            product_names.push(name);
        }
        rank.insert(id, product_names.len() - 1);
    }
    type Key = (Option<chrono::NaiveDateTime>, usize, Option<i64>);
    let mut keyed: Vec<Keyed<Key>> = sales
        .iter()
        .map(|g| {
            let product = g.product.as_ref().and_then(|p| rank.get(p)).copied().unwrap_or(usize::MAX);
            ((g.day, product, g.unit_price), values(g))
        })
        .collect();
    keyed.sort_unstable_by_key(|(key, _)| *key);
    let merged = merge_neighbours(keyed);
    let mut days: HashMap<chrono::NaiveDateTime, String> = HashMap::new();
    let mut prices: HashMap<i64, String> = HashMap::new();
    merged
        .into_iter()
        .map(|((day, product, price), values)| RawRow {
            labels: vec![
                day.map(|d| days.entry(d).or_insert_with(|| day_text(d.date())).clone()).unwrap_or_default(),
                product_names.get(product).cloned().unwrap_or_default(),
                price.map(|p| prices.entry(p).or_insert_with(|| names.money(p)).clone()).unwrap_or_default(),
            ],
            values,
        })
        .collect()
}

/// Exact discrete noise for the counts of a result: ε per count (thousandths) and the generator.
pub struct Noise<'r, R: rand::Rng> {
    pub epsilon_milli: i64,
    pub rng: &'r mut R,
}

/// The analysis's tables for these groups, with cells below `k` suppressed. With noise, only
/// counts of sales or requests are shown (units sold have no bound on what one sale adds), each
/// with noise added before the threshold.
pub fn assemble<R: rand::Rng>(
    analysis: Analysis,
    groups: &Groups,
    names: &Names,
    granularity: Granularity,
    k: i64,
    mut noise: Option<Noise<'_, R>>,
) -> Vec<Table> {
    let counts_only = noise.is_some();
    let mut finish = |title: &str, labels: &[&str], values: &[&str], rows: Vec<RawRow>, k: i64| {
        let rows = match noise.as_mut() {
            Some(n) => rules::noise_rows(rows, n.epsilon_milli, n.rng),
            None => rows,
        };
        rules::table(title, labels, values, rows, k)
    };
    assemble_exact(analysis, groups, names, granularity, k, counts_only, &mut finish)
}

type Finish<'f> = dyn FnMut(&str, &[&str], &[&str], Vec<RawRow>, i64) -> Table + 'f;

fn assemble_exact(
    analysis: Analysis,
    groups: &Groups,
    names: &Names,
    granularity: Granularity,
    k: i64,
    counts_only: bool,
    finish: &mut Finish<'_>,
) -> Vec<Table> {
    let units_and_sales = |g: &SalesGroup| {
        if counts_only { vec![(g.sales, g.sales)] } else { vec![(g.quantity, g.sales), (g.sales, g.sales)] }
    };
    let sold: &[&str] = if counts_only { &["Sales"] } else { &["Units", "Sales"] };
    match analysis {
        Analysis::Sales => {
            let rows = sales_extract(&groups.sales, names, units_and_sales);
            vec![finish(analysis.title(), &["Day", "Product", "Unit price"], sold, rows, k)]
        }
        Analysis::Volume => {
            let rows = summed(groups.sales.iter().map(|g| {
                let period = g.day.map(|d| day_text(rules::period_start(d.date(), granularity)));
                (vec![names.kind(Some(&g.kind)), period.unwrap_or_default()], units_and_sales(g))
            }));
            let period = match granularity {
                Granularity::Week => "Week from",
                Granularity::Month => "Month from",
            };
            vec![finish(analysis.title(), &["Kind", period], sold, rows, k)]
        }
        Analysis::PriceBands => {
            let mut tables = Vec::new();
            let mut kinds: BTreeMap<String, Vec<&SalesGroup>> = BTreeMap::new();
            for g in &groups.sales {
                kinds.entry(names.kind(Some(&g.kind))).or_default().push(g);
            }
            for (kind, sales) in kinds {
                let low = sales.iter().filter_map(|g| g.unit_price).min().unwrap_or(0);
                let high = sales.iter().filter_map(|g| g.unit_price).max().unwrap_or(0);
                let width = rules::band_width(low, high);
                let rows = summed(sales.iter().map(|g| {
                    let band = rules::price_band(g.unit_price.unwrap_or(0), width);
                    // Sorted by the band's lower bound: a zero-padded key ahead of the text.
                    let label = format!("{} to {}", names.money(band), names.money(band + width - 1));
                    (vec![format!("{band:020}"), label], units_and_sales(g))
                }))
                .into_iter()
                .map(|mut r| {
                    r.labels.remove(0);
                    r
                })
                .collect();
                tables.push(finish(&format!("Price bands: {kind}"), &["Price band"], &["Units", "Sales"], rows, k));
            }
            tables
        }
        Analysis::Preferences | Analysis::Words => {
            let rows = summed(
                groups.constraints.iter().filter(|c| analysis == Analysis::Preferences || c.word.is_some()).map(|c| {
                    (
                        vec![names.kind(c.kind.as_ref()), c.characteristic.clone(), asked(c)],
                        vec![(c.requests, c.requests)],
                    )
                }),
            );
            vec![finish(analysis.title(), &["Kind", "Characteristic", "Asked for"], &["Requests"], rows, k)]
        }
        Analysis::UnmetDemand => {
            let by_kind = summed(
                groups
                    .requests
                    .iter()
                    .filter(|r| !r.matched)
                    .map(|r| (vec![names.kind(r.kind.as_ref())], vec![(r.requests, r.requests)])),
            );
            let by_constraint = summed(groups.constraints.iter().filter(|c| !c.matched).map(|c| {
                (vec![names.kind(c.kind.as_ref()), c.characteristic.clone(), asked(c)], vec![(c.requests, c.requests)])
            }));
            vec![
                finish("Requests that matched nothing, per kind", &["Kind"], &["Requests"], by_kind, k),
                finish(
                    "What the unmatched requests asked for",
                    &["Kind", "Characteristic", "Asked for"],
                    &["Requests"],
                    by_constraint,
                    k,
                ),
            ]
        }
        Analysis::Conversion => {
            let requests = groups
                .requests
                .iter()
                .map(|r| (vec![names.kind(r.kind.as_ref())], vec![(r.requests, r.requests), (0, 0)]));
            let sales =
                groups.sales.iter().map(|g| (vec![names.kind(Some(&g.kind))], vec![(0, 0), (g.sales, g.sales)]));
            let rows = summed(requests.chain(sales));
            vec![finish(analysis.title(), &["Kind"], &["Requests", "Sales"], rows, k)]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> chrono::NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, d).and_then(|d| d.and_hms_opt(0, 0, 0)).expect("day")
    }

    fn world() -> (Groups, Names, KindId) {
        let (kind, product) = (KindId::new(), ProductId::new());
        let sale = |d: u32, price: i64, quantity: i64, sales: i64| SalesGroup {
            day: Some(day(d)),
            kind: kind.clone(),
            product: Some(product.clone()),
            unit_price: Some(price),
            quantity,
            sales,
        };
        let groups = Groups {
            // Nov 2 and 3 are a Monday and a Tuesday: one week; Nov 9 the next.
            sales: vec![sale(2, 1_990, 7, 6), sale(3, 2_490, 3, 3), sale(9, 9_990, 1, 1)],
            requests: vec![RequestGroup { kind: Some(kind.clone()), matched: false, requests: 8 }],
            constraints: vec![ConstraintGroup {
                kind: Some(kind.clone()),
                matched: false,
                characteristic: "color".into(),
                word: Some("silver".into()),
                min: None,
                max: None,
                requests: 5,
            }],
        };
        let names = Names {
            kinds: HashMap::from([(kind.clone(), "Printer".to_owned())]),
            products: HashMap::from([(product, "Acme P100".to_owned())]),
            currency: "EUR".into(),
        };
        (groups, names, kind)
    }

    #[test]
    fn volume_rolls_days_up_into_weeks_before_suppressing() {
        let (groups, names, _) = world();
        let t = &assemble_exact(Analysis::Volume, &groups, &names, Granularity::Week, 5, false, &mut rules::table)[0];
        assert_eq!(t.rows[0], (vec!["Printer".to_owned(), "2026-11-02".to_owned()], vec![Some(10), Some(9)]));
        assert_eq!((t.rows.len(), t.hidden_rows), (1, 1), "one sale in the second week: left out");
        assert_eq!((t.totals.clone(), t.suppressed), (vec![10, 9], 2));
    }

    #[test]
    fn price_bands_and_conversion_and_unmet_demand() {
        let (groups, names, _) = world();
        let bands =
            &assemble_exact(Analysis::PriceBands, &groups, &names, Granularity::Month, 2, false, &mut rules::table)[0];
        assert_eq!((bands.rows.len(), bands.hidden_rows), (2, 1), "one sale at 99.90: left out: {bands:?}");
        assert_eq!(bands.rows[0], (vec!["10.00 EUR to 19.99 EUR".to_owned()], vec![Some(7), Some(6)]));
        let conversion =
            &assemble_exact(Analysis::Conversion, &groups, &names, Granularity::Month, 5, false, &mut rules::table)[0];
        assert_eq!(conversion.rows[0].1, vec![Some(8), Some(10)]);
        let unmet =
            assemble_exact(Analysis::UnmetDemand, &groups, &names, Granularity::Month, 5, false, &mut rules::table);
        assert_eq!(unmet[0].rows[0].1, vec![Some(8)]);
        assert_eq!(unmet[1].rows[0].0, vec!["Printer".to_owned(), "color".to_owned(), "silver".to_owned()]);
    }
}
