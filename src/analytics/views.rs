//! The templates of analytics, and what they draw: a bar chart per table (plotters' SVG, through
//! `web::chart`) and the CSV download.

use std::borrow::Borrow;

use askama::Template;

use super::analyses::Analysis;
use super::model::*;
use super::rules::{self, Table};
pub use super::service::DesignForm;
use crate::web::forms::FieldErrors;
use crate::web::layout::Layout;

pub fn when(t: impl Borrow<chrono::NaiveDateTime>) -> String {
    crate::web::when(*t.borrow())
}

#[derive(Template)]
#[template(path = "analytics/sell.html")]
pub struct SellPage {
    pub l: Layout,
    pub form: DesignForm,
    pub errors: FieldErrors,
    pub refusal: Option<String>,
    pub kinds: Vec<(String, String)>,
    pub prices: Vec<(Analysis, String)>,
    pub reports: Vec<ReportListed>,
    pub settings: Settings,
    pub spent: i64,
}

impl SellPage {
    pub fn analyses(&self) -> &'static [Analysis] {
        Analysis::ALL
    }

    pub fn title_of(&self, r: &ReportListed) -> &'static str {
        Analysis::parse(&r.analysis).map_or("Analysis", Analysis::title)
    }

    pub fn epsilon(&self, milli: impl Borrow<i64>) -> String {
        rules::epsilon_text(*milli.borrow())
    }
}

#[derive(Template)]
#[template(path = "analytics/report.html")]
pub struct ReportPage {
    pub l: Layout,
    pub report: Report,
    pub title: String,
    pub about: String,
    pub tables: Vec<Table>,
    pub currency: String,
}

impl ReportPage {
    pub fn chart(&self, t: &Table) -> String {
        let values: Vec<i64> = t.rows.iter().map(|(_, v)| v.first().copied().flatten().unwrap_or(0)).collect();
        let label = format!(
            "{}: {} per row; rows of fewer than {} are drawn empty",
            t.title,
            t.value_columns.first().map_or("", String::as_str),
            t.k
        );
        crate::web::chart::bars(&values, 640, 180, &label)
    }

    /// What the chart counts: the table's first value column.
    pub fn counted(&self, t: &Table) -> String {
        t.value_columns.first().cloned().unwrap_or_default()
    }

    pub fn rows_text(&self, t: &Table) -> String {
        t.label_columns.join(", ")
    }

    pub fn cell(&self, v: &Option<i64>, k: impl Borrow<i64>) -> String {
        let k = *k.borrow();
        v.map_or_else(|| format!("fewer than {k}"), |n| n.to_string())
    }

    pub fn epsilon(&self) -> Option<String> {
        self.report.epsilon_milli.map(rules::epsilon_text)
    }

    pub fn price(&self) -> String {
        crate::money::format(self.report.price, &self.currency)
    }
}

#[derive(Template)]
#[template(path = "analytics/admin.html")]
pub struct AdminPage {
    pub l: Layout,
    pub settings: Settings,
    pub form: super::service::SettingsForm,
    pub prices: Vec<(Analysis, String)>,
    pub errors: FieldErrors,
    pub refusal: Option<String>,
}
