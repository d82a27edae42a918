//! Handlers of the catalog pages: shoppers search and look at offers; salespeople run their
//! offers and agreed prices; admins manage kinds.

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::cache::Facts;
use super::model::UserId;
use super::rules::{self, Query};
use super::service::{self, CatalogError, CharacteristicForm, OfferForm, ProductForm};
use super::views::*;
use crate::error::AppError;
use crate::web::auth::{Authorized, SignedIn, roles};
use crate::web::forms::FieldErrors;
use crate::web::layout::{FormPage, Page};
use crate::web::{State, flash, render, render_status, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/catalog", web::get().to(search))
        .route("/catalog/{code}", web::get().to(product))
        .route("/consumables", web::get().to(consumables))
        .route("/account/equipment", web::get().to(equipment))
        .route("/account/equipment", web::post().to(add_equipment))
        .route("/account/equipment/{id}/remove", web::post().to(remove_equipment))
        .route("/sell/offers", web::get().to(sell_offers))
        .route("/sell/offers/new/{kind}", web::get().to(new_offer_form))
        .route("/sell/offers/new/{kind}", web::post().to(new_offer))
        .route("/sell/offers/add/{code}", web::get().to(add_offer_form))
        .route("/sell/offers/add/{code}", web::post().to(add_offer))
        .route("/sell/offers/{code}", web::post().to(change_offer))
        .route("/sell/offers/{code}/withdraw", web::post().to(withdraw_offer))
        .route("/sell/prices", web::get().to(prices))
        .route("/sell/prices", web::post().to(add_price))
        .route("/sell/prices/{id}/remove", web::post().to(remove_price))
        .route("/sell/groups", web::get().to(groups))
        .route("/sell/groups", web::post().to(create_group))
        .route("/sell/groups/{id}", web::get().to(group))
        .route("/sell/groups/{id}/members", web::post().to(add_member))
        .route("/sell/groups/{id}/members/{customer}/remove", web::post().to(remove_member))
        .route("/admin/kinds", web::get().to(admin_kinds))
        .route("/admin/kinds", web::post().to(create_kind))
        .route("/admin/kinds/{code}", web::get().to(admin_kind))
        .route("/admin/kinds/{code}/characteristics", web::post().to(add_characteristic))
        .route("/admin/kinds/{code}/characteristics/{name}/remove", web::post().to(remove_characteristic));
}

impl From<CatalogError> for AppError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::NotFound => AppError::NotFound,
            CatalogError::NotYours => AppError::Forbidden,
            CatalogError::Invalid(_) => AppError::BadRequest("The form has mistakes.".into()),
            CatalogError::Db(e) => e.into(),
            CatalogError::Accounts(e) => e.into(),
        }
    }
}

fn viewer(page_user: &Option<std::sync::Arc<crate::web::identity::Identity>>) -> Option<UserId> {
    page_user.as_ref().map(|u| u.id.clone())
}

// ---- shoppers ----

async fn home(state: State, facts: web::Data<Facts>, page: Page) -> Result<HttpResponse, AppError> {
    let viewer = viewer(&page.user);
    let facts = facts.into_inner();
    let (kinds, best) = state
        .db
        .read(move |c| {
            let kinds = facts.read(c)?.kinds(c)?;
            Ok::<_, CatalogError>((kinds, service::best_sellers(c, viewer.as_ref(), 8)?))
        })
        .await?;
    render(&HomePage { l: page.l, kinds, best })
}

