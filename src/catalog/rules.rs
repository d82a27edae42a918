//! Pure rules of the catalog: names and values a kind allows, reading a search from its URL,
//! commodity codes, and which price a shopper pays. No database here.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use crate::web::forms::FieldErrors;

/// A characteristic's value on a product, as shown.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Number(f64),
    Word(String),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => write!(f, "{}", *n as i64),
            Value::Number(n) => write!(f, "{n}"),
            Value::Word(w) => f.write_str(w),
        }
    }
}

/// One line of a product's characteristics: label, value, unit.
#[derive(Clone, Debug)]
pub struct Shown {
    pub label: String,
    pub value: String,
    pub unit: String,
}

/// A characteristic as the rules read it (a kind's row gives it with `Characteristic::rule`).
#[derive(Clone, Copy, Debug)]
pub struct CharacteristicRule<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub unit: &'a str,
    pub is_number: bool,
    /// For words: the allowed values, one per line; none means any word.
    pub allowed_words: &'a str,
}

impl<'a> CharacteristicRule<'a> {
    pub fn words(&self) -> Vec<&'a str> {
        self.allowed_words.lines().map(str::trim).filter(|w| !w.is_empty()).collect()
    }
}

/// A kind as a search reads it: its code, its name and its characteristics.
#[derive(Clone, Debug)]
pub struct KindRule<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub characteristics: Vec<CharacteristicRule<'a>>,
}

impl<'a> KindRule<'a> {
    fn characteristic(&self, name: &str) -> Option<&CharacteristicRule<'a>> {
        self.characteristics.iter().find(|c| c.name == name)
    }
}

/// The terms of a price agreed with a customer.
#[derive(Clone, Copy, Debug)]
pub struct AgreedTerms {
    pub price: i64,
    pub valid_from: Option<NaiveDateTime>,
    pub valid_until: Option<NaiveDateTime>,
}

pub const PAGE_SIZE: i64 = 24;
/// When nothing matches, the looser searches are counted up to this many ("100+ would match").
pub const COUNT_CAP: i64 = 100;
/// A longer query string is refused rather than parsed (it is not a search a person made).
pub const MAX_QUERY_LEN: usize = 2000;

/// Parameters of the search that are not characteristics.
const RESERVED: [&str; 7] = ["kind", "q", "maker", "price_min", "price_max", "sort", "page"];

pub fn check_kind_code(code: &str) -> Result<(), &'static str> {
    let ok_chars = code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !(2..=40).contains(&code.len()) || !ok_chars || code.starts_with('-') || code.ends_with('-') {
        return Err("Use 2 to 40 lower-case letters, digits and hyphens, e.g. personal-computer.");
    }
    Ok(())
}

pub fn check_characteristic_name(name: &str) -> Result<(), &'static str> {
    let ok_chars = name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !(2..=40).contains(&name.len()) || !ok_chars || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("Use 2 to 40 lower-case letters, digits and underscores, starting with a letter, e.g. cpu_mhz.");
    }
    if RESERVED.contains(&name) || name.ends_with("_min") || name.ends_with("_max") {
        return Err("This name is used by the search itself; choose another.");
    }
    Ok(())
}

fn parse_number(raw: &str) -> Option<f64> {
    let n: f64 = raw.trim().parse().ok()?;
    n.is_finite().then_some(n)
}

/// A product's value for a characteristic, as typed: None when left empty.
pub fn parse_value(ch: CharacteristicRule<'_>, raw: &str) -> Result<Option<Value>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if ch.is_number {
        return parse_number(raw)
            .map(|n| Some(Value::Number(n)))
            .ok_or_else(|| format!("{} must be a number{}.", ch.label, unit_hint(&ch)));
    }
    let words = ch.words();
    if !words.is_empty() && !words.contains(&raw) {
        return Err(format!("{} must be one of: {}.", ch.label, words.join(", ")));
    }
    if raw.chars().count() > 100 {
        return Err(format!("{} is too long (at most 100 characters).", ch.label));
    }
    Ok(Some(Value::Word(raw.to_owned())))
}

fn unit_hint(ch: &CharacteristicRule<'_>) -> String {
    if ch.unit.is_empty() { String::new() } else { format!(" (in {})", ch.unit) }
}

/// What the free-text search compares against.
pub fn search_text(name: &str, maker: &str, model: &str) -> String {
    format!("{name} {maker} {model}").to_lowercase()
}

