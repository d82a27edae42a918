//! The templates of the collection.

use askama::Template;

use super::model::*;
use super::rules::PointsRules;
use super::service::*;
use crate::catalog::Product;
use crate::web::forms::FieldErrors;
use crate::web::layout::Layout;

use std::borrow::Borrow;

pub fn when(t: impl Borrow<chrono::NaiveDateTime>) -> String {
    crate::web::when(*t.borrow())
}

/// Points as people read them: 1,250.
pub fn points(n: impl Borrow<i64>) -> String {
    let n = *n.borrow();
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("−{out}") } else { out }
}

/// The rules as a member reads them.
pub struct RulesText<'a>(pub &'a PointsRules);

impl RulesText<'_> {
    pub fn value(&self) -> String {
        crate::money::format(self.0.point_value, &self.0.currency)
    }

    pub fn tiers(&self) -> Vec<String> {
        self.0
            .tiers
            .iter()
            .map(|t| {
                let m = t.multiplier_percent;
                format!("from a {}% collection rate: points × {}.{:02}", t.rate_percent, m / 100, m % 100)
            })
            .collect()
    }
}

/// The display on the consumables page: the figures of a member, or the registration section.
#[derive(Template)]
#[template(path = "collection/display.html")]
pub struct Display {
    pub csrf: String,
    pub summary: Option<Summary>,
}

#[derive(Template)]
#[template(path = "collection/member.html")]
pub struct MemberView {
    pub l: Layout,
    pub page: CollectionPage,
    pub refusal: Option<String>,
    /// One key per reward form, so a double click claims once.
    pub key: String,
}

impl MemberView {
    pub fn rules(&self) -> &PointsRules {
        match &self.page {
            CollectionPage::Member(m) => &m.rules,
            CollectionPage::NotRegistered { rules, .. } => rules,
        }
    }

    pub fn rules_text(&self) -> RulesText<'_> {
        RulesText(self.rules())
    }

    pub fn rewards(&self) -> &[Reward] {
        match &self.page {
            CollectionPage::Member(m) => &m.rewards,
            CollectionPage::NotRegistered { rewards, .. } => rewards,
        }
    }

    /// The key of one reward's claim form: each form on the page has its own.
    pub fn claim_key(&self, reward: &RewardId) -> String {
        form_key(&self.key, reward.as_str())
    }

    pub fn member(&self) -> Option<&MemberPage> {
        match &self.page {
            CollectionPage::Member(m) => Some(m),
            CollectionPage::NotRegistered { .. } => None,
        }
    }
}

#[derive(Template)]
#[template(path = "collection/desk.html")]
pub struct DeskPage {
    pub l: Layout,
    pub card: String,
    pub view: Option<DeskView>,
    pub models: Vec<Product>,
    pub form: RecordForm,
    pub errors: FieldErrors,
    pub refusal: Option<String>,
    pub key: String,
}

impl DeskPage {
    pub fn is_model(&self, p: &Product) -> bool {
        self.form.cartridge == p.id.as_str()
    }

    /// The key of one record's correction form: each form on the page has its own.
    pub fn correction_key(&self, record: &RecordId) -> String {
        form_key(&self.key, record.as_str())
    }
}

/// A key for one of several forms on a page, derived from the page's key.
fn form_key(page_key: &str, form: &str) -> String {
    crate::web::idempotency::IdempotencyKey::parse(page_key).map(|k| k.part(form).to_string()).unwrap_or_default()
}

#[derive(Template)]
#[template(path = "collection/admin.html")]
pub struct AdminPage {
    pub l: Layout,
    pub page: RulesPage,
    pub page_rewards: Vec<Reward>,
    /// The rules form as typed (after a mistake) or as in force.
    pub typed: Vec<(String, String)>,
    pub reward: RewardForm,
    pub adjust: AdjustForm,
    pub errors: FieldErrors,
    /// Which form the errors belong to.
    pub form: &'static str,
    pub refusal: Option<String>,
}

impl AdminPage {
    pub fn value(&self, name: &str) -> &str {
        self.typed.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    pub fn kind_ticked(&self, code: &str) -> bool {
        self.typed.iter().any(|(k, v)| k == "kind" && v == code)
    }

    pub fn error(&self, form: &str, field: &str) -> &str {
        if self.form == form { self.errors.get(field) } else { "" }
    }
}

/// An admin's adjustment form as sent.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct AdjustForm {
    pub card: String,
    pub points: String,
    pub reason: String,
}

/// The rules form's fields as the rules in force fill them.
pub fn rules_fields(rules: &PointsRules) -> Vec<(String, String)> {
    let mut fields = vec![
        ("points_reusable".to_owned(), rules.points_reusable.to_string()),
        ("points_other".to_owned(), rules.points_other.to_string()),
        ("tiers".to_owned(), rules.tiers_text()),
        ("monthly_cap".to_owned(), rules.monthly_cap.to_string()),
        ("allowance".to_owned(), rules.allowance.to_string()),
        ("expiry_months".to_owned(), rules.expiry_months.to_string()),
        ("point_value".to_owned(), crate::money::to_input(rules.point_value, &rules.currency)),
    ];
    fields.extend(rules.cartridge_kinds.iter().map(|k| ("kind".to_owned(), k.clone())));
    fields
}
