//! The templates of buy-back.

use std::borrow::Borrow;

use askama::Template;

use super::model::*;
use super::service::*;
use crate::catalog::{Offer, Product};
use crate::web::forms::FieldErrors;
use crate::web::layout::Layout;

pub fn when(t: impl Borrow<chrono::NaiveDateTime>) -> String {
    crate::web::when(*t.borrow())
}

/// Money as people read it; "—" for none.
pub struct Money<'a>(pub &'a str);

impl Money<'_> {
    pub fn of(&self, minor: impl Borrow<i64>) -> String {
        crate::money::format(*minor.borrow(), self.0)
    }

    pub fn maybe(&self, minor: &Option<i64>) -> String {
        minor.map_or_else(|| "—".to_owned(), |m| self.of(m))
    }

    /// What an application's benefit comes to, as its applicant reads it (the rule is named
    /// beside it, `rule_of`).
    pub fn benefit(&self, a: &Application) -> String {
        match (a.benefit_cash, a.benefit_points) {
            (0, 0) => "none".to_owned(),
            (cash, 0) => self.of(cash),
            (0, points) => format!("{points} points"),
            (cash, points) => format!("{} + {points} points", self.of(cash)),
        }
    }

    pub fn rule_terms(&self, r: &Rule) -> String {
        match r.benefit_kind {
            BenefitKind::Cash => format!("{} extra", self.of(r.amount)),
            BenefitKind::Percent => format!("{}% of the price extra", r.amount),
            BenefitKind::Points => format!("{} collection points", r.amount),
        }
    }
}

/// Which benefit rule an application's benefit comes from, as a phrase for after the item.
pub fn rule_of(a: &Application) -> String {
    a.rule_number.map_or_else(String::new, |n| format!(" · benefit by rule {n}"))
}

/// What a rule's side names: "any", "Acme (any model)", "Acme X1".
pub fn side(maker: &str, model: &str) -> String {
    match (maker.is_empty(), model.is_empty()) {
        (true, _) => "any".to_owned(),
        (false, true) => format!("{maker} (any model)"),
        (false, false) => format!("{maker} {model}"),
    }
}

pub fn period(r: &Rule) -> String {
    let day = |t: chrono::NaiveDateTime| t.date().format("%Y-%m-%d").to_string();
    let last = |t: chrono::NaiveDateTime| (t - chrono::Duration::days(1)).date().format("%Y-%m-%d").to_string();
    match (r.valid_from, r.valid_until) {
        (None, None) => "always".to_owned(),
        (Some(f), None) => format!("from {}", day(f)),
        (None, Some(u)) => format!("until {}", last(u)),
        (Some(f), Some(u)) => format!("{} to {}", day(f), last(u)),
    }
}

#[derive(Template)]
#[template(path = "buyback/apply.html")]
pub struct ApplyPage {
    pub l: Layout,
    pub form: ApplyForm,
    pub errors: FieldErrors,
    pub refusal: Option<String>,
    pub grades: Vec<String>,
    /// A logged-in shopper's applications, each with its status link.
    pub mine: Vec<(Application, String)>,
    /// For a buyer who came from their own order: the goods, the center serving each, its prices.
    pub serving: Vec<(String, Center, Vec<PriceRow>)>,
    pub currency: String,
}

impl ApplyPage {
    pub fn money(&self) -> Money<'_> {
        Money(&self.currency)
    }
}

#[derive(Template)]
#[template(path = "buyback/estimate.html")]
pub struct EstimatePage {
    pub l: Layout,
    pub form: ApplyForm,
    pub verified: Verified,
    pub errors: FieldErrors,
    pub refusal: Option<String>,
    pub currency: String,
}

impl EstimatePage {
    pub fn money(&self) -> Money<'_> {
        Money(&self.currency)
    }

    pub fn benefit_text(&self, line: &LineEstimate) -> String {
        line.benefit.as_ref().map_or_else(|| "none".to_owned(), |b| b.text(&self.currency))
    }

    /// The form's fields, carried to the application.
    pub fn hidden_fields(&self) -> Vec<(&'static str, &str)> {
        let f = &self.form;
        vec![
            ("order", &f.order),
            ("full_name", &f.full_name),
            ("phone", &f.phone),
            ("postal_code", &f.postal_code),
            ("maker", &f.maker),
            ("model", &f.model),
            ("grade", &f.grade),
            ("serial", &f.serial),
            ("note", &f.note),
            ("key", &f.key),
        ]
    }

    pub fn is_chosen(&self, line: &LineEstimate) -> bool {
        self.form.line == line.offer_code || self.verified.lines.len() == 1
    }
}