/// How many characteristics a product's one-line summary shows.
pub const SUMMARY_ITEMS: usize = 4;

/// "Processor speed 2400 MHz · Memory 16 GB": a product's first characteristics in its kind's order.
pub fn summary(shown: &[Shown]) -> String {
    shown
        .iter()
        .take(SUMMARY_ITEMS)
        .map(|s| {
            if s.unit.is_empty() {
                format!("{} {}", s.label, s.value)
            } else {
                format!("{} {} {}", s.label, s.value, s.unit)
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// A characteristic's value as a product page shows it.
pub fn shown(ch: CharacteristicRule<'_>, value: &Value) -> Shown {
    Shown { label: ch.label.to_owned(), value: value.to_string(), unit: ch.unit.to_owned() }
}

/// A short code people read aloud: 6 characters without look-alikes (no 0/O, 1/I/L).
pub fn new_offer_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..6).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

/// A day as a form gives it (YYYY-MM-DD), as the start of that day, UTC; None when left empty.
pub fn parse_day(raw: &str) -> Result<Option<NaiveDateTime>, crate::days::DayError> {
    Ok(crate::days::parse(raw)?.map(crate::days::start))
}

/// The price a shopper pays: the lowest agreed price valid at `now`, else the list price.
pub fn effective_price(list_price: i64, agreed: impl IntoIterator<Item = AgreedTerms>, now: NaiveDateTime) -> i64 {
    agreed
        .into_iter()
        .filter(|p| p.valid_from.is_none_or(|from| from <= now) && p.valid_until.is_none_or(|until| now < until))
        .map(|p| p.price)
        .min()
        .map_or(list_price, |agreed| agreed.min(list_price))
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    PriceAscending,
    PriceDescending,
    Newest,
    BestSelling,
}

impl Sort {
    pub const ALL: [(Sort, &'static str, &'static str); 4] = [
        (Sort::PriceAscending, "price", "Price, lowest first"),
        (Sort::PriceDescending, "-price", "Price, highest first"),
        (Sort::Newest, "newest", "Newest"),
        (Sort::BestSelling, "best", "Best-selling"),
    ];

    fn parse(raw: &str) -> Option<Sort> {
        Sort::ALL.iter().find(|(_, key, _)| *key == raw).map(|(s, _, _)| *s)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct NumberFilter {
    pub name: String,
    pub label: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WordFilter {
    pub name: String,
    pub label: String,
    pub values: Vec<String>,
}

/// A catalog search, read from its URL.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    pub kind: Option<String>,
    pub text: String,
    pub makers: Vec<String>,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub numbers: Vec<NumberFilter>,
    pub words: Vec<WordFilter>,
    pub sort: Sort,
    pub page: i64,
}

/// The query string as pairs, in order; the whole search lives in the URL.
pub type Query = Vec<(String, String)>;

pub fn values<'a>(query: &'a Query, name: &str) -> impl Iterator<Item = &'a str> {
    query.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.trim().is_empty())
}

fn first<'a>(query: &'a Query, name: &str) -> Option<&'a str> {
    values(query, name).next()
}

/// Reads a search. Mistakes are reported per field and the mistaken part is left out, so the page
/// still shows results for the rest. `spec` is the chosen kind, if any.
pub fn read_filter(query: &Query, spec: Option<&KindRule<'_>>, currency: &str) -> (Filter, FieldErrors) {
    let mut errors = FieldErrors::new();
    let mut filter = Filter {
        kind: spec.map(|s| s.code.to_owned()),
        text: first(query, "q").unwrap_or("").trim().chars().take(100).collect(),
        makers: values(query, "maker").map(|m| m.trim().to_owned()).collect(),
        page: 1,
        ..Filter::default()
    };
    filter.makers.dedup();
    if let Some(raw) = first(query, "sort") {
        match Sort::parse(raw) {
            Some(sort) => filter.sort = sort,
            None => errors.add("sort", "Choose one of the listed orders."),
        }
    }
    match crate::web::pager::parse_number(first(query, "page")) {
        Ok(n) => filter.page = n,
        Err(e) => errors.add("page", e),
    }
    let price = |name: &'static str, errors: &mut FieldErrors| {
        first(query, name).and_then(|raw| match crate::money::parse(raw, currency) {
            Ok(v) => Some(v),
            Err(e) => {
                errors.add(name, e);
                None
            }
        })
    };
    filter.price_min = price("price_min", &mut errors);
    filter.price_max = price("price_max", &mut errors);
    if let (Some(min), Some(max)) = (filter.price_min, filter.price_max)
        && min > max
    {
        errors.add("price_max", "The highest price is below the lowest.");
        filter.price_max = None;
    }
    read_characteristics(query, spec, &mut filter, &mut errors);
    (filter, errors)
}

