//! Money: an integer count of minor units with an ISO currency code; never a float. Amounts people
//! type are read here and nowhere else.

/// How many minor digits the currency has (ISO 4217): most have two.
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "VND" | "VUV"
        | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

fn scale(digits: u32) -> i64 {
    10_i64.pow(digits)
}

/// "1,234.56 EUR".
pub fn format(minor: i64, currency: &str) -> String {
    let digits = minor_digits(currency);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let major = abs / scale(digits) as u64;
    let whole = major.to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    match digits {
        0 => format!("{sign}{grouped} {currency}"),
        d => format!("{sign}{grouped}.{:0width$} {currency}", abs % scale(d) as u64, width = d as usize),
    }
}

/// Minor units as a form shows them again ("1499.90"): no grouping, a decimal point.
pub fn to_input(minor: i64, currency: &str) -> String {
    let digits = minor_digits(currency);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    match digits {
        0 => format!("{sign}{abs}"),
        d => format!("{sign}{}.{:0width$}", abs / scale(d) as u64, abs % scale(d) as u64, width = d as usize),
    }
}

/// Separators of thousands besides the comma and the point: spaces and the Swiss apostrophe.
fn is_group_mark(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\'' | '’')
}

/// An amount as typed into a form, in minor units of `currency`. One decimal separator (a comma
/// or a point) with at most the currency's minor digits; separators of thousands (commas, points,
/// spaces, apostrophes) only where they cannot be read as the decimal one: "1.500,00", "1,500.00",
/// "1 500" and "1,234,567" are read; "1,500" (fifteen hundred, or one and a half?) is refused.
pub fn parse(input: &str, currency: &str) -> Result<i64, &'static str> {
    let digits = minor_digits(currency);
    let s = input.trim();
    if s.is_empty() {
        return Err("Enter an amount.");
    }
    if s.starts_with('-') {
        return Err("The amount cannot be negative.");
    }
    if !s.chars().all(|c| c.is_ascii_digit() || c == ',' || c == '.' || is_group_mark(c)) {
        return Err("Enter an amount in digits, such as 12.50.");
    }
    let (whole, fraction) = split_decimal(s, digits)?;
    let whole = ungroup(whole)?;
    if fraction.len() > digits as usize {
        return Err(match digits {
            0 => "This currency has no cents: enter a whole amount.",
            3 => "Use at most three decimals.",
            _ => "Use at most two decimals.",
        });
    }
    if whole.is_empty() && fraction.is_empty() {
        return Err("Enter an amount such as 12.50.");
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| "The amount is too large.")? };
    let fraction: i64 = format!("{fraction:0<width$}", width = digits as usize).parse().unwrap_or(0);
    whole.checked_mul(scale(digits)).and_then(|w| w.checked_add(fraction)).ok_or("The amount is too large.")
}

/// The whole part (with its separators of thousands) and the decimals.
fn split_decimal(s: &str, digits: u32) -> Result<(&str, &str), &'static str> {
    let commas = s.matches(',').count();
    let points = s.matches('.').count();
    let decimal = match (commas, points) {
        (0, 0) => None,
        // Both kinds: the last one is the decimal separator, and it may occur once.
        (c, p) if c > 0 && p > 0 => {
            let last = if s.rfind(',') > s.rfind('.') { ',' } else { '.' };
            if s.matches(last).count() > 1 {
                return Err("Use one decimal separator, after the separators of thousands.");
            }
            Some(last)
        }
        // One kind, several times: separators of thousands.
        (c, p) if c > 1 || p > 1 => None,
        // One kind, once: decimals unless it groups three digits, which is ambiguous.
        _ => {
            let mark = if commas == 1 { ',' } else { '.' };
            let after = s.rsplit(mark).next().unwrap_or_default();
            let groups_three = after.len() == 3 && after.chars().all(|c| c.is_ascii_digit());
            match (groups_three, digits) {
                (true, 0) => None,
                (true, 3) => Some(mark),
                (true, _) => return Err("Is that a decimal or a thousands separator? Write 1500 or 1.50, not 1,500."),
                (false, _) => Some(mark),
            }
        }
    };
    Ok(match decimal {
        Some(mark) => s.rsplit_once(mark).unwrap_or((s, "")),
        None => (s, ""),
    })
}

