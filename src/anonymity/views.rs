//! The templates of anonymous purchase.

use std::sync::Arc;

use askama::Template;

use super::model::*;
use super::service::*;
use crate::catalog::rules::Query;
use crate::catalog::{Kind, KindFacts};
use crate::web::forms::FieldErrors;
use crate::web::layout::Layout;

/// A moment as the pages show it, however the template holds it.
pub trait Moment {
    fn moment(&self) -> chrono::NaiveDateTime;
}

impl Moment for chrono::NaiveDateTime {
    fn moment(&self) -> chrono::NaiveDateTime {
        *self
    }
}

impl<T: Moment + ?Sized> Moment for &T {
    fn moment(&self) -> chrono::NaiveDateTime {
        (**self).moment()
    }
}

pub fn when(t: impl Moment) -> String {
    crate::web::when(t.moment())
}

fn first<'a>(query: &'a Query, name: &str) -> &'a str {
    crate::catalog::rules::values(query, name).next().unwrap_or("")
}

#[derive(Template)]
#[template(path = "anonymity/request.html")]
pub struct RequestPage {
    pub l: Layout,
    pub kinds: Arc<Vec<Kind>>,
    pub kind: Option<Arc<KindFacts>>,
    pub query: Query,
    pub errors: FieldErrors,
    pub refusal: Option<String>,
    /// After a request that matched nothing: the constraint to loosen, if one would help.
    pub nothing: Option<Option<(String, i64)>>,
}

impl RequestPage {
    pub fn value(&self, name: impl AsRef<str>) -> &str {
        first(&self.query, name.as_ref())
    }

    pub fn is_chosen(&self, name: impl AsRef<str>, value: impl AsRef<str>) -> bool {
        crate::catalog::rules::values(&self.query, name.as_ref()).any(|v| v == value.as_ref())
    }
}

#[derive(Template)]
#[template(path = "anonymity/results.html")]
pub struct ResultsPage {
    pub l: Layout,
    pub token: String,
    pub found: Vec<Found>,
    pub key: String,
    pub errors: FieldErrors,
    pub refusal: Option<String>,
    /// The pick typed: offer and quantity.
    pub typed: (String, String),
}

impl ResultsPage {
    pub fn quantity_of(&self, code: &str) -> &str {
        if self.typed.0 == code { &self.typed.1 } else { "1" }
    }
}

#[derive(Template)]
#[template(path = "anonymity/order.html")]
pub struct PrivatePage {
    pub l: Layout,
    pub view: PrivateView,
    /// The private link's secret (for the page's own forms) and the whole link to keep.
    pub link: String,
    pub link_url: String,
    pub just_made: bool,
    pub errors: FieldErrors,
    pub refusal: Option<String>,
    /// The payment form as typed: card code and pickup point.
    pub typed: (String, String),
}

#[derive(Template)]
#[template(path = "anonymity/sell.html")]
pub struct SellerPage {
    pub l: Layout,
    pub desk: Option<SellerDesk>,
    pub errors: FieldErrors,
    pub refusal: Option<String>,
}

impl SellerPage {
    pub fn point_of(&self, order: &AnonOrder) -> String {
        let point = order.pickup_point_id.as_ref().and_then(|id| self.desk.as_ref()?.points.get(id));
        point.map(|p| p.name.clone()).unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "anonymity/label.html")]
pub struct LabelPage {
    pub l: Layout,
    pub label: Label,
}

#[derive(Template)]
#[template(path = "anonymity/counter.html")]
pub struct CounterPage {
    pub l: Layout,
    pub desk: Option<CounterDesk>,
    pub errors: FieldErrors,
    pub refusal: Option<String>,
    /// The order ID typed at the hand-over (the PIN is never shown again).
    pub code: String,
}

#[derive(Template)]
#[template(path = "anonymity/admin_points.html")]
pub struct PointsPage {
    pub l: Layout,
    pub points: Vec<PickupPoint>,
    pub form: PointForm,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "anonymity/admin_point.html")]
pub struct PointAdminPage {
    pub l: Layout,
    pub page: PointPage,
    pub form: PointForm,
    pub errors: FieldErrors,
    pub email: String,
}

#[derive(Template)]
#[template(path = "anonymity/admin_prepaid.html")]
pub struct PrepaidPage {
    pub l: Layout,
    pub batches: Vec<BatchRow>,
    pub errors: FieldErrors,
    pub count: String,
    pub face_value: String,
    pub key: String,
}

#[derive(Template)]
#[template(path = "anonymity/admin_issued.html")]
pub struct IssuedPage {
    pub l: Layout,
    pub issued: Issued,
}

impl IssuedPage {
    pub fn face(&self) -> String {
        crate::money::format(self.issued.batch.face_value, &self.issued.batch.currency)
    }
}

#[derive(Template)]
#[template(path = "anonymity/admin_batch.html")]
pub struct BatchPage {
    pub l: Layout,
    pub batch: Batch,
    pub cards: Vec<CardRow>,
}

impl BatchPage {
    pub fn money(&self, minor: &i64) -> String {
        crate::money::format(*minor, &self.batch.currency)
    }
}