fn read_characteristics(query: &Query, spec: Option<&KindRule<'_>>, filter: &mut Filter, errors: &mut FieldErrors) {
    let mut numbers: BTreeMap<&str, NumberFilter> = BTreeMap::new();
    for (key, raw) in query.iter().filter(|(k, v)| !RESERVED.contains(&k.as_str()) && !v.trim().is_empty()) {
        let (name, bound) =
            match key.strip_suffix("_min").map(|n| (n, "min")).or(key.strip_suffix("_max").map(|n| (n, "max"))) {
                Some((name, bound)) => (name, Some(bound)),
                None => (key.as_str(), None),
            };
        let Some(spec) = spec else {
            errors.add("kind", format!("Choose a kind of goods to filter by “{}”.", short(name)));
            continue;
        };
        let Some(ch) = spec.characteristic(name) else {
            errors.add("kind", format!("{} have no characteristic “{}”.", spec.name, short(name)));
            continue;
        };
        match (ch.is_number, bound) {
            (true, Some(bound)) => {
                let entry = numbers.entry(ch.name).or_insert_with(|| NumberFilter {
                    name: ch.name.to_owned(),
                    label: ch.label.to_owned(),
                    min: None,
                    max: None,
                });
                match parse_number(raw) {
                    Some(n) if bound == "min" => entry.min = Some(n),
                    Some(n) => entry.max = Some(n),
                    None => errors.add(key, format!("{} must be a number{}.", ch.label, unit_hint(ch))),
                }
            }
            (false, None) => {
                let allowed = ch.words();
                if !allowed.is_empty() && !allowed.contains(&raw.trim()) {
                    errors.add(key, format!("{} must be one of: {}.", ch.label, allowed.join(", ")));
                    continue;
                }
                match filter.words.iter_mut().find(|w| w.name == ch.name) {
                    Some(w) => w.values.push(raw.trim().to_owned()),
                    None => filter.words.push(WordFilter {
                        name: ch.name.to_owned(),
                        label: ch.label.to_owned(),
                        values: vec![raw.trim().to_owned()],
                    }),
                }
            }
            _ => errors.add("kind", format!("“{}” cannot be filtered that way.", short(key))),
        }
    }
    for (name, mut range) in numbers {
        if let (Some(min), Some(max)) = (range.min, range.max)
            && min > max
        {
            errors.add(&format!("{name}_max"), format!("The highest {} is below the lowest.", range.label));
            range.max = None;
        }
        if range.min.is_some() || range.max.is_some() {
            filter.numbers.push(range);
        }
    }
}

