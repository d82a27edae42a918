//! The pure rules of the collection: the collection rate, what a record of cartridges earns
//! (points per cartridge, a bonus by rate tier, the monthly cap, nothing for cartridges beyond
//! those bought), when points expire, which lots a redemption takes, and how points split over
//! the orders of one checkout.

use chrono::{Months, NaiveDateTime};

use crate::web::forms::FieldErrors;

crate::db::text_enum! {
    /// What a points entry did to the balance.
    pub enum EntryKind {
        Earned = "earned",
        Redeemed = "redeemed",
        Expired = "expired",
        Restored = "restored",
        Reversed = "reversed",
        Adjusted = "adjusted",
    }
}

impl EntryKind {
    pub fn label(self) -> &'static str {
        match self {
            EntryKind::Earned => "Earned",
            EntryKind::Redeemed => "Redeemed",
            EntryKind::Expired => "Expired",
            EntryKind::Restored => "Given back",
            EntryKind::Reversed => "Corrected",
            EntryKind::Adjusted => "Adjusted",
        }
    }
}

crate::db::text_enum! {
    /// Where a reward claim stands.
    pub enum ClaimState {
        Claimed = "claimed",
        HandedOver = "handed_over",
        Cancelled = "cancelled",
    }
}

impl ClaimState {
    pub fn label(self) -> &'static str {
        match self {
            ClaimState::Claimed => "Waiting at the desk",
            ClaimState::HandedOver => "Handed over",
            ClaimState::Cancelled => "Cancelled, points given back",
        }
    }
}

/// The longest a card number, a quantity or a points figure typed may be: beyond it, nothing real.
pub const MAX_QUANTITY: i64 = 1_000;
pub const MAX_POINTS: i64 = 1_000_000_000;

/// A bonus tier: from this collection rate (percent) on, points are multiplied by
/// `multiplier_percent` / 100.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tier {
    pub rate_percent: i64,
    pub multiplier_percent: i64,
}

/// The published points rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PointsRules {
    pub points_reusable: i64,
    pub points_other: i64,
    /// Ascending by rate.
    pub tiers: Vec<Tier>,
    /// Points a member can earn in one calendar month; 0 for no cap.
    pub monthly_cap: i64,
    /// Cartridges a member may bring beyond those bought in the last 12 months and still earn.
    pub allowance: i64,
    pub expiry_months: u32,
    /// What one point is worth at checkout, in minor units.
    pub point_value: i64,
    pub currency: String,
    /// The catalog kinds whose goods are cartridges (codes).
    pub cartridge_kinds: Vec<String>,
}

impl PointsRules {
    /// The rules a new shop starts with.
    pub fn starting(currency: &str) -> PointsRules {
        PointsRules {
            points_reusable: 20,
            points_other: 5,
            tiers: vec![
                Tier { rate_percent: 50, multiplier_percent: 150 },
                Tier { rate_percent: 80, multiplier_percent: 200 },
            ],
            monthly_cap: 1_000,
            allowance: 2,
            expiry_months: 12,
            point_value: 1,
            currency: currency.to_owned(),
            cartridge_kinds: vec!["toner-cartridge".to_owned(), "ink-cartridge".to_owned()],
        }
    }

    pub fn is_cartridge_kind(&self, kind_code: &str) -> bool {
        self.cartridge_kinds.iter().any(|k| k == kind_code)
    }

    /// The multiplier (percent) at a collection rate; 100 without one.
    pub fn multiplier_at(&self, rate: Option<i64>) -> i64 {
        let Some(rate) = rate else { return 100 };
        self.tiers.iter().filter(|t| rate >= t.rate_percent).map(|t| t.multiplier_percent).next_back().unwrap_or(100)
    }

    pub fn tiers_text(&self) -> String {
        format_tiers(&self.tiers)
    }
}

pub fn format_tiers(tiers: &[Tier]) -> String {
    tiers.iter().map(|t| format!("{}:{}", t.rate_percent, t.multiplier_percent)).collect::<Vec<_>>().join(" ")
}

