//! The pure rules of buy-back (seed 000): where an application stands and where it may go, which
//! benefit rule applies to a purchase and a used item (the most specific one, in the order written
//! down in `SPECIFICITY`), when two rules overlap, what a benefit gives, and the price table's
//! lookup.

use chrono::NaiveDateTime;

crate::db::text_enum! {
    /// Where an application stands.
    pub enum AppState {
        /// Applied on the center's page; the item is on its way to the center.
        Applied = "applied",
        /// The center has the item.
        Received = "received",
        /// Graded and priced below the estimate: the applicant accepts or declines.
        Offered = "offered",
        /// The price stands (accepted by the applicant, or at least the estimate): the clerk pays.
        Accepted = "accepted",
        Paid = "paid",
        Rejected = "rejected",
        /// The applicant declined the offer; the item goes back.
        Returned = "returned",
        Withdrawn = "withdrawn",
    }
}

impl AppState {
    pub fn label(self) -> &'static str {
        match self {
            AppState::Applied => "Applied",
            AppState::Received => "Item received",
            AppState::Offered => "Offer waiting for the applicant",
            AppState::Accepted => "Price agreed",
            AppState::Paid => "Paid",
            AppState::Rejected => "Rejected",
            AppState::Returned => "Item returned",
            AppState::Withdrawn => "Withdrawn",
        }
    }

    /// Whether the application has ended (its personal data is then erased after a while).
    pub fn is_final(self) -> bool {
        matches!(self, AppState::Paid | AppState::Rejected | AppState::Returned | AppState::Withdrawn)
    }

    /// Whether the state may follow this one.
    pub fn may_become(self, next: AppState) -> bool {
        use AppState::*;
        matches!(
            (self, next),
            (Applied, Received | Rejected | Withdrawn)
                | (Received, Offered | Accepted | Rejected)
                | (Offered, Accepted | Returned)
                | (Accepted, Paid)
        )
    }
}

crate::db::text_enum! {
    /// What a benefit rule gives besides the buy-back price.
    pub enum BenefitKind {
        /// A fixed amount of money (minor units), paid with the price.
        Cash = "cash",
        /// A share of the buy-back price, in percent, paid with the price.
        Percent = "percent",
        /// Collection points.
        Points = "points",
    }
}

/// What a benefit comes to for a buy-back price: money paid with the price, or points.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BenefitValue {
    pub cash: i64,
    pub points: i64,
}

/// What a rule gives for `price`: a percentage rounds down to the minor unit.
pub fn benefit_value(kind: BenefitKind, amount: i64, price: i64) -> BenefitValue {
    match kind {
        BenefitKind::Cash => BenefitValue { cash: amount, points: 0 },
        BenefitKind::Percent => {
            let cash = i128::from(price.max(0)) * i128::from(amount) / 100;
            BenefitValue { cash: i64::try_from(cash).unwrap_or(i64::MAX), points: 0 }
        }
        BenefitKind::Points => BenefitValue { cash: 0, points: amount },
    }
}

/// A name compared the way people mean it: case, surrounding and repeated spaces ignored.
pub fn key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// How closely one side of a rule (the goods purchased, or the used item) is named.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Named {
    Any,
    Maker,
    Model,
}

/// The order in which rules win, most specific first, as (goods purchased, used item). A model
/// counts for more than a maker, and the goods purchased for more than the used item: the shop
/// rewards buying its goods, the used item only decides between rules about the same goods.
pub const SPECIFICITY: [(Named, Named); 9] = [
    (Named::Model, Named::Model),
    (Named::Model, Named::Maker),
    (Named::Maker, Named::Model),
    (Named::Model, Named::Any),
    (Named::Maker, Named::Maker),
    (Named::Any, Named::Model),
    (Named::Maker, Named::Any),
    (Named::Any, Named::Maker),
    (Named::Any, Named::Any),
];