/// The digits of a whole part, its separators of thousands checked (groups of three) and removed.
fn ungroup(whole: &str) -> Result<String, &'static str> {
    let groups: Vec<&str> = whole.split(|c: char| c == ',' || c == '.' || is_group_mark(c)).collect();
    let well_grouped = groups.len() == 1
        || (groups.iter().all(|g| g.chars().all(|c| c.is_ascii_digit()))
            && (1..=3).contains(&groups[0].len())
            && groups[1..].iter().all(|g| g.len() == 3));
    if !well_grouped {
        return Err("Group thousands by three digits (1,234,567), or leave the separators out.");
    }
    Ok(groups.concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever is typed is an amount or a refusal, never a panic; an amount read back from
        /// its own form reads the same.
        #[test]
        fn any_text_is_an_amount_or_a_refusal(raw in "\\PC{0,24}", currency in "EUR|JPY|KWD") {
            if let Ok(minor) = parse(&raw, &currency) {
                prop_assert!(minor >= 0);
                prop_assert_eq!(parse(&to_input(minor, &currency), &currency), Ok(minor));
            }
        }

        #[test]
        fn digits_and_separators_never_panic(raw in "[0-9.,' ]{0,30}") {
            let _ = parse(&raw, "EUR");
        }
    }

    #[test]
    fn formats_with_grouping_and_the_currencys_decimals() {
        assert_eq!(format(0, "EUR"), "0.00 EUR");
        assert_eq!(format(5, "EUR"), "0.05 EUR");
        assert_eq!(format(123_456_789, "EUR"), "1,234,567.89 EUR");
        assert_eq!(format(-150, "EUR"), "-1.50 EUR");
        assert_eq!(format(i64::MIN, "EUR"), "-92,233,720,368,547,758.08 EUR");
        assert_eq!(format(150_000, "JPY"), "150,000 JPY");
        assert_eq!(format(1_500, "KWD"), "1.500 KWD");
        assert_eq!(to_input(149_990, "EUR"), "1499.90");
        assert_eq!(to_input(1_500, "JPY"), "1500");
    }

    #[test]
    fn typed_amounts_are_read_one_way() {
        let read = [
            ("1499", 149_900),
            ("1500,00", 150_000),
            ("1500.00", 150_000),
            ("1.500,00", 150_000),
            ("1,500.00", 150_000),
            ("1 500,50", 150_050),
            ("1\u{a0}500.50", 150_050),
            ("1'500.50", 150_050),
            ("1,234,567", 123_456_700),
            ("1.234.567", 123_456_700),
            ("1,499.9", 149_990),
            ("12,5", 1_250),
            (" 0.05 ", 5),
            (".5", 50),
            (",5", 50),
            ("0", 0),
        ];
        for (typed, minor) in read {
            assert_eq!(parse(typed, "EUR"), Ok(minor), "{typed:?}");
        }
        assert_eq!(parse("0.1", "EUR").map(|v| v * 3), Ok(30), "no float rounding");
    }

    #[test]
    fn ambiguous_and_malformed_amounts_are_refused_with_a_reason() {
        let refused = [
            ("", "Enter an amount."),
            ("-1", "The amount cannot be negative."),
            ("1,500", "Is that a decimal or a thousands separator? Write 1500 or 1.50, not 1,500."),
            ("1.500", "Is that a decimal or a thousands separator? Write 1500 or 1.50, not 1,500."),
            ("1.234", "Is that a decimal or a thousands separator? Write 1500 or 1.50, not 1,500."),
            ("1.2345", "Use at most two decimals."),
            ("1,23,456", "Group thousands by three digits (1,234,567), or leave the separators out."),
            ("12 34", "Group thousands by three digits (1,234,567), or leave the separators out."),
            ("1.234,5.6", "Use one decimal separator, after the separators of thousands."),
            ("1,500.00.00", "Use one decimal separator, after the separators of thousands."),
            ("1,,5", "Group thousands by three digits (1,234,567), or leave the separators out."),
            ("1e5", "Enter an amount in digits, such as 12.50."),
            ("12 €", "Enter an amount in digits, such as 12.50."),
            (".", "Enter an amount such as 12.50."),
            ("99999999999999999999", "The amount is too large."),
        ];
        for (typed, message) in refused {
            assert_eq!(parse(typed, "EUR"), Err(message), "{typed:?}");
        }
    }

    #[test]
    fn currencies_without_or_with_three_decimals() {
        assert_eq!(parse("1,500", "JPY"), Ok(1_500), "no decimals: the comma groups thousands");
        assert_eq!(parse("1500.5", "JPY"), Err("This currency has no cents: enter a whole amount."));
        assert_eq!(parse("1,500", "KWD"), Ok(1_500), "three decimals: 1.500 dinars");
        assert_eq!(parse("2.5", "KWD"), Ok(2_500));
    }
}
