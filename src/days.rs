//! Days as people type them (YYYY-MM-DD): read here and nowhere else. The year is bounded, so
//! that no arithmetic on a day someone typed (the day after the last of a period, a week back)
//! can overflow: chrono reads "+262142-12-31" as a day, and adding one to it panicked.

use chrono::{NaiveDate, NaiveDateTime};

/// The first and last years a typed day may fall in.
pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 9999;

/// Why a typed day was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DayError {
    #[error("Enter a day as YYYY-MM-DD.")]
    Format,
    #[error("Enter a day between the years 1900 and 9999.")]
    OutOfRange,
}

/// A day as a form gives it; None when left empty.
pub fn parse(raw: &str) -> Result<Option<NaiveDate>, DayError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let shape = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !shape {
        return Err(DayError::Format);
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| DayError::Format)?;
    if !(FIRST_YEAR..=LAST_YEAR).contains(&chrono::Datelike::year(&day)) {
        return Err(DayError::OutOfRange);
    }
    Ok(Some(day))
}

/// The start of a day (midnight, UTC).
pub fn start(day: NaiveDate) -> NaiveDateTime {
    day.and_time(chrono::NaiveTime::MIN)
}

/// The start of the next day: where a period whose last day is `day` ends. Saturates at the last
/// day chrono knows instead of panicking (a typed day never comes near it).
pub fn end_of(day: NaiveDate) -> NaiveDateTime {
    start(day.succ_opt().unwrap_or(NaiveDate::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_days_and_refuses_what_is_not_one() {
        let d = |y, m, day| Ok(Some(NaiveDate::from_ymd_opt(y, m, day).expect("a day")));
        assert_eq!(parse(" 2026-12-03 "), d(2026, 12, 3));
        assert_eq!(parse(""), Ok(None));
        assert_eq!(parse("+262142-12-31"), Err(DayError::Format));
        assert_eq!(parse("2026-02-30"), Err(DayError::Format));
        assert_eq!(parse("26-12-03"), Err(DayError::Format));
        assert_eq!(parse("0001-01-01"), Err(DayError::OutOfRange));
        assert_eq!(parse("9999-12-31"), d(9999, 12, 31));
        assert_eq!(end_of(NaiveDate::MAX), start(NaiveDate::MAX));
    }

    proptest! {
        #[test]
        fn any_text_is_a_day_or_a_refusal_and_its_end_is_later(raw in ".{0,16}") {
            if let Ok(Some(day)) = parse(&raw) {
                prop_assert!(end_of(day) > start(day));
            }
        }

        #[test]
        fn any_day_in_range_reads_back(days in 0i64..2_900_000) {
            let day = NaiveDate::from_ymd_opt(FIRST_YEAR, 1, 1).expect("a day") + chrono::Days::new(days as u64);
            let text = day.format("%Y-%m-%d").to_string();
            prop_assert_eq!(parse(&text), Ok(Some(day)));
        }
    }
}