async fn search(state: State, facts: web::Data<Facts>, page: Page, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let raw = req.query_string();
    if raw.len() > rules::MAX_QUERY_LEN {
        return Err(AppError::BadRequest("This search is too long. Remove some filters and try again.".into()));
    }
    let query: Query =
        url::form_urlencoded::parse(raw.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let kind_code = rules::values(&query, "kind").next().map(str::to_owned);
    let viewer = viewer(&page.user);
    let (q, currency) = (query.clone(), state.config.currency.clone());
    let facts = facts.into_inner();
    let (kinds, filter, errors, result) = state
        .db
        .read(move |c| {
            let facts = facts.read(c)?;
            let kind = match &kind_code {
                Some(code) => Some(facts.kind(c, code)?.ok_or(CatalogError::NotFound)?),
                None => None,
            };
            let (filter, errors) = rules::read_filter(&q, kind.as_ref().map(|k| k.spec.rule()).as_ref(), &currency);
            let result = service::search(c, &filter, kind.as_ref(), viewer.as_ref())?;
            Ok::<_, CatalogError>((facts.kinds(c)?, filter, errors, result))
        })
        .await?;
    if result.cards.is_empty() && filter.page > 1 {
        return Err(AppError::NotFound);
    }
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let chips = chips(&query, result.kind.as_ref().map(|k| &k.spec));
    render_status(status, &SearchPage { l: page.l, kinds, query, filter, errors, result, chips })
}

async fn product(
    state: State,
    facts: web::Data<Facts>,
    page: Page,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    if code.len() > 20 {
        return Err(AppError::NotFound);
    }
    let viewer = viewer(&page.user);
    let can_sell = page.user.as_ref().is_some_and(|u| u.has_role(crate::accounts::Role::Salesperson));
    let can_buy = page.user.as_ref().is_none_or(|u| u.has_role(crate::accounts::Role::Shopper));
    let facts = facts.into_inner();
    let p = state.db.read(move |c| service::product_page(c, &facts, &code.to_uppercase(), viewer.as_ref())).await?;
    render(&ProductView { l: page.l, p, can_sell, can_buy })
}

async fn consumables(state: State, user: SignedIn, page: Page) -> Result<HttpResponse, AppError> {
    let owner = user.0.id.clone();
    let groups = state.db.read(move |c| service::consumables_for(c, &owner)).await?;
    render(&ConsumablesPage { l: page.l, groups })
}

async fn equipment(state: State, user: SignedIn, page: FormPage) -> Result<HttpResponse, AppError> {
    let owner = user.0.id.clone();
    let items = state.db.read(move |c| service::equipment_of(c, &owner)).await?;
    render(&EquipmentPage { l: page.l, items, maker: String::new(), model: String::new(), errors: FieldErrors::new() })
}

#[derive(serde::Deserialize)]
struct EquipmentForm {
    #[serde(default)]
    maker: String,
    #[serde(default)]
    model: String,
}

async fn add_equipment(
    state: State,
    session: Session,
    user: SignedIn,
    page: FormPage,
    form: web::Form<EquipmentForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let owner = user.0.id.clone();
    let (maker, model) = (form.maker.clone(), form.model.clone());
    match state.db.write(move |c| service::add_equipment(c, &owner, &maker, &model)).await {
        Ok(()) => {
            flash::ok(&session, "Equipment added. Consumables that fit it now show on your consumables page.");
            Ok(see_other("/account/equipment"))
        }
        Err(CatalogError::Invalid(errors)) => {
            let owner = user.0.id.clone();
            let items = state.db.read(move |c| service::equipment_of(c, &owner)).await?;
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &EquipmentPage { l: page.l, items, maker: form.maker, model: form.model, errors },
            )
        }
        Err(e) => Err(e.into()),
    }
}

async fn remove_equipment(
    state: State,
    session: Session,
    user: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.parse().map_err(|_| AppError::NotFound)?;
    let owner = user.0.id.clone();
    state.db.write(move |c| service::remove_equipment(c, &owner, &id)).await?;
    flash::ok(&session, "Equipment removed.");
    Ok(see_other("/account/equipment"))
}

// ---- salespeople ----

type Seller = Authorized<roles::Salesperson>;

async fn sell_offers(state: State, seller: Seller, page: FormPage) -> Result<HttpResponse, AppError> {
    let id = seller.user.id.clone();
    let (offers, kinds) =
        state.db.read(move |c| Ok::<_, CatalogError>((service::offers_of_seller(c, &id)?, service::kinds(c)?))).await?;
    render(&SellOffersPage { l: page.l, offers, kinds })
}

