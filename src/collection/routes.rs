//! Handlers of the collection: the member's `/collection`, the clerk's `/clerk/collection`, the
//! admins' `/admin/collection`, and the display the consumables page draws (`consumables_display`).

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::rules::ClaimState;
use super::service::{self as collection, Decider, RecordForm, RewardForm};
use super::views::*;
use crate::accounts::UserId;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::web::auth::{Authorized, roles};
use crate::web::forms::{FormError, Rejection, ending};
use crate::web::idempotency::IdempotencyKey;
use crate::web::layout::{FormPage, Layout};
use crate::web::pager::PageNumber;
use crate::web::{State, flash, render_status, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/collection", web::get().to(member_page))
        .route("/collection/register", web::post().to(register))
        .route("/collection/rewards/{id}/claim", web::post().to(claim))
        .route("/collection/claims/{code}/cancel", web::post().to(cancel_own_claim))
        .route("/clerk/collection", web::get().to(desk))
        .route("/clerk/collection/records", web::post().to(record))
        .route("/clerk/collection/records/{id}/correct", web::post().to(correct))
        .route("/clerk/collection/claims/{code}/hand-over", web::post().to(hand_over))
        .route("/clerk/collection/claims/{code}/cancel", web::post().to(cancel_claim))
        .route("/admin/collection", web::get().to(admin))
        .route("/admin/collection/rules", web::post().to(publish_rules))
        .route("/admin/collection/rewards", web::post().to(add_reward))
        .route("/admin/collection/rewards/{id}", web::post().to(change_reward))
        .route("/admin/collection/adjust", web::post().to(adjust));
}

type Shopper = Authorized<roles::Shopper>;
type Clerk = Authorized<roles::Clerk>;
type Admin = Authorized<roles::Admin>;

fn now() -> chrono::NaiveDateTime {
    crate::db::now()
}

/// The consumables page's collection part for this shopper: the figures of a member or the
/// registration section (`lib.rs` wires it into the catalog's page).
pub fn consumables_display(
    conn: &mut DbConnection,
    user: &UserId,
    csrf: &str,
    currency: &str,
) -> anyhow::Result<String> {
    let summary = collection::summary(conn, user, currency, now())?;
    Ok(Display { csrf: csrf.to_owned(), summary }.render()?)
}

// ---- the member ----

async fn member_view(
    state: &State,
    user: &Shopper,
    l: Layout,
    number: i64,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let (id, currency) = (user.user.id.clone(), state.config.currency.clone());
    let pager = PageNumber(number).of(25);
    let page = state.db.read(move |c| collection::collection_page(c, &id, &currency, pager, now())).await?;
    if let collection::CollectionPage::Member(m) = &page {
        m.entries.clone().found()?;
    }
    let key = IdempotencyKey::new().to_string();
    render_status(no.status(), &MemberView { l, page, refusal: no.refusal, key })
}