/// Reads tiers as typed: "rate%:multiplier%" pairs separated by spaces or commas, e.g.
/// "50:150 80:200". Rates from 1 to 1000, multipliers from 100 to 1000, rates rising.
pub fn parse_tiers(text: &str) -> Result<Vec<Tier>, &'static str> {
    const HOW: &str =
        "Write tiers as rate:multiplier in percent, e.g. \"50:150 80:200\" (from a 50% rate, points × 1.5).";
    let mut tiers: Vec<Tier> = Vec::new();
    for pair in text.split([' ', ',', ';', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
        let (rate, multiplier) = pair.trim_end_matches('%').split_once(':').ok_or(HOW)?;
        let rate: i64 = rate.trim().trim_end_matches('%').parse().map_err(|_| HOW)?;
        let multiplier: i64 = multiplier.trim().trim_end_matches('%').parse().map_err(|_| HOW)?;
        if !(1..=1000).contains(&rate) || !(100..=1000).contains(&multiplier) {
            return Err("Rates run from 1 to 1000%, multipliers from 100 to 1000%.");
        }
        if tiers.last().is_some_and(|t| t.rate_percent >= rate) {
            return Err("List the tiers from the lowest rate to the highest, each rate once.");
        }
        tiers.push(Tier { rate_percent: rate, multiplier_percent: multiplier });
    }
    if tiers.len() > 10 {
        return Err("At most 10 tiers.");
    }
    Ok(tiers)
}

/// Checks rules an admin typed, field by field.
pub fn check_rules(rules: &PointsRules) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let points = 0..=10_000;
    if !points.contains(&rules.points_reusable) {
        errors.add("points_reusable", "Between 0 and 10,000 points per cartridge.");
    }
    if !points.contains(&rules.points_other) {
        errors.add("points_other", "Between 0 and 10,000 points per cartridge.");
    }
    if !(0..=MAX_POINTS).contains(&rules.monthly_cap) {
        errors.add("monthly_cap", "A number of points, 0 for no cap.");
    }
    if !(0..=MAX_QUANTITY).contains(&rules.allowance) {
        errors.add("allowance", "Between 0 and 1,000 cartridges.");
    }
    if !(1..=120).contains(&rules.expiry_months) {
        errors.add("expiry_months", "Between 1 and 120 months.");
    }
    if !(1..=1_000_000).contains(&rules.point_value) {
        errors.add("point_value", "A point is worth something: at least one minor unit.");
    }
    errors.into_result()
}

// ---- the collection rate ----

/// What a member bought and brought back over the last 12 months (net of corrections).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Standing {
    pub bought: i64,
    pub collected: i64,
}

impl Standing {
    /// Collected / bought in whole percent; none when nothing was bought.
    pub fn rate_percent(&self) -> Option<i64> {
        (self.bought > 0).then(|| self.collected.max(0).saturating_mul(100) / self.bought)
    }

    pub fn rate_text(&self) -> String {
        self.rate_percent().map_or_else(|| "—".to_owned(), |r| format!("{r}%"))
    }
}

/// The window the rate and the anti-farming rule look at.
pub fn rate_window_start(at: NaiveDateTime) -> NaiveDateTime {
    at.checked_sub_months(Months::new(12)).unwrap_or(at)
}

/// The first moment of the calendar month of `at` (the monthly cap's month).
pub fn month_start(at: NaiveDateTime) -> NaiveDateTime {
    use chrono::Datelike;
    at.date().with_day(1).unwrap_or(at.date()).and_hms_opt(0, 0, 0).unwrap_or(at)
}

// ---- earning ----

/// What a record of cartridges earns, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Earning {
    /// Cartridges that earn: none beyond those bought plus the allowance.
    pub eligible: i64,
    pub multiplier_percent: i64,
    pub points: i64,
    /// The monthly cap cut the points.
    pub capped: bool,
}

/// What `quantity` cartridges earn for a member with `before` (not counting them) and
/// `earned_this_month` points earned so far this month.
pub fn earn(rules: &PointsRules, quantity: i64, reusable: bool, before: Standing, earned_this_month: i64) -> Earning {
    let room = before.bought.saturating_add(rules.allowance).saturating_sub(before.collected.max(0)).max(0);
    let eligible = quantity.clamp(0, room);
    let after = Standing { bought: before.bought, collected: before.collected.saturating_add(quantity) };
    let multiplier_percent = rules.multiplier_at(after.rate_percent());
    let per = if reusable { rules.points_reusable } else { rules.points_other };
    let full = eligible.saturating_mul(per).saturating_mul(multiplier_percent) / 100;
    let (points, capped) = if rules.monthly_cap > 0 {
        let left = rules.monthly_cap.saturating_sub(earned_this_month).max(0);
        (full.min(left), full > left)
    } else {
        (full, false)
    };
    Earning { eligible, multiplier_percent, points, capped }
}

/// When points earned at `at` expire.
pub fn expires_at(at: NaiveDateTime, months: u32) -> NaiveDateTime {
    at.checked_add_months(Months::new(months)).unwrap_or(NaiveDateTime::MAX)
}

// ---- taking points from lots ----

/// A lot as redemption sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotLeft<Id> {
    pub id: Id,
    pub remaining: i64,
    pub expires_at: NaiveDateTime,
}