async fn new_offer_form(
    state: State,
    _seller: Seller,
    page: FormPage,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let spec = state.db.read(move |c| service::kind_spec(c, &code)).await?.ok_or(AppError::NotFound)?;
    let offer = OfferForm {
        stock: "1".into(),
        guarantee_months: "12".into(),
        cooling_off_days: "14".into(),
        ..OfferForm::default()
    };
    render(&NewOfferPage {
        l: page.l,
        spec: Some(spec),
        existing: None,
        product: ProductForm::default(),
        offer,
        errors: FieldErrors::new(),
    })
}

/// Reads the product part of the new-offer form: fixed fields and `value_<characteristic>`.
fn product_form(fields: &[(String, String)]) -> ProductForm {
    let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let values: BTreeMap<String, String> =
        fields.iter().filter_map(|(k, v)| Some((k.strip_prefix("value_")?.to_owned(), v.clone()))).collect();
    ProductForm {
        maker: get("maker"),
        model: get("model"),
        name: get("name"),
        description: get("description"),
        is_consumable: !get("is_consumable").is_empty(),
        fits: get("fits"),
        values,
    }
}

fn offer_form(fields: &[(String, String)]) -> OfferForm {
    let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    OfferForm {
        price: get("price").unwrap_or_default(),
        stock: get("stock").unwrap_or_default(),
        guarantee_months: get("guarantee_months").unwrap_or_default(),
        onsite_service: get("onsite_service"),
        trade_in: get("trade_in"),
        cooling_off_days: get("cooling_off_days").unwrap_or_default(),
    }
}

async fn new_offer(
    state: State,
    session: Session,
    seller: Seller,
    page: FormPage,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let kind = path.into_inner();
    let (product, offer) = (product_form(&form), offer_form(&form));
    let (p, o, id, k) = (product.clone(), offer.clone(), seller.user.id.clone(), kind.clone());
    let currency = state.config.currency.clone();
    match state.db.write(move |c| service::create_product_and_offer(c, &id, &k, &p, &o, &currency)).await {
        Ok(code) => {
            flash::ok(&session, &format!("Your offer {code} is in the catalog."));
            Ok(see_other("/sell/offers"))
        }
        Err(CatalogError::Invalid(errors)) => {
            let spec = state.db.read(move |c| service::kind_spec(c, &kind)).await?.ok_or(AppError::NotFound)?;
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &NewOfferPage { l: page.l, spec: Some(spec), existing: None, product, offer, errors },
            )
        }
        Err(e) => Err(e.into()),
    }
}

async fn existing_product(
    state: &State,
    facts: &web::Data<Facts>,
    code: String,
) -> Result<(String, super::Product), AppError> {
    let facts = facts.clone().into_inner();
    let page = state.db.read(move |c| service::product_page(c, &facts, &code, None)).await?;
    Ok((page.asked, page.facts.product.clone()))
}

async fn add_offer_form(
    state: State,
    facts: web::Data<Facts>,
    _seller: Seller,
    page: FormPage,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let existing = existing_product(&state, &facts, path.into_inner()).await?;
    let offer = OfferForm {
        stock: "1".into(),
        guarantee_months: "12".into(),
        cooling_off_days: "14".into(),
        ..OfferForm::default()
    };
    render(&NewOfferPage {
        l: page.l,
        spec: None,
        existing: Some(existing),
        product: ProductForm::default(),
        offer,
        errors: FieldErrors::new(),
    })
}