#[derive(Template)]
#[template(path = "buyback/status.html")]
pub struct StatusPage {
    pub l: Layout,
    pub app: Application,
    pub events: Vec<Event>,
    pub center: Center,
    pub link: String,
    pub new: bool,
    pub refusal: Option<String>,
    pub currency: String,
}

impl StatusPage {
    pub fn money(&self) -> Money<'_> {
        Money(&self.currency)
    }
}

#[derive(Template)]
#[template(path = "buyback/desk.html")]
pub struct DeskPage {
    pub l: Layout,
    pub center: Center,
    pub open: Vec<Application>,
    pub ended: Vec<Application>,
    pub find: String,
    pub refusal: Option<String>,
    pub currency: String,
}

impl DeskPage {
    pub fn money(&self) -> Money<'_> {
        Money(&self.currency)
    }
}

#[derive(Template)]
#[template(path = "buyback/desk_application.html")]
pub struct DeskApplicationPage {
    pub l: Layout,
    pub center: Center,
    pub app: Application,
    pub events: Vec<Event>,
    pub grade: GradeForm,
    pub reject_reason: String,
    pub errors: FieldErrors,
    pub refusal: Option<String>,
    pub currency: String,
    pub balance: i64,
}

impl DeskApplicationPage {
    pub fn money(&self) -> Money<'_> {
        Money(&self.currency)
    }

    pub fn grade_chosen(&self, g: &str) -> bool {
        let chosen = if self.grade.grade.is_empty() { &self.app.stated_grade } else { &self.grade.grade };
        super::rules::key(chosen) == super::rules::key(g)
    }
}

#[derive(Template)]
#[template(path = "buyback/sell.html")]
pub struct SellPage {
    pub l: Layout,
    pub offers: Vec<(Offer, Product, Option<CenterId>)>,
    pub centers: Vec<Center>,
    pub rules: Vec<Rule>,
    pub rule: RuleForm,
    pub results: Vec<BuybackResult>,
    pub errors: FieldErrors,
    pub refusal: Option<String>,
    pub currency: String,
}

impl SellPage {
    pub fn money(&self) -> Money<'_> {
        Money(&self.currency)
    }

    pub fn center_name(&self, id: &CenterId) -> String {
        self.centers.iter().find(|c| &c.id == id).map_or_else(String::new, |c| c.name.clone())
    }

    pub fn can_withdraw(&self, _rule: &Rule) -> bool {
        true
    }

    pub fn default_center(&self) -> String {
        self.centers.iter().find(|c| c.is_default).map_or_else(|| "none set".to_owned(), |c| c.name.clone())
    }
}

#[derive(Template)]
#[template(path = "buyback/admin.html")]
pub struct AdminPage {
    pub l: Layout,
    pub centers: Vec<Center>,
    pub rules: Vec<Rule>,
    pub rule: RuleForm,
    pub results: Vec<BuybackResult>,
    pub errors: FieldErrors,
    pub refusal: Option<String>,
    pub currency: String,
}

impl AdminPage {
    pub fn money(&self) -> Money<'_> {
        Money(&self.currency)
    }

    pub fn can_withdraw(&self, _rule: &Rule) -> bool {
        true
    }

    pub fn center_name(&self, id: &CenterId) -> String {
        self.centers.iter().find(|c| &c.id == id).map_or_else(String::new, |c| c.name.clone())
    }
}

#[derive(Template)]
#[template(path = "buyback/centers.html")]
pub struct CentersPage {
    pub l: Layout,
    /// Each center with its account's balance.
    pub centers: Vec<(Center, i64)>,
    pub clerks: Vec<(CenterId, crate::accounts::UserId, String)>,
    pub form: CenterForm,
    pub clerk_email: String,
    pub errors: FieldErrors,
    pub refusal: Option<String>,
    pub currency: String,
}

impl CentersPage {
    pub fn money(&self) -> Money<'_> {
        Money(&self.currency)
    }

    pub fn center_action(&self) -> String {
        "/admin/buyback/centers".to_owned()
    }

    pub fn clerks_of(&self, id: &CenterId) -> Vec<&str> {
        self.clerks.iter().filter(|(c, _, _)| c == id).map(|(_, _, e)| e.as_str()).collect()
    }
}

#[derive(Template)]
#[template(path = "buyback/center.html")]
pub struct CenterPage {
    pub l: Layout,
    pub center: Center,
    pub balance: i64,
    pub form: CenterForm,
    pub prices: Vec<PriceRow>,
    pub price: PriceForm,
    pub errors: FieldErrors,
    pub refusal: Option<String>,
    pub currency: String,
    pub key: String,
}

impl CenterPage {
    pub fn money(&self) -> Money<'_> {
        Money(&self.currency)
    }

    pub fn center_action(&self) -> String {
        format!("/admin/buyback/centers/{}", self.center.code)
    }
}