/// Which lots `points` come from: `first` (a correction takes back from the lot its record made),
/// then the soonest-expiring; expired lots never. None when the lots that still count hold fewer.
pub fn take_from<Id: Clone + PartialEq>(
    lots: &[LotLeft<Id>],
    points: i64,
    at: NaiveDateTime,
    first: Option<&Id>,
) -> Option<Vec<(Id, i64)>> {
    let mut live: Vec<&LotLeft<Id>> = lots.iter().filter(|l| l.expires_at > at && l.remaining > 0).collect();
    live.sort_by_key(|l| (Some(&l.id) != first, l.expires_at));
    let mut left = points;
    let mut takes = Vec::new();
    for lot in live {
        if left == 0 {
            break;
        }
        let take = lot.remaining.min(left);
        takes.push((lot.id.clone(), take));
        left -= take;
    }
    (left == 0).then_some(takes)
}

/// The points that count at `at`: lots not expired.
pub fn available<Id>(lots: &[LotLeft<Id>], at: NaiveDateTime) -> i64 {
    lots.iter().filter(|l| l.expires_at > at).map(|l| l.remaining).sum()
}

/// Points that expire within `days` of `at` (and have not yet).
pub fn expiring_within<Id>(lots: &[LotLeft<Id>], at: NaiveDateTime, days: i64) -> i64 {
    let until = at + chrono::Duration::days(days);
    lots.iter().filter(|l| l.expires_at > at && l.expires_at <= until).map(|l| l.remaining).sum()
}

// ---- points at checkout ----

/// The most points a checkout can use: what the member has, and no more than brings each order
/// to zero (whole points only).
pub fn most_redeemable(available: i64, order_totals: &[i64], point_value: i64) -> i64 {
    if point_value <= 0 {
        return 0;
    }
    let room: i64 = order_totals.iter().map(|t| t.max(&0) / point_value).fold(0, i64::saturating_add);
    available.max(0).min(room)
}

/// How `points` split over the orders of one checkout: each order takes what it can, in order.
/// None when they do not fit.
pub fn split_points(points: i64, order_totals: &[i64], point_value: i64) -> Option<Vec<i64>> {
    if points < 0 || point_value <= 0 {
        return None;
    }
    let mut left = points;
    let split: Vec<i64> = order_totals
        .iter()
        .map(|total| {
            let take = left.min(total.max(&0) / point_value);
            left -= take;
            take
        })
        .collect();
    (left == 0).then_some(split)
}

/// Reads the points a shopper typed at checkout: empty is none.
pub fn parse_points(text: &str) -> Result<i64, &'static str> {
    let text = text.trim().replace([',', '_', ' '], "");
    if text.is_empty() {
        return Ok(0);
    }
    match text.parse::<i64>() {
        Ok(n) if (0..=MAX_POINTS).contains(&n) => Ok(n),
        Ok(_) => Err("Points are a whole number from 0 up."),
        Err(_) => Err("Type the points as a whole number, e.g. 250."),
    }
}