/// What a rule's conditions name, as keys (`key`); an empty model or maker is any.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Conditions {
    pub bought_maker: String,
    pub bought_model: String,
    pub used_maker: String,
    pub used_model: String,
}

fn named(maker: &str, model: &str) -> Named {
    match (maker.is_empty(), model.is_empty()) {
        (true, _) => Named::Any,
        (false, true) => Named::Maker,
        (false, false) => Named::Model,
    }
}

impl Conditions {
    /// Its place in `SPECIFICITY`: 0 is the most specific.
    pub fn rank(&self) -> usize {
        let shape = (named(&self.bought_maker, &self.bought_model), named(&self.used_maker, &self.used_model));
        SPECIFICITY.iter().position(|s| *s == shape).unwrap_or(SPECIFICITY.len())
    }

    /// Whether the rule's conditions hold for goods and a used item (each as maker and model).
    pub fn hold_for(&self, bought: (&str, &str), used: (&str, &str)) -> bool {
        let side = |maker: &str, model: &str, (m, n): (&str, &str)| {
            (maker.is_empty() || maker == key(m)) && (model.is_empty() || model == key(n))
        };
        side(&self.bought_maker, &self.bought_model, bought) && side(&self.used_maker, &self.used_model, used)
    }
}

/// A benefit rule as the rules see it.
#[derive(Clone, Debug)]
pub struct RuleTerms<Id> {
    pub id: Id,
    pub conditions: Conditions,
    /// The salesperson whose offers' goods it is for; none: an admin's rule, for every purchase.
    pub seller: Option<String>,
    pub valid_from: Option<NaiveDateTime>,
    pub valid_until: Option<NaiveDateTime>,
}

impl<Id> RuleTerms<Id> {
    fn valid_at(&self, at: NaiveDateTime) -> bool {
        self.valid_from.is_none_or(|f| f <= at) && self.valid_until.is_none_or(|u| at < u)
    }

    /// Whether the rule applies to a purchase of `seller`'s goods and a used item at `at`.
    pub fn applies(&self, seller: &str, bought: (&str, &str), used: (&str, &str), at: NaiveDateTime) -> bool {
        self.seller.as_deref().is_none_or(|s| s == seller)
            && self.valid_at(at)
            && self.conditions.hold_for(bought, used)
    }

    /// Whether both rules could apply to one application: the same conditions (so the same
    /// specificity, where neither would win), periods that meet, and purchases both cover.
    pub fn overlaps<J>(&self, other: &RuleTerms<J>) -> bool {
        let periods_meet = self.valid_from.max(other.valid_from).is_none_or(|start| {
            [self.valid_until, other.valid_until].into_iter().flatten().min().is_none_or(|end| start < end)
        });
        let sellers_meet = match (&self.seller, &other.seller) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        self.conditions == other.conditions && periods_meet && sellers_meet
    }
}

/// The rule that applies: the most specific of those whose conditions hold (equal ones cannot
/// both exist, `overlaps` refuses the second).
pub fn winning_rule<'r, Id>(
    rules: &'r [RuleTerms<Id>],
    seller: &str,
    bought: (&str, &str),
    used: (&str, &str),
    at: NaiveDateTime,
) -> Option<&'r RuleTerms<Id>> {
    rules.iter().filter(|r| r.applies(seller, bought, used, at)).min_by_key(|r| r.conditions.rank())
}

/// One line of a center's price table (maker and model as keys; an empty model is any model of
/// the maker).
#[derive(Clone, Debug)]
pub struct PriceLine {
    pub maker: String,
    pub model: String,
    pub grade: String,
    pub price: i64,
}

/// The price a center's table gives for an item in a grade: its model's line, else its maker's.
pub fn table_price(lines: &[PriceLine], maker: &str, model: &str, grade: &str) -> Option<i64> {
    let (maker, model, grade) = (key(maker), key(model), key(grade));
    let line = |m: &str| lines.iter().find(|l| l.maker == maker && l.model == m && key(&l.grade) == grade);
    line(&model).or_else(|| line("")).map(|l| l.price)
}

