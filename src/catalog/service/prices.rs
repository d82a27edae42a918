//! Prices agreed with single customers or groups of them, and the salespeople's groups.

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::super::rules;
use super::offers::{offers_of_seller, own_offer};
use super::{CatalogError, Result, invalid, now};
use crate::db::DbConnection;
use crate::web::forms::FieldErrors;

// ---- customer prices ----

/// Whom an agreed price is for.
#[derive(Clone, Debug)]
pub enum PriceFor {
    Customer(UserId),
    Group(CustomerGroupId),
}

/// A price agreement as the salesperson types it.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct PriceForm {
    pub offer: String,
    /// A group's ID; empty: the price is for the customer named by e-mail.
    pub group: String,
    pub customer_email: String,
    pub label: String,
    pub price: String,
    pub valid_from: String,
    pub valid_until: String,
}

/// Agrees a price from the salesperson's form: the price, the days it holds (the last one in
/// full), a label of their own, and whom it is for (a shopper named by e-mail, or one of their
/// groups). Every mistake comes back next to its field.
pub fn agree_price(conn: &mut DbConnection, seller: &UserId, form: &PriceForm, currency: &str) -> Result<()> {
    let mut errors = FieldErrors::new();
    let price = match crate::money::parse(&form.price, currency) {
        Ok(p) if p > 0 => Some(p),
        Ok(_) => {
            errors.add("price", "The price must be above zero.");
            None
        }
        Err(e) => {
            errors.add("price", e);
            None
        }
    };
    let from = rules::parse_day(&form.valid_from).map_err(|e| errors.add("valid_from", e.to_string())).ok().flatten();
    // The last day counts in full: the price ends at the start of the next day.
    let until = crate::days::parse(&form.valid_until)
        .map_err(|e| errors.add("valid_until", e.to_string()))
        .ok()
        .flatten()
        .map(crate::days::end_of);
    if let (Some(f), Some(u)) = (from, until)
        && u <= f
    {
        errors.add("valid_until", "The last day is before the first.");
    }
    let label = form.label.trim();
    if label.is_empty() || label.chars().count() > 80 {
        errors.add(
            "label",
            "Name the agreement for your own list (at most 80 characters), e.g. “ACME framework contract”.",
        );
    }
    let (Some(price), true) = (price, errors.is_empty()) else { return Err(CatalogError::Invalid(errors)) };
    let target = if form.group.is_empty() {
        PriceFor::Customer(shopper_by_email(conn, &form.customer_email)?)
    } else {
        PriceFor::Group(form.group.parse().map_err(|_| invalid("group", "Choose one of your groups."))?)
    };
    add_customer_price(conn, seller, &form.offer, target, label, price, from, until)
}

/// A shopper named by e-mail, as an ID. Only the ID is kept; the salesperson's pages show their
/// own labels, never the shopper's personal data.
///
/// The answer tells whether an address has an account, so salespeople's lookups go through the
/// attempt limiter (`CUSTOMER_LOOKUP`, per salesperson: unknown addresses count) and each is
/// logged with who asked and whether it found someone (never the address itself).
fn shopper_by_email(conn: &mut DbConnection, email: &str) -> Result<UserId> {
    let found = crate::accounts::find_user_by_email(conn, email)?
        .filter(|u| u.has_role(crate::accounts::Role::Shopper))
        .map(|u| u.id);
    tracing::info!(found = found.is_some(), "a salesperson looked up a customer by e-mail");
    found.ok_or_else(|| invalid("customer_email", UNKNOWN_CUSTOMER))
}

const UNKNOWN_CUSTOMER: &str = "No shopper is registered with this e-mail address.";

/// Limits on salespeople's lookups of customers by e-mail: 10 addresses that name nobody, then each
/// further lookup waits 30 s, doubling up to an hour; forgotten a day after the last.
pub const CUSTOMER_LOOKUP: &str = "customer lookup";

pub fn customer_lookup_policy() -> crate::web::attempts::Policy {
    use std::time::Duration;
    crate::web::attempts::Policy {
        address_burst: 60,
        address_refill: Duration::from_secs(2),
        free: 10,
        first_wait: Duration::from_secs(30),
        longest_wait: Duration::from_secs(3600),
        forget_after: Duration::from_secs(24 * 3600),
        success_clears: false,
    }
}

/// Whether a lookup failed because the address named no shopper (what the limiter counts).
pub fn is_unknown_customer(e: &CatalogError) -> bool {
    matches!(e, CatalogError::Invalid(errors) if errors.get("customer_email") == UNKNOWN_CUSTOMER)
}

