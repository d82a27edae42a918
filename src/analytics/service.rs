//! The operations of analytics: computing an analysis for a salesperson's design from the stores
//! (read through `history`, named through `catalog`). Paying, freezing and the privacy budget
//! come with the pages.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::analyses::{self, Analysis, Groups, Names};
use super::rules::{Granularity, Table};
use crate::catalog::{self, KindId, ProductId};
use crate::db::{DbConnection, DbError};
use crate::echeck::OfficeId;
use crate::history::{self, Scope};

/// What a salesperson designs (step C1): the analysis, a kind or all, the days from `from`
/// through `last`, weeks or months, the market or their own office.
#[derive(Clone, Debug)]
pub struct Design {
    pub analysis: Analysis,
    pub kind: Option<KindId>,
    pub from: NaiveDate,
    pub last: NaiveDate,
    pub granularity: Granularity,
    /// Their own office only; none: the whole market.
    pub office: Option<OfficeId>,
}

#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}")]
    Below(String),
}

impl From<catalog::CatalogError> for AnalyticsError {
    fn from(e: catalog::CatalogError) -> Self {
        match e {
            catalog::CatalogError::Db(e) => AnalyticsError::Db(e),
            other => AnalyticsError::Below(other.to_string()),
        }
    }
}

pub type Result<T> = std::result::Result<T, AnalyticsError>;

/// Computes the analysis: reads what it needs from the stores and assembles its tables with the
/// cells below `k` suppressed.
pub fn compute(conn: &mut DbConnection, design: &Design, k: i64, currency: &str) -> Result<Vec<Table>> {
    let start = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default();
    let scope = Scope {
        from: start(design.from),
        until: start(design.last.succ_opt().unwrap_or(design.last)),
        kind: design.kind.clone(),
        office: design.office.clone(),
    };
    let a = design.analysis;
    let mut groups = Groups::default();
    if a.reads_sales() {
        groups.sales = history::sales_groups(conn, &scope)?;
    }
    if a.reads_requests() {
        // Requests have no office: a purchaser asks the whole market.
        let market = Scope { office: None, ..scope.clone() };
        groups.requests = history::request_groups(conn, &market)?;
        if a != Analysis::Conversion {
            groups.constraints = history::constraint_groups(conn, &market)?;
        }
    }
    let products: Vec<ProductId> =
        groups.sales.iter().map(|g| g.product.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let names = Names {
        kinds: catalog::kinds(conn)?.into_iter().map(|k| (k.id, k.name)).collect(),
        products: if a == Analysis::Sales { catalog::product_names(conn, &products)? } else { Default::default() },
        currency: currency.to_owned(),
    };
    Ok(analyses::assemble(a, &groups, &names, design.granularity, k))
}