async fn add_offer(
    state: State,
    facts: web::Data<Facts>,
    session: Session,
    seller: Seller,
    page: FormPage,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let of_code = path.into_inner();
    let offer = offer_form(&form);
    let (o, id, of) = (offer.clone(), seller.user.id.clone(), of_code.clone());
    let currency = state.config.currency.clone();
    match state.db.write(move |c| service::offer_existing(c, &id, &of, &o, &currency)).await {
        Ok(code) => {
            flash::ok(&session, &format!("Your offer {code} is in the catalog."));
            Ok(see_other("/sell/offers"))
        }
        Err(CatalogError::Invalid(errors)) => {
            let existing = existing_product(&state, &facts, of_code).await?;
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &NewOfferPage {
                    l: page.l,
                    spec: None,
                    existing: Some(existing),
                    product: ProductForm::default(),
                    offer,
                    errors,
                },
            )
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
struct ChangeForm {
    #[serde(default)]
    price: String,
    #[serde(default)]
    stock: String,
}

async fn change_offer(
    state: State,
    session: Session,
    seller: Seller,
    path: web::Path<String>,
    form: web::Form<ChangeForm>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let (id, c2) = (seller.user.id.clone(), code.clone());
    let form = form.into_inner();
    match state.db.write(move |c| service::change_offer(c, &id, &c2, &form.price, &form.stock)).await {
        Ok(()) => flash::ok(&session, &format!("Offer {code} updated.")),
        Err(CatalogError::Invalid(errors)) => {
            let message = [errors.get("price"), errors.get("stock")]
                .into_iter()
                .filter(|m| !m.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            flash::error(&session, &format!("Offer {code} was not changed: {message}"));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(see_other("/sell/offers"))
}

async fn withdraw_offer(
    state: State,
    session: Session,
    seller: Seller,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let (id, c2) = (seller.user.id.clone(), code.clone());
    state.db.write(move |c| service::withdraw_offer(c, &id, &c2)).await?;
    flash::ok(&session, &format!("Offer {code} withdrawn: shoppers no longer see it."));
    Ok(see_other("/sell/offers"))
}

async fn prices_page(
    state: &State,
    seller: &Seller,
    l: crate::web::layout::Layout,
    form: PriceForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let id = seller.user.id.clone();
    let (prices, offers, groups) = state
        .db
        .read(move |c| {
            Ok::<_, CatalogError>((
                service::customer_prices_of_seller(c, &id)?,
                service::offers_of_seller(c, &id)?,
                service::groups_of_seller(c, &id)?,
            ))
        })
        .await?;
    let offers = offers.into_iter().filter(|(o, _)| o.is_active()).collect();
    let groups = groups.into_iter().map(|(g, _)| g).collect();
    let status = crate::web::form_status(&errors);
    render_status(status, &PricesPage { l, prices, offers, groups, form, errors })
}

async fn prices(state: State, seller: Seller, page: FormPage) -> Result<HttpResponse, AppError> {
    prices_page(&state, &seller, page.l, PriceForm::default(), FieldErrors::new()).await
}

/// A date from a form (YYYY-MM-DD) as the start of that day, UTC.
fn day(raw: &str, field: &str, errors: &mut FieldErrors) -> Option<chrono::NaiveDateTime> {
    if raw.trim().is_empty() {
        return None;
    }
    match chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d") {
        Ok(d) => d.and_hms_opt(0, 0, 0),
        Err(_) => {
            errors.add(field, "Enter a date as YYYY-MM-DD.");
            None
        }
    }
}

async fn add_price(
    state: State,
    session: Session,
    seller: Seller,
    page: FormPage,
    form: web::Form<PriceForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let mut errors = FieldErrors::new();
    let price = match crate::money::parse(&form.price, &state.config.currency) {
        Ok(p) if p > 0 => p,
        Ok(_) => {
            errors.add("price", "The price must be above zero.");
            0
        }
        Err(e) => {
            errors.add("price", e);
            0
        }
    };
    let from = day(&form.valid_from, "valid_from", &mut errors);
    // The last day counts in full: the price ends at the start of the next day.
    let until = day(&form.valid_until, "valid_until", &mut errors).map(|d| d + chrono::Duration::days(1));
    if let (Some(f), Some(u)) = (from, until)
        && u <= f
    {
        errors.add("valid_until", "The last day is before the first.");
    }
    let label = form.label.trim().to_owned();
    if label.is_empty() || label.chars().count() > 80 {
        errors.add(
            "label",
            "Name the agreement for your own list (at most 80 characters), e.g. “ACME framework contract”.",
        );
    }
    if !errors.is_empty() {
        return prices_page(&state, &seller, page.l, form, errors).await;
    }
    let (seller_id, f2) = (seller.user.id.clone(), form.clone());
    let result = state
        .db
        .write(move |c| {
            let target = if f2.group.is_empty() {
                service::PriceFor::Customer(shopper_by_email(c, &f2.customer_email)?)
            } else {
                let group = f2
                    .group
                    .parse()
                    .map_err(|_| CatalogError::Invalid(FieldErrors::with("group", "Choose one of your groups.")))?;
                service::PriceFor::Group(group)
            };
            service::add_customer_price(c, &seller_id, &f2.offer, target, &label, price, from, until)
        })
        .await;
    match result {
        Ok(()) => {
            flash::ok(&session, "The agreed price is in place.");
            Ok(see_other("/sell/prices"))
        }
        Err(CatalogError::Invalid(errors)) => prices_page(&state, &seller, page.l, form, errors).await,
        Err(e) => Err(e.into()),
    }
}

/// A shopper named by e-mail, as an ID. Only the ID is kept; the salesperson's pages show their
/// own labels, never the shopper's personal data.
fn shopper_by_email(c: &mut crate::db::DbConnection, email: &str) -> Result<UserId, CatalogError> {
    crate::accounts::find_user_by_email(c, email)?
        .filter(|u| u.has_role(crate::accounts::Role::Shopper))
        .map(|u| u.id)
        .ok_or_else(|| {
            CatalogError::Invalid(FieldErrors::with(
                "customer_email",
                "No shopper is registered with this e-mail address.",
            ))
        })
}

async fn remove_price(
    state: State,
    session: Session,
    seller: Seller,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.parse().map_err(|_| AppError::NotFound)?;
    let seller_id = seller.user.id.clone();
    state.db.write(move |c| service::remove_customer_price(c, &seller_id, &id)).await?;
    flash::ok(&session, "The agreed price was removed.");
    Ok(see_other("/sell/prices"))
}

async fn groups_page(
    state: &State,
    seller: &Seller,
    l: crate::web::layout::Layout,
    name: String,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let id = seller.user.id.clone();
    let groups = state.db.read(move |c| service::groups_of_seller(c, &id)).await?;
    let status = crate::web::form_status(&errors);
    render_status(status, &GroupsPage { l, groups, group_name: name, errors })
}

async fn groups(state: State, seller: Seller, page: FormPage) -> Result<HttpResponse, AppError> {
    groups_page(&state, &seller, page.l, String::new(), FieldErrors::new()).await
}

#[derive(serde::Deserialize)]
struct GroupForm {
    #[serde(default)]
    name: String,
}

async fn create_group(
    state: State,
    session: Session,
    seller: Seller,
    page: FormPage,
    form: web::Form<GroupForm>,
) -> Result<HttpResponse, AppError> {
    let (id, name) = (seller.user.id.clone(), form.name.clone());
    match state.db.write(move |c| service::create_group(c, &id, &name)).await {
        Ok(group) => {
            flash::ok(&session, "Group created. Add its members.");
            Ok(see_other(&format!("/sell/groups/{group}")))
        }
        Err(CatalogError::Invalid(errors)) => {
            groups_page(&state, &seller, page.l, form.into_inner().name, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn group_page(
    state: &State,
    seller: &Seller,
    l: crate::web::layout::Layout,
    id: String,
    form: MemberForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let group_id = id.parse().map_err(|_| AppError::NotFound)?;
    let seller_id = seller.user.id.clone();
    let (group, members) = state.db.read(move |c| service::group(c, &seller_id, &group_id)).await?;
    let status = crate::web::form_status(&errors);
    render_status(status, &GroupPage { l, group, members, form, errors })
}

async fn group(
    state: State,
    seller: Seller,
    page: FormPage,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    group_page(&state, &seller, page.l, path.into_inner(), MemberForm::default(), FieldErrors::new()).await
}

async fn add_member(
    state: State,
    session: Session,
    seller: Seller,
    page: FormPage,
    path: web::Path<String>,
    form: web::Form<MemberForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let group_id = id.parse().map_err(|_| AppError::NotFound)?;
    let (seller_id, f) = (seller.user.id.clone(), form.clone());
    let result = state
        .db
        .write(move |c| {
            let customer = shopper_by_email(c, &f.customer_email)?;
            service::add_member(c, &seller_id, &group_id, &customer, &f.label)
        })
        .await;
    match result {
        Ok(()) => {
            flash::ok(&session, "Member added: the group's prices now apply to them.");
            Ok(see_other(&format!("/sell/groups/{id}")))
        }
        Err(CatalogError::Invalid(errors)) => group_page(&state, &seller, page.l, id, form.into_inner(), errors).await,
        Err(e) => Err(e.into()),
    }
}

async fn remove_member(
    state: State,
    session: Session,
    seller: Seller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, customer) = path.into_inner();
    let group_id = id.parse().map_err(|_| AppError::NotFound)?;
    let customer: UserId = customer.parse().map_err(|_| AppError::NotFound)?;
    let seller_id = seller.user.id.clone();
    state.db.write(move |c| service::remove_member(c, &seller_id, &group_id, &customer)).await?;
    flash::ok(&session, "Member removed: the group's prices no longer apply to them.");
    Ok(see_other(&format!("/sell/groups/{id}")))
}

// ---- administrators ----

type Admin = Authorized<roles::Admin>;

async fn admin_kinds(state: State, _admin: Admin, page: FormPage) -> Result<HttpResponse, AppError> {
    let kinds = state.db.read(service::kinds).await?;
    render(&AdminKindsPage {
        l: page.l,
        kinds,
        code: String::new(),
        kind_name: String::new(),
        errors: FieldErrors::new(),
    })
}

#[derive(serde::Deserialize)]
struct KindForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
}

async fn create_kind(
    state: State,
    session: Session,
    _admin: Admin,
    page: FormPage,
    form: web::Form<KindForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (code, name) = (form.code.clone(), form.name.clone());
    match state.db.write(move |c| service::create_kind(c, &code, &name)).await {
        Ok(_) => {
            flash::ok(&session, "Kind created. Now give it its characteristics.");
            Ok(see_other(&format!("/admin/kinds/{}", form.code.trim())))
        }
        Err(CatalogError::Invalid(errors)) => {
            let kinds = state.db.read(service::kinds).await?;
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &AdminKindsPage { l: page.l, kinds, code: form.code, kind_name: form.name, errors },
            )
        }
        Err(e) => Err(e.into()),
    }
}

async fn admin_kind(
    state: State,
    _admin: Admin,
    page: FormPage,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let spec = state.db.read(move |c| service::kind_spec(c, &code)).await?.ok_or(AppError::NotFound)?;
    let form = CharacteristicForm { value_type: "number".into(), ..CharacteristicForm::default() };
    render(&AdminKindPage { l: page.l, spec, form, errors: FieldErrors::new() })
}

async fn add_characteristic(
    state: State,
    session: Session,
    _admin: Admin,
    page: FormPage,
    path: web::Path<String>,
    form: web::Form<CharacteristicForm>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let form = form.into_inner();
    let (k, f) = (code.clone(), form.clone());
    match state.db.write(move |c| service::add_characteristic(c, &k, &f)).await {
        Ok(()) => {
            flash::ok(&session, "Characteristic added.");
            Ok(see_other(&format!("/admin/kinds/{code}")))
        }
        Err(CatalogError::Invalid(errors)) => {
            let spec = state.db.read(move |c| service::kind_spec(c, &code)).await?.ok_or(AppError::NotFound)?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &AdminKindPage { l: page.l, spec, form, errors })
        }
        Err(e) => Err(e.into()),
    }
}

async fn remove_characteristic(
    state: State,
    session: Session,
    _admin: Admin,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (code, name) = path.into_inner();
    let k = code.clone();
    state.db.write(move |c| service::remove_characteristic(c, &k, &name)).await?;
    flash::ok(&session, "Characteristic removed, with its values on every product.");
    Ok(see_other(&format!("/admin/kinds/{code}")))
}
