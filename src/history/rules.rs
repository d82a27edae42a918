//! How coarse the stores keep time: sales by the day, purchase requests by the hour (UTC); and
//! how a reading splits a period into whole months and the days around them.

use chrono::{Datelike, Months, NaiveDateTime, Timelike};

/// The start of the day `at` falls in.
pub fn day_of(at: NaiveDateTime) -> NaiveDateTime {
    at.date().and_hms_opt(0, 0, 0).unwrap_or(at)
}

/// The start of the hour `at` falls in.
pub fn hour_of(at: NaiveDateTime) -> NaiveDateTime {
    at.date().and_hms_opt(at.hour(), 0, 0).unwrap_or(at)
}

/// The start of the month `at` falls in.
pub fn month_of(at: NaiveDateTime) -> NaiveDateTime {
    at.date().with_day(1).and_then(|d| d.and_hms_opt(0, 0, 0)).unwrap_or(at)
}

/// The whole months inside the days from `from` until `until` (not included): the start of the
/// first and the end of the last; none when no month fits whole.
pub fn whole_months(from: NaiveDateTime, until: NaiveDateTime) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let first = month_of(from);
    let first = if first < from { first.checked_add_months(Months::new(1))? } else { first };
    let end = month_of(until);
    (first < end).then_some((first, end))
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

    fn day(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d).and_then(|d| d.and_hms_opt(0, 0, 0)).expect("a day")
    }

    #[test]
    fn a_period_splits_into_whole_months_and_the_days_around() {
        assert_eq!(month_of(day(2026, 12, 31)), day(2026, 12, 1));
        // 15 Nov 2025 until 4 Dec 2026: December 2025 through November 2026 are whole.
        assert_eq!(whole_months(day(2025, 11, 15), day(2026, 12, 4)), Some((day(2025, 12, 1), day(2026, 12, 1))));
        // From the first of a month until the first of another: all whole.
        assert_eq!(whole_months(day(2026, 1, 1), day(2026, 3, 1)), Some((day(2026, 1, 1), day(2026, 3, 1))));
        // Within one month, or across two partial ones: none.
        assert_eq!(whole_months(day(2026, 11, 2), day(2026, 11, 30)), None);
        assert_eq!(whole_months(day(2026, 10, 20), day(2026, 11, 10)), None);
        assert_eq!(whole_months(day(2026, 11, 1), day(2026, 11, 30)), None, "November is not whole until 1 Dec");
    }
}
