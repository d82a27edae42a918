//! Handlers of the catalog pages: shoppers search and look at offers; salespeople run their
//! offers and agreed prices; admins manage kinds. Each extracts, calls the service, renders.

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::cache::Facts;
use super::model::UserId;
use super::service::{self, CatalogError, CharacteristicForm, MemberForm, OfferForm, PriceForm, ProductForm};
use super::views::*;
use crate::error::AppError;
use crate::web::attempts::{self, AttemptLimiter};
use crate::web::auth::{Authorized, SignedIn, roles};
use crate::web::forms::{Rejection, ending};
use crate::web::layout::{FormPage, Layout, Page};
use crate::web::pager::PageNumber;
use crate::web::{State, flash, render, render_status, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    // The router tries the paths in order, each with parameters by a regular expression: the
    // most requested come first (`lib.rs` puts the catalog before the other modules too).
    cfg.route("/pictures/{hash}/{file}", web::get().to(picture))
        .route("/catalog/{code}", web::get().to(product))
        .route("/catalog", web::get().to(search))
        .route("/", web::get().to(home))
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
        .route("/sell/offers/{code}/pictures", web::get().to(offer_pictures))
        .route("/sell/offers/{code}/pictures", web::post().to(add_picture))
        .route("/sell/offers/{code}/pictures/{position}/remove", web::post().to(remove_picture))
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

fn viewer(page_user: &Option<std::sync::Arc<crate::web::identity::Identity>>) -> Option<UserId> {
    page_user.as_ref().map(|u| u.id.clone())
}

fn not_found<T>(found: Option<T>) -> Result<T, AppError> {
    found.ok_or(AppError::NotFound)
}

// ---- shoppers ----

async fn home(state: State, facts: web::Data<Facts>, page: Page) -> Result<HttpResponse, AppError> {
    let (viewer, facts) = (viewer(&page.user), facts.into_inner());
    let (kinds, best) = state.db.read(move |c| service::home(c, &facts, viewer.as_ref())).await?;
    render(&HomePage { l: page.l, kinds, best })
}

async fn search(state: State, facts: web::Data<Facts>, page: Page, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let (raw, viewer, facts) = (req.query_string().to_owned(), viewer(&page.user), facts.into_inner());
    let currency = state.config.currency.clone();
    let found = state.db.read(move |c| service::search_page(c, &facts, &raw, viewer.as_ref(), &currency)).await?;
    let status = if found.errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let chips = chips(&found.query, found.result.kind.as_ref().map(|k| &k.spec));
    let service::Search { kinds, query, filter, errors, result } = found;
    render_status(status, &SearchPage { l: page.l, kinds, query, filter, errors, result, chips })
}

async fn product(
    state: State,
    facts: web::Data<Facts>,
    names: Option<web::Data<service::SellerNames>>,
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
    let names = names.map(|n| n.get_ref().clone());
    let p = state
        .db
        .read(move |c| service::product_page(c, &facts, &code.to_uppercase(), viewer.as_ref(), names.as_ref()))
        .await?;
    render(&ProductView { l: page.l, p, can_sell, can_buy })
}

async fn consumables(
    state: State,
    user: SignedIn,
    page: FormPage,
    parts: Option<web::Data<service::ConsumablesParts>>,
) -> Result<HttpResponse, AppError> {
    let (owner, csrf) = (user.0.id.clone(), page.l.csrf.clone());
    let (groups, parts) = state
        .db
        .read(move |c| {
            let groups = service::consumables_for(c, &owner).map_err(AppError::from)?;
            let mut drawn = Vec::new();
            for part in parts.iter().flat_map(|p| p.0.iter()) {
                drawn.push(part(c, &owner, &csrf)?);
            }
            Ok::<_, AppError>((groups, drawn))
        })
        .await?;
    render(&ConsumablesPage { l: page.l, groups, parts })
}

#[derive(Clone, Default, serde::Deserialize)]
#[serde(default)]
struct EquipmentForm {
    maker: String,
    model: String,
}

async fn equipment_page(
    state: &State,
    user: &SignedIn,
    l: Layout,
    form: EquipmentForm,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let owner = user.0.id.clone();
    let items = state.db.read(move |c| service::equipment_of(c, &owner)).await?;
    let page = EquipmentPage { l, items, maker: form.maker, model: form.model, errors: no.errors.clone() };
    render_status(no.status(), &page)
}

async fn equipment(state: State, user: SignedIn, page: FormPage) -> Result<HttpResponse, AppError> {
    equipment_page(&state, &user, page.l, EquipmentForm::default(), Rejection::default()).await
}

async fn add_equipment(
    state: State,
    session: Session,
    user: SignedIn,
    page: FormPage,
    form: web::Form<EquipmentForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (owner, f) = (user.0.id.clone(), form.clone());
    ending(
        state.db.write(move |c| service::add_equipment(c, &owner, &f.maker, &f.model)).await,
        async |()| {
            flash::ok(&session, "Equipment added. Consumables that fit it now show on your consumables page.");
            Ok(see_other("/account/equipment"))
        },
        async |no| equipment_page(&state, &user, page.l, form, no).await,
    )
    .await
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

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct OffersQuery {
    q: String,
    sort: String,
}

async fn sell_offers(
    state: State,
    seller: Seller,
    page: FormPage,
    number: PageNumber,
    query: web::Query<OffersQuery>,
) -> Result<HttpResponse, AppError> {
    let id = seller.user.id.clone();
    let OffersQuery { q, sort } = query.into_inner();
    let (sort, text) = (service::OfferSort::parse(&sort), q.trim().chars().take(100).collect::<String>());
    let pager = number.of(service::OFFERS_PAGE);
    let found = {
        let text = text.clone();
        state.db.read(move |c| service::offers_page(c, &id, &text, sort, pager)).await?
    };
    render(&SellOffersPage { l: page.l, found, q: text, sort })
}

/// The terms a new offer's form starts with.
fn fresh_offer() -> OfferForm {
    OfferForm {
        stock: "1".into(),
        guarantee_months: "12".into(),
        cooling_off_days: "14".into(),
        ..OfferForm::default()
    }
}

/// The new-offer form of a kind (a new product) or of an existing product (`existing`: one of
/// its offers' codes), with what was typed and what was wrong with it.
async fn new_offer_page(
    state: &State,
    facts: &web::Data<Facts>,
    l: Layout,
    target: NewOfferTarget,
    (product, offer): (ProductForm, OfferForm),
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let (spec, existing) = match target {
        NewOfferTarget::Kind(kind) => {
            (Some(not_found(state.db.read(move |c| service::kind_spec(c, &kind)).await?)?), None)
        }
        NewOfferTarget::Product(code) => {
            let facts = facts.clone().into_inner();
            let page = state.db.read(move |c| service::product_page(c, &facts, &code, None, None)).await?;
            (None, Some((page.asked, page.facts.product.clone())))
        }
    };
    render_status(no.status(), &NewOfferPage { l, spec, existing, product, offer, errors: no.errors })
}

enum NewOfferTarget {
    Kind(String),
    Product(String),
}

async fn new_offer_form(
    state: State,
    facts: web::Data<Facts>,
    _seller: Seller,
    page: FormPage,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let target = NewOfferTarget::Kind(path.into_inner());
    new_offer_page(&state, &facts, page.l, target, (ProductForm::default(), fresh_offer()), Rejection::default()).await
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

fn offer_added(session: &Session, code: &str) -> Result<HttpResponse, AppError> {
    flash::ok(session, &format!("Your offer {code} is in the catalog."));
    Ok(see_other("/sell/offers"))
}

async fn new_offer(
    state: State,
    facts: web::Data<Facts>,
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
    ending(
        state.db.write(move |c| service::create_product_and_offer(c, &id, &k, &p, &o, &currency)).await,
        async |code| offer_added(&session, &code),
        async |no| new_offer_page(&state, &facts, page.l, NewOfferTarget::Kind(kind), (product, offer), no).await,
    )
    .await
}

async fn add_offer_form(
    state: State,
    facts: web::Data<Facts>,
    _seller: Seller,
    page: FormPage,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let target = NewOfferTarget::Product(path.into_inner());
    new_offer_page(&state, &facts, page.l, target, (ProductForm::default(), fresh_offer()), Rejection::default()).await
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
    ending(
        state.db.write(move |c| service::offer_existing(c, &id, &of, &o, &currency)).await,
        async |code| offer_added(&session, &code),
        async |no| {
            let typed = (ProductForm::default(), offer);
            new_offer_page(&state, &facts, page.l, NewOfferTarget::Product(of_code), typed, no).await
        },
    )
    .await
}

#[derive(serde::Deserialize)]
struct ChangeForm {
    #[serde(default)]
    price: String,
    #[serde(default)]
    stock: String,
}

/// A change typed into a row of the offers list: done or not, the list comes back with a message.
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
            let message = errors.messages().join(" ");
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
    l: Layout,
    form: PriceForm,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let id = seller.user.id.clone();
    let (prices, offers, groups) = state.db.read(move |c| service::prices_page(c, &id)).await?;
    render_status(no.status(), &PricesPage { l, prices, offers, groups, form, errors: no.errors })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PricesQuery {
    /// An offer to agree a price on (the "Agree a price" link of the offers list).
    offer: String,
}

async fn prices(
    state: State,
    seller: Seller,
    page: FormPage,
    query: web::Query<PricesQuery>,
) -> Result<HttpResponse, AppError> {
    let form = PriceForm { offer: query.into_inner().offer.chars().take(20).collect(), ..PriceForm::default() };
    prices_page(&state, &seller, page.l, form, Rejection::default()).await
}

/// Runs a salesperson's change that may look a customer up by e-mail under the attempt limiter
/// (see `service::CUSTOMER_LOOKUP`).
async fn looking_up<T: Send + 'static>(
    state: &State,
    req: &HttpRequest,
    seller: &Seller,
    change: impl FnOnce(&mut crate::db::DbConnection) -> Result<T, CatalogError> + Send + 'static,
) -> Result<T, CatalogError> {
    let limiter = req
        .app_data::<web::Data<AttemptLimiter>>()
        .ok_or_else(|| CatalogError::Below("the attempt limiter is missing".into()))?
        .clone()
        .into_inner();
    let (client, target) = (attempts::client_of(req), seller.user.id.to_string());
    limiter
        .guard_in_one(&state.db, service::CUSTOMER_LOOKUP, client, target, change, service::is_unknown_customer)
        .await
}

async fn add_price(
    state: State,
    session: Session,
    req: HttpRequest,
    seller: Seller,
    page: FormPage,
    form: web::Form<PriceForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (id, f, currency) = (seller.user.id.clone(), form.clone(), state.config.currency.clone());
    ending(
        looking_up(&state, &req, &seller, move |c| service::agree_price(c, &id, &f, &currency)).await,
        async |()| {
            flash::ok(&session, "The agreed price is in place.");
            Ok(see_other("/sell/prices"))
        },
        async |no| prices_page(&state, &seller, page.l, form, no).await,
    )
    .await
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
    l: Layout,
    name: String,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let id = seller.user.id.clone();
    let groups = state.db.read(move |c| service::groups_of_seller(c, &id)).await?;
    render_status(no.status(), &GroupsPage { l, groups, group_name: name, errors: no.errors })
}

async fn groups(state: State, seller: Seller, page: FormPage) -> Result<HttpResponse, AppError> {
    groups_page(&state, &seller, page.l, String::new(), Rejection::default()).await
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
    let (id, name) = (seller.user.id.clone(), form.into_inner().name);
    let n = name.clone();
    ending(
        state.db.write(move |c| service::create_group(c, &id, &n)).await,
        async |group| {
            flash::ok(&session, "Group created. Add its members.");
            Ok(see_other(&format!("/sell/groups/{group}")))
        },
        async |no| groups_page(&state, &seller, page.l, name, no).await,
    )
    .await
}

async fn group_page(
    state: &State,
    seller: &Seller,
    l: Layout,
    id: String,
    form: MemberForm,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let group_id = id.parse().map_err(|_| AppError::NotFound)?;
    let seller_id = seller.user.id.clone();
    let (group, members) = state.db.read(move |c| service::group(c, &seller_id, &group_id)).await?;
    render_status(no.status(), &GroupPage { l, group, members, form, errors: no.errors })
}

async fn group(
    state: State,
    seller: Seller,
    page: FormPage,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    group_page(&state, &seller, page.l, path.into_inner(), MemberForm::default(), Rejection::default()).await
}

async fn add_member(
    state: State,
    session: Session,
    req: HttpRequest,
    seller: Seller,
    page: FormPage,
    path: web::Path<String>,
    form: web::Form<MemberForm>,
) -> Result<HttpResponse, AppError> {
    let (id, form) = (path.into_inner(), form.into_inner());
    let group_id = id.parse().map_err(|_| AppError::NotFound)?;
    let (seller_id, f) = (seller.user.id.clone(), form.clone());
    ending(
        looking_up(&state, &req, &seller, move |c| service::add_member_by_email(c, &seller_id, &group_id, &f)).await,
        async |()| {
            flash::ok(&session, "Member added: the group's prices now apply to them.");
            Ok(see_other(&format!("/sell/groups/{id}")))
        },
        async |no| group_page(&state, &seller, page.l, id.clone(), form, no).await,
    )
    .await
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

#[derive(Clone, Default, serde::Deserialize)]
#[serde(default)]
struct KindForm {
    code: String,
    name: String,
}

async fn kinds_page(state: &State, l: Layout, form: KindForm, no: Rejection) -> Result<HttpResponse, AppError> {
    let kinds = state.db.read(service::kinds).await?;
    render_status(no.status(), &AdminKindsPage { l, kinds, code: form.code, kind_name: form.name, errors: no.errors })
}

async fn admin_kinds(state: State, _admin: Admin, page: FormPage) -> Result<HttpResponse, AppError> {
    kinds_page(&state, page.l, KindForm::default(), Rejection::default()).await
}

async fn create_kind(
    state: State,
    session: Session,
    _admin: Admin,
    page: FormPage,
    form: web::Form<KindForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let f = form.clone();
    ending(
        state.db.write(move |c| service::create_kind(c, &f.code, &f.name)).await,
        async |_| {
            flash::ok(&session, "Kind created. Now give it its characteristics.");
            Ok(see_other(&format!("/admin/kinds/{}", form.code.trim())))
        },
        async |no| kinds_page(&state, page.l, form.clone(), no).await,
    )
    .await
}

async fn kind_page(
    state: &State,
    l: Layout,
    code: String,
    form: CharacteristicForm,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let spec = not_found(state.db.read(move |c| service::kind_spec(c, &code)).await?)?;
    render_status(no.status(), &AdminKindPage { l, spec, form, errors: no.errors })
}

async fn admin_kind(
    state: State,
    _admin: Admin,
    page: FormPage,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let form = CharacteristicForm { value_type: "number".into(), ..CharacteristicForm::default() };
    kind_page(&state, page.l, path.into_inner(), form, Rejection::default()).await
}

async fn add_characteristic(
    state: State,
    session: Session,
    _admin: Admin,
    page: FormPage,
    path: web::Path<String>,
    form: web::Form<CharacteristicForm>,
) -> Result<HttpResponse, AppError> {
    let (code, form) = (path.into_inner(), form.into_inner());
    let (k, f) = (code.clone(), form.clone());
    ending(
        state.db.write(move |c| service::add_characteristic(c, &k, &f)).await,
        async |()| {
            flash::ok(&session, "Characteristic added.");
            Ok(see_other(&format!("/admin/kinds/{code}")))
        },
        async |no| kind_page(&state, page.l, code.clone(), form, no).await,
    )
    .await
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

// ---- pictures ----

/// Picture bytes kept in memory by hash (its 128 bits) and size: they never change under their
/// address. Served without an allocation before the bytes are found.
static PICTURE_CACHE: std::sync::LazyLock<quick_cache::sync::Cache<(u128, bool), web::Bytes>> =
    std::sync::LazyLock::new(|| quick_cache::sync::Cache::new(2048));

async fn picture(state: State, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let info = req.match_info();
    let thumb = match info.get("file") {
        Some("thumb.jpg") => true,
        Some("page.jpg") => false,
        _ => return Err(AppError::NotFound),
    };
    let hash = info.get("hash").unwrap_or_default();
    // Exactly 32 hex digits (`from_str_radix` alone would take a sign).
    if hash.len() != 32 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    let key = (u128::from_str_radix(hash, 16).map_err(|_| AppError::NotFound)?, thumb);
    let bytes = match PICTURE_CACHE.get(&key) {
        Some(bytes) => bytes,
        None => {
            let hash = hash.to_ascii_lowercase();
            let found = state.db.read(move |c| service::picture_bytes(c, &hash, thumb)).await?;
            let bytes = web::Bytes::from(found.ok_or(AppError::NotFound)?);
            PICTURE_CACHE.insert(key, bytes.clone());
            bytes
        }
    };
    Ok(crate::web::assets::immutable("image/jpeg", bytes))
}

async fn pictures_page_of(
    state: &State,
    seller: &Seller,
    l: Layout,
    code: String,
    alt: String,
    errors: crate::web::forms::FieldErrors,
) -> Result<HttpResponse, AppError> {
    let id = seller.user.id.clone();
    let (offer, product, pictures) = state.db.read(move |c| service::offer_pictures(c, &id, &code)).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(status, &OfferPicturesPage { l, offer, product, pictures, alt, errors })
}

async fn offer_pictures(
    state: State,
    seller: Seller,
    page: FormPage,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    pictures_page_of(&state, &seller, page.l, code.into_inner(), String::new(), Default::default()).await
}

/// Reads an upload's fields: the description and the file, stopping past the size limit.
async fn read_upload(mut form: actix_multipart::Multipart) -> Result<(String, Vec<u8>, bool), AppError> {
    use futures_util::StreamExt;
    let (mut alt, mut bytes) = (String::new(), Vec::new());
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|_| AppError::BadRequest("The upload did not arrive whole.".into()))?;
        let name = field.name().unwrap_or_default().to_owned();
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| AppError::BadRequest("The upload did not arrive whole.".into()))?;
            let limit = if name == "picture" { crate::catalog::pictures::MAX_UPLOAD } else { 4096 };
            if data.len() + chunk.len() > limit {
                // Stop reading: the rest of an oversized upload is not worth receiving.
                return Ok((alt, Vec::new(), true));
            }
            data.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "alt" => alt = String::from_utf8_lossy(&data).into_owned(),
            "picture" => bytes = data,
            _ => {}
        }
    }
    Ok((alt, bytes, false))
}