/// A center's grade scale as typed by an admin ("like new, good, fair, broken"): the grades in
/// order, best first; none when empty or repeated.
pub fn parse_grades(text: &str) -> Result<Vec<String>, &'static str> {
    let grades: Vec<String> = text
        .split([',', '\n'])
        .map(|g| g.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|g| !g.is_empty())
        .collect();
    if grades.is_empty() {
        return Err("Name at least one grade, best first, separated by commas.");
    }
    if grades.iter().any(|g| g.chars().count() > 40) {
        return Err("A grade has at most 40 characters.");
    }
    let keys: std::collections::HashSet<String> = grades.iter().map(|g| key(g)).collect();
    if keys.len() != grades.len() {
        return Err("Each grade once.");
    }
    Ok(grades)
}

/// Whether an offer needs the applicant's word: it is below what the estimate promised.
pub fn needs_acceptance(estimate: Option<i64>, offered: i64) -> bool {
    estimate.is_none_or(|e| offered < e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 12, day).and_then(|d| d.and_hms_opt(12, 0, 0)).expect("a day")
    }

    fn rule(id: u32, bought: (&str, &str), used: (&str, &str)) -> RuleTerms<u32> {
        RuleTerms {
            id,
            conditions: Conditions {
                bought_maker: key(bought.0),
                bought_model: key(bought.1),
                used_maker: key(used.0),
                used_model: key(used.1),
            },
            seller: None,
            valid_from: None,
            valid_until: None,
        }
    }

    /// Every shape of rule at once: each time the most specific one is taken away, the next in
    /// `SPECIFICITY` wins.
    #[test]
    fn the_most_specific_rule_wins_in_the_written_order() {
        let table = [
            (1, ("Acme", "X1"), ("Zeta", "Z9")),
            (2, ("Acme", "X1"), ("Zeta", "")),
            (3, ("Acme", ""), ("Zeta", "Z9")),
            (4, ("Acme", "X1"), ("", "")),
            (5, ("Acme", ""), ("Zeta", "")),
            (6, ("", ""), ("Zeta", "Z9")),
            (7, ("Acme", ""), ("", "")),
            (8, ("", ""), ("Zeta", "")),
            (9, ("", ""), ("", "")),
        ];
        let mut rules: Vec<RuleTerms<u32>> = table.iter().map(|(id, b, u)| rule(*id, *b, *u)).collect();
        for (n, shape) in SPECIFICITY.iter().enumerate() {
            let won = winning_rule(&rules, "s", ("ACME", " x1 "), ("zeta", "Z9"), at(3)).expect("a rule wins");
            assert_eq!(won.id as usize, n + 1, "expected the rule of shape {shape:?}");
            assert_eq!(won.conditions.rank(), n);
            let id = won.id;
            rules.retain(|r| r.id != id);
        }
        assert!(winning_rule(&rules, "s", ("Acme", "X1"), ("Zeta", "Z9"), at(3)).is_none());
    }

    #[test]
    fn a_rule_applies_only_where_its_conditions_seller_and_period_hold() {
        let mut r = rule(1, ("Acme", "X1"), ("", ""));
        assert!(r.applies("s", ("Acme", "X1"), ("Any", "Thing"), at(3)));
        assert!(!r.applies("s", ("Acme", "X2"), ("Any", "Thing"), at(3)));
        assert!(!r.applies("s", ("Other", "X1"), ("Any", "Thing"), at(3)));
        r.seller = Some("s".into());
        assert!(!r.applies("t", ("Acme", "X1"), ("Any", "Thing"), at(3)));
        r.valid_from = Some(at(2));
        r.valid_until = Some(at(4));
        assert!(r.applies("s", ("Acme", "X1"), ("", ""), at(2)));
        assert!(!r.applies("s", ("Acme", "X1"), ("", ""), at(1)));
        assert!(!r.applies("s", ("Acme", "X1"), ("", ""), at(4)), "the end is not part of the period");
    }

    #[test]
    fn equal_rules_overlap_unless_their_periods_or_sellers_part() {
        let a = rule(1, ("Acme", ""), ("Zeta", ""));
        let mut b = rule(2, ("acme", ""), ("ZETA", ""));
        assert!(a.overlaps(&b));
        assert!(!a.overlaps(&rule(3, ("Acme", "X1"), ("Zeta", ""))), "a more specific rule does not overlap");
        b.valid_from = Some(at(5));
        assert!(a.overlaps(&b), "an open-ended rule meets every period");
        let mut a2 = a.clone();
        a2.valid_until = Some(at(5));
        assert!(!a2.overlaps(&b), "one ends when the other starts");
        b.valid_from = None;
        a2.valid_until = None;
        a2.seller = Some("s".into());
        b.seller = Some("t".into());
        assert!(!a2.overlaps(&b), "two salespeople's rules cover different purchases");
        b.seller = None;
        assert!(a2.overlaps(&b), "an admin's rule covers every salesperson's purchases");
    }

    #[test]
    fn benefits_come_to_money_or_points() {
        assert_eq!(benefit_value(BenefitKind::Cash, 500, 10_000), BenefitValue { cash: 500, points: 0 });
        assert_eq!(benefit_value(BenefitKind::Percent, 15, 9_999), BenefitValue { cash: 1_499, points: 0 });
        assert_eq!(benefit_value(BenefitKind::Percent, 100, i64::MAX).cash, i64::MAX);
        assert_eq!(benefit_value(BenefitKind::Points, 300, 10_000), BenefitValue { cash: 0, points: 300 });
    }

    #[test]
    fn the_price_table_prefers_the_model_then_the_maker() {
        let lines = vec![
            PriceLine { maker: "acme".into(), model: "".into(), grade: "Good".into(), price: 1_000 },
            PriceLine { maker: "acme".into(), model: "x1".into(), grade: "Good".into(), price: 2_500 },
        ];
        assert_eq!(table_price(&lines, "ACME", "X1", "good"), Some(2_500));
        assert_eq!(table_price(&lines, "Acme", "X7", "Good"), Some(1_000));
        assert_eq!(table_price(&lines, "Acme", "X1", "Fair"), None);
        assert_eq!(table_price(&lines, "Other", "X1", "Good"), None);
    }

    #[test]
    fn states_move_only_forward() {
        use AppState::*;
        assert!(Applied.may_become(Received));
        assert!(Received.may_become(Offered));
        assert!(Offered.may_become(Returned));
        assert!(Accepted.may_become(Paid));
        assert!(!Paid.may_become(Accepted));
        assert!(!Applied.may_become(Paid));
        assert!(!Offered.may_become(Withdrawn), "an item at the center is returned, not withdrawn");
        assert!(ALL_FINAL.iter().all(|s| s.is_final()));
    }

    const ALL_FINAL: [AppState; 4] = [AppState::Paid, AppState::Rejected, AppState::Returned, AppState::Withdrawn];

    #[test]
    fn grade_scales_parse_best_first() {
        assert_eq!(
            parse_grades("like new, good,fair ,  broken").expect("parses"),
            ["like new", "good", "fair", "broken"]
        );
        assert!(parse_grades(" , ").is_err());
        assert!(parse_grades("good, Good").is_err());
    }

    #[test]
    fn only_an_offer_below_the_estimate_waits_for_the_applicant() {
        assert!(needs_acceptance(Some(1_000), 999));
        assert!(!needs_acceptance(Some(1_000), 1_000));
        assert!(needs_acceptance(None, 5_000), "no estimate: the applicant has been promised nothing");
    }
}
