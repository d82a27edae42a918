//! The orders' figures on the salespeople's and the administrators' start pages.

use chrono::{Datelike, Duration, NaiveDateTime};

use super::super::repo;
use super::super::rules::OrderState;
use super::OrderError;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::money;
use crate::web::identity::Identity;
use crate::web::nav::{Figure, Panel};

/// Days the sales chart shows, today included.
pub const CHART_DAYS: usize = 30;

fn count_in(counts: &[(OrderState, i64)], states: &[OrderState]) -> i64 {
    counts.iter().filter(|(s, _)| states.contains(s)).map(|(_, n)| n).sum()
}

/// Sales per day over the `CHART_DAYS` days up to `today` (oldest first), today's, and the month's.
pub fn daily_sales(sales: &[(NaiveDateTime, i64)], today: chrono::NaiveDate) -> (Vec<i64>, i64, i64) {
    let mut days = vec![0; CHART_DAYS];
    let mut month = 0;
    for (at, total) in sales {
        let day = at.date();
        let back = (today - day).num_days();
        if (0..CHART_DAYS as i64).contains(&back) {
            days[CHART_DAYS - 1 - back as usize] += total;
        }
        if day.year() == today.year() && day.month() == today.month() && day <= today {
            month += total;
        }
    }
    (days.clone(), days[CHART_DAYS - 1], month)
}

/// A salesperson's start page: their office's orders waiting per state, today's and this month's
/// sales, and a chart of the last 30 days.
pub fn seller_panel(conn: &mut DbConnection, user: &Identity) -> Result<Option<Panel>, AppError> {
    let Some(office) = crate::echeck::office_of(conn, &user.id)? else { return Ok(None) };
    let counts = repo::state_counts_of_office(conn, &office.id).map_err(OrderError::from)?;
    let now = crate::db::now();
    let today = now.date();
    let month_start = today.with_day(1).unwrap_or(today);
    let chart_start = today - Duration::days(CHART_DAYS as i64 - 1);
    let since = month_start.min(chart_start).and_hms_opt(0, 0, 0).unwrap_or(now);
    let sales = repo::sales_of_office_since(conn, &office.id, since).map_err(OrderError::from)?;
    let (days, today_sum, month_sum) = daily_sales(&sales, today);
    let currency = crate::echeck::settings(conn)?.currency;
    let m = |amount: i64| money::format(amount, &currency);
    let to_confirm = count_in(&counts, &[OrderState::Placed]);
    let to_ship = count_in(&counts, &[OrderState::PriceConfirmed, OrderState::Approved]);
    let figures = vec![
        Figure::new("To confirm", to_confirm).link("/sell/orders?state=placed").attention(to_confirm > 0),
        Figure::new("To ship", to_ship).link("/sell/orders").attention(to_ship > 0),
        Figure::new("On the way", count_in(&counts, &[OrderState::Shipped])).link("/sell/orders?state=shipped"),
        Figure::new("Sales today", m(today_sum)),
        Figure::new("This month", m(month_sum)),
    ];
    let best = days.iter().copied().max().unwrap_or(0);
    let about = format!("Sales of {} per day over the last {CHART_DAYS} days; the best day {}.", office.name, m(best));
    let chart = crate::web::chart::bars(&days, 600, 120, &about);
    Ok(Some(Panel { title: format!("Orders of {}", office.name), figures, chart: Some((chart, about)) }))
}

/// The administrators' start page: orders shop-wide.
pub fn admin_panel(conn: &mut DbConnection, _user: &Identity) -> Result<Option<Panel>, AppError> {
    let counts = repo::state_counts(conn).map_err(OrderError::from)?;
    let today = crate::db::now().date().and_hms_opt(0, 0, 0).unwrap_or_default();
    let placed_today = repo::count_since(conn, today).map_err(OrderError::from)?;
    let waiting = count_in(&counts, &[OrderState::Placed, OrderState::PriceConfirmed, OrderState::Approved]);
    let figures = vec![
        Figure::new("Placed today", placed_today),
        Figure::new("Waiting for sellers", waiting),
        Figure::new("On the way", count_in(&counts, &[OrderState::Shipped])),
        Figure::new("Delivered", count_in(&counts, &[OrderState::Delivered])),
    ];
    Ok(Some(Panel { title: "Orders".into(), figures, chart: None }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sales_fall_into_their_days_and_month() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let at = |d: chrono::NaiveDate| d.and_hms_opt(15, 0, 0).expect("time");
        let sales = [
            (at(today), 500),
            (at(today), 250),
            (at(today - Duration::days(1)), 100), // 1 March: this month
            (at(today - Duration::days(2)), 40),  // 28 February: last month, in the chart
            (at(today - Duration::days(40)), 9),  // outside both
        ];
        let (days, today_sum, month) = daily_sales(&sales, today);
        assert_eq!(days.len(), CHART_DAYS);
        assert_eq!((days[29], days[28], days[27]), (750, 100, 40));
        assert_eq!(days.iter().sum::<i64>(), 890);
        assert_eq!((today_sum, month), (750, 850));
    }
}