async fn add_picture(
    state: State,
    seller: Seller,
    page: FormPage,
    code: web::Path<String>,
    form: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    let code = code.into_inner();
    let (alt, bytes, too_large) = read_upload(form).await?;
    let refuse = |message: String| crate::web::forms::FieldErrors::with("picture", message);
    let prepared = if too_large {
        Err(refuse(crate::catalog::pictures::PictureError::TooLarge.to_string()))
    } else if bytes.is_empty() {
        Err(refuse("Choose a picture to upload.".into()))
    } else {
        // Decoding and resizing is CPU work: off the server's threads.
        web::block(move || crate::catalog::pictures::prepare(&bytes))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("picture worker: {e}")))?
            .map_err(|e| refuse(e.to_string()))
    };
    let prepared = match prepared {
        Ok(p) => p,
        Err(errors) => return pictures_page_of(&state, &seller, page.l, code, alt, errors).await,
    };
    let (id, c2, a2) = (seller.user.id.clone(), code.clone(), alt.clone());
    match state.db.write(move |c| service::add_picture(c, &id, &c2, &prepared, &a2)).await {
        Ok(()) => Ok(see_other(&format!("/sell/offers/{code}/pictures"))),
        Err(CatalogError::Invalid(errors)) => pictures_page_of(&state, &seller, page.l, code, alt, errors).await,
        Err(e) => Err(e.into()),
    }
}

async fn remove_picture(
    state: State,
    seller: Seller,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, AppError> {
    let (code, position) = path.into_inner();
    let (id, c2) = (seller.user.id.clone(), code.clone());
    state.db.write(move |c| service::remove_picture(c, &id, &c2, position)).await?;
    Ok(see_other(&format!("/sell/offers/{code}/pictures")))
}
