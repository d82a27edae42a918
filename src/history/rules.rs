//! How coarse the stores keep time: sales by the day, purchase requests by the hour (UTC).

use chrono::{NaiveDateTime, Timelike};

/// The start of the day `at` falls in.
pub fn day_of(at: NaiveDateTime) -> NaiveDateTime {
    at.date().and_hms_opt(0, 0, 0).unwrap_or(at)
}

/// The start of the hour `at` falls in.
pub fn hour_of(at: NaiveDateTime) -> NaiveDateTime {
    at.date().and_hms_opt(at.hour(), 0, 0).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(h: u32, m: u32, s: u32, ms: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, 2).and_then(|d| d.and_hms_milli_opt(h, m, s, ms)).expect("a time")
    }

    #[test]
    fn days_and_hours_keep_nothing_finer() {
        assert_eq!(day_of(at(23, 59, 59, 999)), at(0, 0, 0, 0));
        assert_eq!(day_of(at(0, 0, 0, 0)), at(0, 0, 0, 0));
        assert_eq!(hour_of(at(14, 7, 31, 250)), at(14, 0, 0, 0));
        assert_eq!(hour_of(at(14, 0, 0, 0)), at(14, 0, 0, 0));
    }
}
