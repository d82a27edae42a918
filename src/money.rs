//! Money: an integer count of minor units with an ISO currency code; never a float.

/// Minor units per major unit. Every currency the shop offers has two decimals.
const SCALE: i64 = 100;

/// "1,234.56 EUR".
pub fn format(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let major = abs / SCALE as u64;
    let cents = abs % SCALE as u64;
    let digits = major.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped}.{cents:02} {currency}")
}

/// The amount as typed into a form ("1499", "1499.9", "1,499.90"), in minor units.
pub fn parse(input: &str) -> Result<i64, &'static str> {
    let s: String = input.trim().chars().filter(|c| *c != ',' && *c != ' ').collect();
    if s.is_empty() {
        return Err("Enter an amount.");
    }
    if s.starts_with('-') {
        return Err("The amount cannot be negative.");
    }
    let (whole, fraction) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty() && fraction.is_empty() {
        return Err("Enter an amount such as 12.50.");
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return Err("Enter an amount such as 12.50 (digits and one decimal point).");
    }
    if fraction.len() > 2 {
        return Err("Use at most two decimals.");
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| "The amount is too large.")? };
    let cents: i64 = format!("{fraction:0<2}").parse().map_err(|_| "Enter an amount such as 12.50.")?;
    whole.checked_mul(SCALE).and_then(|w| w.checked_add(cents)).ok_or("The amount is too large.")
}

/// Minor units as a form shows them again ("1499.90").
pub fn to_input(minor: i64) -> String {
    format!("{}.{:02}", minor / SCALE, (minor % SCALE).abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_grouping_and_two_decimals() {
        assert_eq!(format(0, "EUR"), "0.00 EUR");
        assert_eq!(format(5, "EUR"), "0.05 EUR");
        assert_eq!(format(123_456_789, "EUR"), "1,234,567.89 EUR");
        assert_eq!(format(-150, "EUR"), "-1.50 EUR");
        assert_eq!(format(i64::MIN, "EUR"), "-92,233,720,368,547,758.08 EUR");
    }

    #[test]
    fn parses_typed_amounts_exactly() {
        assert_eq!(parse("1499"), Ok(149_900));
        assert_eq!(parse("1,499.9"), Ok(149_990));
        assert_eq!(parse(" 0.05 "), Ok(5));
        assert_eq!(parse(".5"), Ok(50));
        assert_eq!(parse("0.1").map(|v| v * 3), Ok(30), "no float rounding");
        for bad in ["", "-1", "1.234", "abc", "1e5", "1.2.3", ".", "99999999999999999999"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(to_input(149_990), "1499.90");
    }
}