/// Reads a quantity of cartridges typed at the desk.
pub fn parse_quantity(text: &str) -> Result<i64, &'static str> {
    match text.trim().parse::<i64>() {
        Ok(n) if (1..=MAX_QUANTITY).contains(&n) => Ok(n),
        Ok(n) if n < 1 => Err("Record at least one cartridge; a mistake is corrected on its record."),
        Ok(_) => Err("At most 1,000 cartridges in one record."),
        Err(_) => Err("Type the number of cartridges, e.g. 3."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("a time")
    }

    fn rules() -> PointsRules {
        PointsRules { monthly_cap: 0, ..PointsRules::starting("EUR") }
    }

    #[test]
    fn the_rate_is_collected_over_bought_and_a_dash_without_purchases() {
        assert_eq!(Standing { bought: 0, collected: 3 }.rate_text(), "—");
        assert_eq!(Standing { bought: 4, collected: 3 }.rate_text(), "75%");
        assert_eq!(Standing { bought: 3, collected: 6 }.rate_percent(), Some(200));
    }

    #[test]
    fn points_per_cartridge_grow_with_the_rate_tier() {
        let r = rules();
        // Bought 10, brought 2 before: 3 more reusable make 50%: × 1.5.
        let e = earn(&r, 3, true, Standing { bought: 10, collected: 2 }, 0);
        assert_eq!((e.eligible, e.multiplier_percent, e.points), (3, 150, 90));
        // Non-reusable below the first tier.
        let e = earn(&r, 1, false, Standing { bought: 10, collected: 0 }, 0);
        assert_eq!((e.multiplier_percent, e.points), (100, 5));
        // 80% and more: × 2.
        assert_eq!(earn(&r, 8, false, Standing { bought: 10, collected: 0 }, 0).points, 80);
    }

    #[test]
    fn cartridges_beyond_those_bought_and_the_allowance_earn_nothing() {
        let r = rules(); // allowance 2
        let e = earn(&r, 10, false, Standing { bought: 3, collected: 1 }, 0);
        assert_eq!(e.eligible, 4); // 3 bought + 2 allowed - 1 already brought
        let e = earn(&r, 5, true, Standing { bought: 0, collected: 2 }, 0);
        assert_eq!((e.eligible, e.points), (0, 0));
        // Nothing bought: the allowance alone, at no bonus.
        let e = earn(&r, 5, true, Standing::default(), 0);
        assert_eq!((e.eligible, e.multiplier_percent, e.points), (2, 100, 40));
    }

    #[test]
    fn the_monthly_cap_cuts_points_and_says_so() {
        let r = PointsRules { monthly_cap: 100, ..rules() };
        let e = earn(&r, 4, true, Standing { bought: 100, collected: 0 }, 90);
        assert_eq!((e.points, e.capped), (10, true));
        let e = earn(&r, 1, false, Standing { bought: 100, collected: 0 }, 200);
        assert_eq!((e.points, e.capped), (0, true));
        assert!(!earn(&r, 1, false, Standing { bought: 100, collected: 0 }, 0).capped);
    }

    #[test]
    fn redemption_takes_the_soonest_expiring_lots_and_never_expired_ones() {
        let now = at("2026-06-01 12:00");
        let lots = vec![
            LotLeft { id: 'a', remaining: 50, expires_at: at("2026-12-01 00:00") },
            LotLeft { id: 'b', remaining: 30, expires_at: at("2026-07-01 00:00") },
            LotLeft { id: 'c', remaining: 99, expires_at: at("2026-06-01 12:00") }, // expired this instant
        ];
        assert_eq!(available(&lots, now), 80);
        assert_eq!(take_from(&lots, 40, now, None), Some(vec![('b', 30), ('a', 10)]));
        assert_eq!(take_from(&lots, 80, now, None), Some(vec![('b', 30), ('a', 50)]));
        assert_eq!(take_from(&lots, 81, now, None), None);
        assert_eq!(take_from(&lots, 0, now, None), Some(vec![]));
        assert_eq!(take_from(&lots, 60, now, Some(&'a')), Some(vec![('a', 50), ('b', 10)]));
        assert_eq!(take_from(&lots, 60, now, Some(&'c')), Some(vec![('b', 30), ('a', 30)]));
        assert_eq!(expiring_within(&lots, now, 30), 30);
    }

    #[test]
    fn points_at_checkout_fit_the_orders_in_whole_points() {
        assert_eq!(most_redeemable(1_000, &[250, 199], 100), 3);
        assert_eq!(most_redeemable(2, &[250, 199], 100), 2);
        assert_eq!(most_redeemable(500, &[250], 1), 250);
        assert_eq!(split_points(3, &[250, 199], 100), Some(vec![2, 1]));
        assert_eq!(split_points(4, &[250, 199], 100), None);
        assert_eq!(split_points(0, &[250], 1), Some(vec![0]));
    }

    #[test]
    fn tiers_read_as_typed_and_refuse_nonsense() {
        assert_eq!(
            parse_tiers("50:150, 80%:200%").expect("tiers"),
            vec![
                Tier { rate_percent: 50, multiplier_percent: 150 },
                Tier { rate_percent: 80, multiplier_percent: 200 }
            ]
        );
        assert_eq!(parse_tiers("").expect("tiers"), vec![]);
        assert!(parse_tiers("80:200 50:150").is_err());
        assert!(parse_tiers("50:50").is_err());
        assert!(parse_tiers("fifty").is_err());
        assert_eq!(format_tiers(&parse_tiers("50:150 80:200").expect("tiers")), "50:150 80:200");
    }

    #[test]
    fn typed_numbers_are_read_one_way() {
        assert_eq!(parse_points(""), Ok(0));
        assert_eq!(parse_points("1,250"), Ok(1250));
        assert!(parse_points("-5").is_err());
        assert!(parse_points("1e9").is_err());
        assert_eq!(parse_quantity("3"), Ok(3));
        assert!(parse_quantity("0").is_err());
        assert!(parse_quantity("-1").is_err());
        assert!(parse_quantity("99999999999999999999").is_err());
    }

    #[test]
    fn points_expire_whole_months_later() {
        assert_eq!(expires_at(at("2026-01-31 10:00"), 1), at("2026-02-28 10:00"));
        assert_eq!(month_start(at("2026-02-17 10:00")), at("2026-02-01 00:00"));
        assert_eq!(rate_window_start(at("2026-02-17 10:00")), at("2025-02-17 10:00"));
    }
}