/// Agrees a price for one customer, or one of the salesperson's groups, on one of their offers.
#[allow(clippy::too_many_arguments)]
pub fn add_customer_price(
    conn: &mut DbConnection,
    seller: &UserId,
    offer_code: &str,
    target: PriceFor,
    label: &str,
    price: i64,
    valid_from: Option<NaiveDateTime>,
    valid_until: Option<NaiveDateTime>,
) -> Result<()> {
    if let PriceFor::Group(group) = &target
        && repo::group_of_seller(conn, seller, group)?.is_none()
    {
        return Err(invalid("group", "Choose one of your own groups."));
    }
    let (offer, _) = own_offer(conn, seller, offer_code).map_err(|e| match e {
        CatalogError::NotFound | CatalogError::NotYours => invalid("offer", "Choose one of your own offers."),
        other => other,
    })?;
    repo::insert_customer_price(
        conn,
        &CustomerPrice {
            id: CustomerPriceId::new(),
            offer_id: offer.id,
            customer_id: match &target {
                PriceFor::Customer(id) => Some(id.clone()),
                PriceFor::Group(_) => None,
            },
            group_id: match &target {
                PriceFor::Group(id) => Some(id.clone()),
                PriceFor::Customer(_) => None,
            },
            label: label.to_owned(),
            price,
            valid_from,
            valid_until,
            created_at: now(),
        },
    )?;
    Ok(())
}

/// The salesperson's agreed prices page: the prices, the offers still on sale to agree prices
/// on, and the groups to agree them with.
pub type PricesPage = (Vec<AgreedPrice>, Vec<(Offer, Product)>, Vec<CustomerGroup>);

pub fn prices_page(conn: &mut DbConnection, seller: &UserId) -> Result<PricesPage> {
    let mut prices = customer_prices_of_seller(conn, seller)?;
    // Whom each single-customer price is for, masked (see `accounts::masked_emails_of`).
    let ids: Vec<UserId> = prices.iter().filter_map(|p| p.agreed.customer_id.clone()).collect();
    let emails = crate::accounts::masked_emails_of(conn, &ids)?;
    for p in &mut prices {
        p.customer = p.agreed.customer_id.as_ref().and_then(|id| emails.get(id).cloned());
    }
    let offers = offers_of_seller(conn, seller)?.into_iter().filter(|(o, _)| o.is_active()).collect();
    let groups = groups_of_seller(conn, seller)?.into_iter().map(|(g, _)| g).collect();
    Ok((prices, offers, groups))
}

pub fn customer_prices_of_seller(conn: &mut DbConnection, seller: &UserId) -> Result<Vec<AgreedPrice>> {
    Ok(repo::customer_prices_of_seller(conn, seller)?)
}

pub fn remove_customer_price(conn: &mut DbConnection, seller: &UserId, id: &CustomerPriceId) -> Result<()> {
    match repo::delete_customer_price(conn, id, seller)? {
        0 => Err(CatalogError::NotFound),
        _ => Ok(()),
    }
}

// ---- customer groups ----

pub fn groups_of_seller(conn: &mut DbConnection, seller: &UserId) -> Result<Vec<(CustomerGroup, i64)>> {
    Ok(repo::groups_of_seller(conn, seller)?)
}

pub fn create_group(conn: &mut DbConnection, seller: &UserId, name: &str) -> Result<CustomerGroupId> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(invalid("name", "Name the group (at most 80 characters), e.g. “ACME buyers”."));
    }
    if repo::group_named(conn, seller, name)?.is_some() {
        return Err(invalid("name", "You have a group of this name already."));
    }
    let group =
        CustomerGroup { id: CustomerGroupId::new(), seller_id: seller.clone(), name: name.into(), created_at: now() };
    repo::insert_group(conn, &group)?;
    Ok(group.id)
}

/// The salesperson's group with its members (404 for anyone else's).
pub fn group(
    conn: &mut DbConnection,
    seller: &UserId,
    id: &CustomerGroupId,
) -> Result<(CustomerGroup, Vec<GroupMember>)> {
    let group = repo::group_of_seller(conn, seller, id)?.ok_or(CatalogError::NotFound)?;
    let members = repo::members(conn, id)?;
    Ok((group, members))
}

/// A new member of a group as the salesperson types it.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct MemberForm {
    pub customer_email: String,
    pub label: String,
}

/// Adds the shopper with this e-mail address to the salesperson's group, under their own label.
pub fn add_member_by_email(
    conn: &mut DbConnection,
    seller: &UserId,
    group: &CustomerGroupId,
    form: &MemberForm,
) -> Result<()> {
    let customer = shopper_by_email(conn, &form.customer_email)?;
    add_member(conn, seller, group, &customer, &form.label)
}

/// Adds a customer (already resolved to their ID by accounts) under the salesperson's label.
pub fn add_member(
    conn: &mut DbConnection,
    seller: &UserId,
    group: &CustomerGroupId,
    customer: &UserId,
    label: &str,
) -> Result<()> {
    repo::group_of_seller(conn, seller, group)?.ok_or(CatalogError::NotFound)?;
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 80 {
        return Err(invalid("label", "Give the member a label of your own (at most 80 characters)."));
    }
    if repo::is_member(conn, group, customer)? {
        return Err(invalid("customer_email", "This customer is in the group already."));
    }
    repo::insert_member(
        conn,
        &GroupMember { group_id: group.clone(), customer_id: customer.clone(), label: label.into(), added_at: now() },
    )?;
    Ok(())
}

pub fn remove_member(
    conn: &mut DbConnection,
    seller: &UserId,
    group: &CustomerGroupId,
    customer: &UserId,
) -> Result<()> {
    repo::group_of_seller(conn, seller, group)?.ok_or(CatalogError::NotFound)?;
    match repo::delete_member(conn, group, customer)? {
        0 => Err(CatalogError::NotFound),
        _ => Ok(()),
    }
}