/// A name from the URL, cut short for a message.
fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> KindRule<'static> {
        let ch = |name: &'static str, is_number: bool, allowed_words: &'static str| CharacteristicRule {
            name,
            label: name,
            unit: if is_number { "MHz" } else { "" },
            is_number,
            allowed_words,
        };
        KindRule {
            code: "personal-computer",
            name: "Personal computers",
            characteristics: vec![
                ch("cpu_mhz", true, ""),
                ch("disk_gb", true, ""),
                ch("color", false, "black\nsilver"),
            ],
        }
    }

    fn q(pairs: &[(&str, &str)]) -> Query {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn reads_a_full_search() {
        let spec = spec();
        let (f, errors) = read_filter(
            &q(&[
                ("kind", "personal-computer"),
                ("cpu_mhz_min", "2000"),
                ("cpu_mhz_max", "3500.5"),
                ("disk_gb_min", "500"),
                ("color", "black"),
                ("color", "silver"),
                ("price_max", "1500"),
                ("maker", "Acme"),
                ("q", " Laptop "),
                ("sort", "-price"),
                ("page", "3"),
                ("disk_gb_max", ""),
            ]),
            Some(&spec),
            "EUR",
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(f.numbers.len(), 2);
        let cpu = f.numbers.iter().find(|n| n.name == "cpu_mhz").expect("cpu");
        assert_eq!((cpu.min, cpu.max), (Some(2000.0), Some(3500.5)));
        assert_eq!(f.words[0].values, ["black", "silver"]);
        assert_eq!((f.price_min, f.price_max), (None, Some(150_000)));
        assert_eq!((f.text.as_str(), f.sort, f.page), ("Laptop", Sort::PriceDescending, 3));
        assert_eq!(f.makers, ["Acme"]);
    }

    #[test]
    fn bad_parts_are_reported_and_left_out() {
        let spec = spec();
        let (f, errors) = read_filter(
            &q(&[
                ("cpu_mhz_min", "fast"),
                ("disk_gb_min", "900"),
                ("disk_gb_max", "100"),
                ("color", "purple"),
                ("ram_gb_min", "8"),
                ("price_min", "ten"),
                ("page", "0"),
                ("sort", "random"),
            ]),
            Some(&spec),
            "EUR",
        );
        for field in ["cpu_mhz_min", "disk_gb_max", "color", "kind", "price_min", "page", "sort"] {
            assert!(errors.has(field), "no message for {field}: {errors:?}");
        }
        assert!(errors.get("kind").contains("ram_gb"));
        assert_eq!(f.numbers.len(), 1, "the inverted range keeps its lower bound only");
        assert_eq!(f.numbers[0].min, Some(900.0));
        assert!(f.words.is_empty() && f.page == 1);
    }

    #[test]
    fn characteristics_need_a_kind_and_nan_is_no_number() {
        let (f, errors) = read_filter(&q(&[("cpu_mhz_min", "2000")]), None, "EUR");
        assert!(errors.get("kind").contains("Choose a kind"));
        assert!(f.numbers.is_empty());
        let (_, errors) = read_filter(&q(&[("cpu_mhz_min", "NaN"), ("cpu_mhz_max", "inf")]), Some(&spec()), "EUR");
        assert!(errors.has("cpu_mhz_min") && errors.has("cpu_mhz_max"));
        let (_, errors) = read_filter(&q(&[("page", "99999999999999999999999")]), None, "EUR");
        assert!(errors.has("page"));
    }

    #[test]
    fn values_are_checked_against_the_kind() {
        let spec = spec();
        let cpu = *spec.characteristic("cpu_mhz").expect("cpu");
        let color = *spec.characteristic("color").expect("color");
        assert_eq!(parse_value(cpu, " 2400 "), Ok(Some(Value::Number(2400.0))));
        assert_eq!(parse_value(cpu, ""), Ok(None));
        assert!(parse_value(cpu, "fast").is_err());
        assert_eq!(parse_value(color, "silver"), Ok(Some(Value::Word("silver".into()))));
        assert!(parse_value(color, "purple").expect_err("not allowed").contains("black, silver"));
    }

    #[test]
    fn names_and_codes() {
        assert!(check_kind_code("personal-computer").is_ok());
        for bad in ["P", "Personal", "-x", "a b", &"x".repeat(41)] {
            assert!(check_kind_code(bad).is_err(), "{bad}");
        }
        assert!(check_characteristic_name("cpu_mhz").is_ok());
        for bad in ["price_min", "q", "ram_min", "9lives", "Cpu"] {
            assert!(check_characteristic_name(bad).is_err(), "{bad}");
        }
        let code = new_offer_code();
        assert_eq!(code.len(), 6);
        assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
    }

    #[test]
    fn the_lowest_valid_agreed_price_applies() {
        let at = |h: i64| chrono::DateTime::from_timestamp(1_700_000_000 + h * 3600, 0).expect("t").naive_utc();
        let price = |price: i64, from: Option<i64>, until: Option<i64>| AgreedTerms {
            price,
            valid_from: from.map(at),
            valid_until: until.map(at),
        };
        let agreed = [price(900, None, None), price(800, Some(10), Some(20))];
        assert_eq!(effective_price(1000, [], at(0)), 1000);
        assert_eq!(effective_price(1000, agreed, at(5)), 900);
        assert_eq!(effective_price(1000, agreed, at(10)), 800, "from is inclusive");
        assert_eq!(effective_price(1000, agreed, at(20)), 900, "until is exclusive");
        assert_eq!(effective_price(700, agreed, at(15)), 700, "never above the list price");
    }
}