async fn member_page(
    state: State,
    user: Shopper,
    page: FormPage,
    number: PageNumber,
) -> Result<HttpResponse, AppError> {
    member_view(&state, &user, page.l, number.0, Rejection::default()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Back {
    back: String,
}

async fn register(
    state: State,
    session: Session,
    user: Shopper,
    form: web::Form<Back>,
) -> Result<HttpResponse, AppError> {
    let id = user.user.id.clone();
    let member = state.db.write(move |c| collection::register(c, &id, now())).await?;
    flash::ok(
        &session,
        &format!("You are registered. Your collection card number is {}: give it at the desk.", member.card_number),
    );
    let back = if form.back == "/consumables" { "/consumables" } else { "/collection" };
    Ok(see_other(back))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct KeyForm {
    key: String,
}

async fn claim(
    state: State,
    session: Session,
    user: Shopper,
    page: FormPage,
    id: web::Path<String>,
    form: web::Form<KeyForm>,
) -> Result<HttpResponse, AppError> {
    let (uid, reward, key) = (user.user.id.clone(), id.into_inner(), form.into_inner().key);
    ending(
        state.db.write(move |c| collection::claim_reward(c, &uid, &reward, &key, now())).await,
        async |claim| {
            flash::ok(
                &session,
                &format!("Claimed. Show the code {} at the collection desk to collect it.", claim.code),
            );
            Ok(see_other("/collection"))
        },
        async |no| member_view(&state, &user, page.l, 1, refused(no)).await,
    )
    .await
}

/// A form whose only field is a hidden key: its mistakes are said above the page.
fn refused(no: Rejection) -> Rejection {
    match no.refusal {
        Some(_) => no,
        None => Rejection::refused(no.errors.messages().join(" ")),
    }
}

async fn cancel_own_claim(
    state: State,
    session: Session,
    user: Shopper,
    page: FormPage,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (uid, code) = (user.user.id.clone(), code.into_inner());
    ending(
        state
            .db
            .write(move |c| collection::decide_claim(c, &code, ClaimState::Cancelled, Decider::Member(&uid), now()))
            .await,
        async |claim| {
            flash::ok(&session, &format!("Claim {} cancelled; its points are yours again.", claim.code));
            Ok(see_other("/collection"))
        },
        async |no| member_view(&state, &user, page.l, 1, no).await,
    )
    .await
}

// ---- the desk ----

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CardQuery {
    card: String,
}

async fn desk_view(
    state: &State,
    l: Layout,
    card: String,
    form: RecordForm,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let currency = state.config.currency.clone();
    let typed = card.clone();
    let (view, models) = state
        .db
        .read(move |c| {
            let models = collection::cartridge_models(c, &currency)?;
            let view =
                if typed.trim().is_empty() { Ok(None) } else { collection::desk_view(c, &typed, now()).map(Some) };
            Ok::<_, collection::CollectionError>((view, models))
        })
        .await?;
    let mut no = no;
    let view = match view {
        Ok(v) => v,
        Err(e) => {
            let card_error = e.rejection()?;
            no.errors.add("card", card_error.errors.get("card"));
            None
        }
    };
    let status = no.status();
    let key = IdempotencyKey::new().to_string();
    let page = DeskPage { l, card, view, models, form, errors: no.errors, refusal: no.refusal, key };
    render_status(status, &page)
}

async fn desk(state: State, _clerk: Clerk, page: FormPage, q: web::Query<CardQuery>) -> Result<HttpResponse, AppError> {
    desk_view(&state, page.l, q.into_inner().card, RecordForm::default(), Rejection::default()).await
}

fn desk_address(card: &str) -> String {
    format!(
        "/clerk/collection?card={}",
        url::form_urlencoded::byte_serialize(card.trim().as_bytes()).collect::<String>()
    )
}

async fn record(
    state: State,
    session: Session,
    clerk: Clerk,
    page: FormPage,
    form: web::Form<RecordForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (id, f, currency) = (clerk.user.id.clone(), form.clone(), state.config.currency.clone());
    ending(
        state.db.write(move |c| collection::record(c, &f, &id, &currency, now())).await,
        async |done| {
            let r = &done.record;
            let mut message = format!("Recorded {} × {}: {} points.", r.quantity, r.cartridge_name, r.points);
            if let Some(e) = done.earning {
                if e.eligible < r.quantity {
                    message.push_str(&format!(
                        " {} of them earn nothing: more than the member bought here.",
                        r.quantity - e.eligible
                    ));
                }
                if e.capped {
                    message.push_str(" The monthly cap is reached.");
                }
            }
            flash::ok(&session, &message);
            Ok(see_other(&desk_address(&form.card)))
        },
        async |no| desk_view(&state, page.l, form.card.clone(), form.clone(), no).await,
    )
    .await
}

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
struct CorrectForm {
    card: String,
    reason: String,
    key: String,
}

async fn correct(
    state: State,
    session: Session,
    clerk: Clerk,
    page: FormPage,
    id: web::Path<String>,
    form: web::Form<CorrectForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (uid, record, f) = (clerk.user.id.clone(), id.into_inner(), form.clone());
    ending(
        state.db.write(move |c| collection::correct(c, &record, &f.reason, &f.key, &uid, now())).await,
        async |c| {
            flash::ok(&session, &format!("Record reversed: {} points taken back.", -c.points));
            Ok(see_other(&desk_address(&form.card)))
        },
        async |no| desk_view(&state, page.l, form.card.clone(), RecordForm::default(), refused(no)).await,
    )
    .await
}

async fn decide_at_desk(
    state: State,
    session: Session,
    clerk: Clerk,
    page: FormPage,
    code: String,
    form: CardQuery,
    to: ClaimState,
) -> Result<HttpResponse, AppError> {
    let uid = clerk.user.id.clone();
    ending(
        state.db.write(move |c| collection::decide_claim(c, &code, to, Decider::Clerk(&uid), now())).await,
        async |claim| {
            let done = if to == ClaimState::HandedOver { "handed over" } else { "cancelled; points given back" };
            flash::ok(&session, &format!("Reward {} {done}.", claim.code));
            Ok(see_other(&desk_address(&form.card)))
        },
        async |no| desk_view(&state, page.l, form.card.clone(), RecordForm::default(), no).await,
    )
    .await
}

async fn hand_over(
    state: State,
    session: Session,
    clerk: Clerk,
    page: FormPage,
    code: web::Path<String>,
    form: web::Form<CardQuery>,
) -> Result<HttpResponse, AppError> {
    decide_at_desk(state, session, clerk, page, code.into_inner(), form.into_inner(), ClaimState::HandedOver).await
}

async fn cancel_claim(
    state: State,
    session: Session,
    clerk: Clerk,
    page: FormPage,
    code: web::Path<String>,
    form: web::Form<CardQuery>,
) -> Result<HttpResponse, AppError> {
    decide_at_desk(state, session, clerk, page, code.into_inner(), form.into_inner(), ClaimState::Cancelled).await
}

// ---- the admins ----

/// What the admin page shows again after a form was refused.
#[derive(Default)]
struct Typed {
    rules: Option<Vec<(String, String)>>,
    reward: RewardForm,
    adjust: AdjustForm,
    form: &'static str,
}

async fn admin_view(state: &State, l: Layout, typed: Typed, no: Rejection) -> Result<HttpResponse, AppError> {
    let currency = state.config.currency.clone();
    let (page, rewards) = state
        .db
        .read(move |c| {
            Ok::<_, collection::CollectionError>((collection::rules_page(c, &currency)?, collection::all_rewards(c)?))
        })
        .await?;
    let status = no.status();
    let view = AdminPage {
        l,
        typed: typed.rules.unwrap_or_else(|| rules_fields(&page.rules)),
        page,
        page_rewards: rewards,
        reward: typed.reward,
        adjust: typed.adjust,
        errors: no.errors,
        form: typed.form,
        refusal: no.refusal,
    };
    render_status(status, &view)
}

async fn admin(state: State, _admin: Admin, page: FormPage) -> Result<HttpResponse, AppError> {
    admin_view(&state, page.l, Typed::default(), Rejection::default()).await
}

async fn publish_rules(
    state: State,
    session: Session,
    admin: Admin,
    page: FormPage,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let pairs: Vec<(String, String)> = form.into_inner().into_iter().filter(|(k, _)| k != "csrf_token").collect();
    let currency = state.config.currency.clone();
    let (id, typed) = (admin.user.id.clone(), pairs.clone());
    let result = match collection::read_rules(&pairs, &currency) {
        Ok(rules) => state.db.write(move |c| collection::publish_rules(c, &rules, &id, now())).await,
        Err(errors) => Err(collection::CollectionError::Invalid(errors)),
    };
    ending(
        result,
        async |()| {
            flash::ok(&session, "Rules published: they apply from now on.");
            Ok(see_other("/admin/collection"))
        },
        async |no| {
            admin_view(&state, page.l, Typed { rules: Some(typed), form: "rules", ..Typed::default() }, no).await
        },
    )
    .await
}

async fn add_reward(
    state: State,
    session: Session,
    _admin: Admin,
    page: FormPage,
    form: web::Form<RewardForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let f = form.clone();
    ending(
        state.db.write(move |c| collection::add_reward(c, &f, now())).await,
        async |r| {
            flash::ok(&session, &format!("Reward {} added.", r.name));
            Ok(see_other("/admin/collection#rewards"))
        },
        async |no| {
            admin_view(&state, page.l, Typed { reward: form.clone(), form: "reward", ..Typed::default() }, no).await
        },
    )
    .await
}

async fn change_reward(
    state: State,
    session: Session,
    _admin: Admin,
    page: FormPage,
    id: web::Path<String>,
    form: web::Form<RewardForm>,
) -> Result<HttpResponse, AppError> {
    let (id, f) = (id.into_inner(), form.into_inner());
    ending(
        state.db.write(move |c| collection::change_reward(c, &id, &f, now())).await,
        async |r| {
            flash::ok(&session, &format!("Reward {} saved.", r.name));
            Ok(see_other("/admin/collection#rewards"))
        },
        async |no| admin_view(&state, page.l, Typed { form: "reward", ..Typed::default() }, refused(no)).await,
    )
    .await
}

async fn adjust(
    state: State,
    session: Session,
    admin: Admin,
    page: FormPage,
    form: web::Form<AdjustForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (id, f, currency) = (admin.user.id.clone(), form.clone(), state.config.currency.clone());
    ending(
        state.db.write(move |c| collection::adjust(c, &f.card, &f.points, &f.reason, &id, &currency, now())).await,
        async |e| {
            flash::ok(&session, &format!("Points adjusted by {}.", points(e.points)));
            Ok(see_other("/admin/collection#adjust"))
        },
        async |no| {
            admin_view(&state, page.l, Typed { adjust: form.clone(), form: "adjust", ..Typed::default() }, no).await
        },
    )
    .await
}
