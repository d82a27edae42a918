//! Handlers of buy-back: the center's application page `/buyback` (logged in or not) with the
//! estimate and the private status link, the clerk's `/clerk/buyback`, the salespeople's
//! `/sell/buyback` and the admins' `/admin/buyback`.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};

use super::model::*;
use super::service::{self as bb, ApplyForm, BuybackError, CenterForm, GradeForm, PriceForm, RuleForm};
use super::views::*;
use crate::error::AppError;
use crate::web::attempts::AttemptLimiter;
use crate::web::auth::{Authorized, roles};
use crate::web::forms::{FieldErrors, Rejection, ending};
use crate::web::idempotency::IdempotencyKey;
use crate::web::layout::{FormPage, Layout};
use crate::web::{State, flash, render, render_status, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/buyback", web::get().to(apply_page))
        .route("/buyback/estimate", web::post().to(estimate))
        .route("/buyback/apply", web::post().to(apply))
        .route("/buyback/status/{link}", web::get().to(status))
        .route("/buyback/status/{link}/{action}", web::post().to(respond))
        .route("/clerk/buyback", web::get().to(desk))
        .route("/clerk/buyback/{number}", web::get().to(desk_application))
        .route("/clerk/buyback/{number}/{action}", web::post().to(desk_action))
        .route("/sell/buyback", web::get().to(sell))
        .route("/sell/buyback/designate", web::post().to(designate))
        .route("/sell/buyback/rules", web::post().to(sell_rule))
        .route("/sell/buyback/rules/{id}/withdraw", web::post().to(sell_withdraw))
        .route("/admin/buyback", web::get().to(admin))
        .route("/admin/buyback/rules", web::post().to(admin_rule))
        .route("/admin/buyback/rules/{id}/withdraw", web::post().to(admin_withdraw))
        .route("/admin/buyback/centers", web::get().to(centers))
        .route("/admin/buyback/centers", web::post().to(add_center))
        .route("/admin/buyback/clerks", web::post().to(assign_clerk))
        .route("/admin/buyback/centers/{code}", web::get().to(center))
        .route("/admin/buyback/centers/{code}", web::post().to(change_center))
        .route("/admin/buyback/centers/{code}/prices", web::post().to(set_price))
        .route("/admin/buyback/centers/{code}/prices/{id}/remove", web::post().to(remove_price))
        .route("/admin/buyback/centers/{code}/fund", web::post().to(fund));
}

type Clerk = Authorized<roles::Clerk>;
type Seller = Authorized<roles::Salesperson>;
type Admin = Authorized<roles::Admin>;
type Limiter = web::Data<AttemptLimiter>;

fn now() -> chrono::NaiveDateTime {
    crate::db::now()
}

fn client(req: &HttpRequest) -> Option<std::net::IpAddr> {
    req.peer_addr().map(|a| a.ip())
}

/// The path as the request log writes it: a status link without its secret.
pub fn redacted_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/buyback/status/")?;
    Some(match rest.split_once('/') {
        Some((_, action)) => format!("/buyback/status/…/{action}"),
        None => "/buyback/status/…".to_owned(),
    })
}

// ---- the application ----

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct OrderQuery {
    order: String,
}

async fn apply_view(state: &State, page: FormPage, form: ApplyForm, no: Rejection) -> Result<HttpResponse, AppError> {
    let secret = state.config.secret_key.clone();
    let user = page.user.as_ref().map(|u| u.id.clone());
    let order = form.order.clone();
    let (grades, mine, serving) = state
        .db
        .read(move |c| {
            let serving = match &user {
                Some(u) if !order.is_empty() => bb::serving_centers_of_order(c, &order, u)?,
                _ => Vec::new(),
            };
            let center = match serving.first() {
                Some((_, center, _)) => Some(center.clone()),
                None => bb::centers(c)?.into_iter().find(|c| c.is_default),
            };
            let grades = center.map(|c| c.grade_list()).unwrap_or_default();
            let mine = match &user {
                Some(u) => bb::applications_of(c, u)?
                    .into_iter()
                    .map(|a| {
                        let link = bb::link_secret(&secret, &a.idempotency_key);
                        (a, link)
                    })
                    .collect(),
                None => Vec::new(),
            };
            Ok::<_, BuybackError>((grades, mine, serving))
        })
        .await?;
    let grades = if grades.is_empty() { bb::starting_grades() } else { grades };
    let status = no.status();
    let currency = state.config.currency.clone();
    render_status(
        status,
        &ApplyPage { l: page.l, form, errors: no.errors, refusal: no.refusal, grades, mine, serving, currency },
    )
}

async fn apply_page(state: State, page: FormPage, q: web::Query<OrderQuery>) -> Result<HttpResponse, AppError> {
    let form = ApplyForm { order: q.into_inner().order, ..Default::default() };
    apply_view(&state, page, form, Rejection::default()).await
}

/// Checks the purchase under the attempt limiter (per client address, per order number in the
/// database): a wrong try counts, a right one does not.
async fn verified<T: Send + 'static>(
    state: &State,
    limiter: Limiter,
    req: &HttpRequest,
    form: &ApplyForm,
    then: impl FnOnce(&mut crate::db::DbConnection, &ApplyForm) -> Result<T, BuybackError> + Send + 'static,
) -> Result<T, BuybackError> {
    bb::check_form(form)?;
    let f = form.clone();
    limiter
        .into_inner()
        .guard_in_one(
            &state.db,
            bb::ORDER_NUMBER,
            client(req),
            form.order_key(),
            move |c| then(c, &f),
            BuybackError::is_no_match,
        )
        .await
}

async fn estimate(
    state: State,
    limiter: Limiter,
    page: FormPage,
    req: HttpRequest,
    form: web::Form<ApplyForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let checked = verified(&state, limiter, &req, &form, |c, f| bb::verify(c, f, now())).await;
    match checked {
        Ok(verified) => {
            let form = ApplyForm { key: IdempotencyKey::new().to_string(), ..form };
            let currency = state.config.currency.clone();
            render(&EstimatePage { l: page.l, form, verified, errors: FieldErrors::new(), refusal: None, currency })
        }
        Err(e) => apply_view(&state, page, form, crate::web::forms::FormError::rejection(e)?).await,
    }
}

async fn apply(
    state: State,
    limiter: Limiter,
    page: FormPage,
    req: HttpRequest,
    form: web::Form<ApplyForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let secret = state.config.secret_key.clone();
    let applicant = page.user.as_ref().map(|u| u.id.clone());
    let applied =
        verified(&state, limiter, &req, &form, move |c, f| bb::apply(c, f, applicant.as_ref(), &secret, now())).await;
    match applied {
        Ok(done) => Ok(see_other(&format!("/buyback/status/{}?new", done.link))),
        Err(BuybackError::Invalid(errors)) if errors.has("line") || errors.has("grade") => {
            // Mistakes on the estimate's own choices: show the estimate again.
            let f = form.clone();
            let verified = state.db.read(move |c| bb::verify(c, &f, now())).await?;
            let currency = state.config.currency.clone();
            render_status(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                &EstimatePage { l: page.l, form, verified, errors, refusal: None, currency },
            )
        }
        Err(e) => apply_view(&state, page, form, crate::web::forms::FormError::rejection(e)?).await,
    }
}

async fn status_view(
    state: &State,
    l: Layout,
    link: String,
    new: bool,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let secret = state.config.secret_key.clone();
    let l2 = link.clone();
    let (app, events, center) = state
        .db
        .read(move |c| {
            let app = bb::application_of_link(c, &secret, &l2)?;
            let events = bb::events_of(c, &app.id)?;
            let center = bb::center(c, &app.center_id)?;
            Ok::<_, BuybackError>((app, events, center))
        })
        .await?;
    let currency = state.config.currency.clone();
    render_status(no.status(), &StatusPage { l, app, events, center, link, new, refusal: no.refusal, currency })
}

async fn status(
    state: State,
    page: FormPage,
    link: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let new = req.query_string() == "new";
    status_view(&state, page.l, link.into_inner(), new, Rejection::default()).await
}

async fn respond(
    state: State,
    session: Session,
    page: FormPage,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (link, action) = path.into_inner();
    let secret = state.config.secret_key.clone();
    let (l2, who) = (link.clone(), page.user.as_ref().map(|u| u.id.clone()));
    let done = state
        .db
        .write(move |c| {
            let app = bb::application_of_link(c, &secret, &l2)?;
            // The link is the applicant's key; a logged-in visitor acts under their own name.
            let who = who.filter(|u| app.applicant_id.as_ref() == Some(u) || app.buyer_id == *u);
            match action.as_str() {
                "accept" => bb::respond(c, &app, true, who.as_ref(), now())
                    .map(|_| "Offer accepted: the center pays you shortly."),
                "decline" => bb::respond(c, &app, false, who.as_ref(), now())
                    .map(|_| "Offer declined: the center sends the item back."),
                "withdraw" => bb::withdraw(c, &app, who.as_ref(), now()).map(|_| "Application withdrawn."),
                _ => Err(BuybackError::NotFound),
            }
        })
        .await;
    let back = format!("/buyback/status/{link}");
    ending(
        done,
        async |message| {
            flash::ok(&session, message);
            Ok(see_other(&back))
        },
        async |no| status_view(&state, page.l, link, false, no).await,
    )
    .await
}

// ---- the desk ----

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct FindQuery {
    number: String,
}

async fn desk(state: State, clerk: Clerk, page: FormPage, q: web::Query<FindQuery>) -> Result<HttpResponse, AppError> {
    let find = q.into_inner().number.trim().to_uppercase();
    if !find.is_empty() {
        return Ok(see_other(&format!("/clerk/buyback/{find}")));
    }
    let id = clerk.user.id.clone();
    let found = state
        .db
        .read(move |c| {
            let center = bb::clerk_center(c, &id)?;
            let open = bb::center_applications(
                c,
                &center.id,
                &[AppState::Applied, AppState::Received, AppState::Offered, AppState::Accepted],
            )?;
            let ended = bb::center_applications(
                c,
                &center.id,
                &[AppState::Paid, AppState::Rejected, AppState::Returned, AppState::Withdrawn],
            )?;
            Ok::<_, BuybackError>((center, open, ended))
        })
        .await;
    let (center, open, ended) = match found {
        Ok(found) => found,
        Err(BuybackError::Refused(r)) => return Err(AppError::BadRequest(r.to_string())),
        Err(e) => return Err(e.into()),
    };
    let currency = state.config.currency.clone();
    render(&DeskPage { l: page.l, center, open, ended, find, refusal: None, currency })
}

async fn desk_view(
    state: &State,
    clerk: &Clerk,
    l: Layout,
    number: String,
    grade: GradeForm,
    reject_reason: String,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let id = clerk.user.id.clone();
    let (center, app, events, balance) = state
        .db
        .read(move |c| {
            let center = bb::clerk_center(c, &id)?;
            let (app, events) = bb::desk_application(c, &center.id, &number)?;
            let balance = bb::center_account(c, &center.id, now())?.balance;
            Ok::<_, BuybackError>((center, app, events, balance))
        })
        .await?;
    let currency = state.config.currency.clone();
    let page = DeskApplicationPage {
        l,
        center,
        app,
        events,
        grade,
        reject_reason,
        errors: no.errors.clone(),
        refusal: no.refusal.clone(),
        currency,
        balance,
    };
    render_status(no.status(), &page)
}

async fn desk_application(
    state: State,
    clerk: Clerk,
    page: FormPage,
    number: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    desk_view(&state, &clerk, page.l, number.into_inner(), GradeForm::default(), String::new(), Rejection::default())
        .await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DeskForm {
    grade: String,
    price: String,
    reason: String,
    /// Why an application is rejected.
    why: String,
}

async fn desk_action(
    state: State,
    session: Session,
    clerk: Clerk,
    page: FormPage,
    path: web::Path<(String, String)>,
    form: web::Form<DeskForm>,
) -> Result<HttpResponse, AppError> {
    let (number, action) = path.into_inner();
    let form = form.into_inner();
    let grade = GradeForm { grade: form.grade.clone(), price: form.price.clone(), reason: form.reason.clone() };
    let (id, n, g, reason, currency) =
        (clerk.user.id.clone(), number.clone(), grade.clone(), form.why.clone(), state.config.currency.clone());
    let done = state
        .db
        .write(move |c| {
            let center = bb::clerk_center(c, &id)?;
            let at = now();
            match action.as_str() {
                "receive" => bb::receive(c, &id, &center.id, &n, at).map(|_| "Item received.".to_owned()),
                "offer" => bb::grade_and_offer(c, &id, &center.id, &n, &g, &currency, at).map(|a| match a.state {
                    AppState::Offered => "Offer made: it waits for the applicant's answer.".to_owned(),
                    _ => "Price agreed: pay when ready.".to_owned(),
                }),
                "reject" => bb::reject(c, &id, &center.id, &n, &reason, at).map(|_| "Application rejected.".to_owned()),
                "pay" => bb::pay(c, &id, &center.id, &n, &currency, at).map(|a| format!("Paid ({}).", a.number)),
                _ => Err(BuybackError::NotFound),
            }
        })
        .await;
    let back = format!("/clerk/buyback/{number}");
    ending(
        done,
        async |message| {
            flash::ok(&session, &message);
            Ok(see_other(&back))
        },
        async |no| desk_view(&state, &clerk, page.l, number, grade, form.why.clone(), no).await,
    )
    .await
}

// ---- salespeople ----

async fn sell_view(
    state: &State,
    seller: &Seller,
    l: Layout,
    rule: RuleForm,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let id = seller.user.id.clone();
    let (offers, centers, rules, results) = state
        .db
        .read(move |c| {
            let offers = bb::seller_designations(c, &id)?;
            let centers = bb::centers(c)?;
            let rules = bb::rules_in_force(c, Some(&id))?;
            let results = bb::results(c, Some(&id))?;
            Ok::<_, BuybackError>((offers, centers, rules, results))
        })
        .await?;
    let currency = state.config.currency.clone();
    let page = SellPage {
        l,
        offers,
        centers,
        rules,
        rule,
        results,
        errors: no.errors.clone(),
        refusal: no.refusal.clone(),
        currency,
    };
    render_status(no.status(), &page)
}

async fn sell(state: State, seller: Seller, page: FormPage) -> Result<HttpResponse, AppError> {
    sell_view(&state, &seller, page.l, RuleForm::default(), Rejection::default()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DesignateForm {
    offer: String,
    center: String,
}

async fn designate(
    state: State,
    session: Session,
    seller: Seller,
    page: FormPage,
    form: web::Form<DesignateForm>,
) -> Result<HttpResponse, AppError> {
    let (id, form) = (seller.user.id.clone(), form.into_inner());
    let done = state.db.write(move |c| bb::designate(c, &id, &form.offer, &form.center, now())).await;
    ending(
        done,
        async |_| {
            flash::ok(&session, "Center saved.");
            Ok(see_other("/sell/buyback"))
        },
        async |no| sell_view(&state, &seller, page.l, RuleForm::default(), no).await,
    )
    .await
}

async fn sell_rule(
    state: State,
    session: Session,
    seller: Seller,
    page: FormPage,
    form: web::Form<RuleForm>,
) -> Result<HttpResponse, AppError> {
    let (id, rule, currency) = (seller.user.id.clone(), form.into_inner(), state.config.currency.clone());
    let r = rule.clone();
    let done = state.db.write(move |c| bb::add_rule(c, &r, Some(&id), &id, &currency, now())).await;
    ending(
        done,
        async |r| {
            flash::ok(&session, &format!("Rule {} saved.", r.number));
            Ok(see_other("/sell/buyback"))
        },
        async |no| sell_view(&state, &seller, page.l, rule, no).await,
    )
    .await
}

async fn sell_withdraw(
    state: State,
    session: Session,
    seller: Seller,
    id: web::Path<RuleId>,
) -> Result<HttpResponse, AppError> {
    let (user, rule) = (seller.user.id.clone(), id.into_inner());
    state.db.write(move |c| bb::withdraw_rule(c, &rule, Some(&user), now())).await?;
    flash::ok(&session, "Rule withdrawn.");
    Ok(see_other("/sell/buyback"))
}

// ---- admins ----

async fn admin_view(state: &State, l: Layout, rule: RuleForm, no: Rejection) -> Result<HttpResponse, AppError> {
    let (centers, rules, results) = state
        .db
        .read(move |c| Ok::<_, BuybackError>((bb::centers(c)?, bb::rules_in_force(c, None)?, bb::results(c, None)?)))
        .await?;
    let currency = state.config.currency.clone();
    let page = AdminPage {
        l,
        centers,
        rules,
        rule,
        results,
        errors: no.errors.clone(),
        refusal: no.refusal.clone(),
        currency,
    };
    render_status(no.status(), &page)
}

async fn admin(state: State, _admin: Admin, page: FormPage) -> Result<HttpResponse, AppError> {
    admin_view(&state, page.l, RuleForm::default(), Rejection::default()).await
}

async fn admin_rule(
    state: State,
    session: Session,
    admin: Admin,
    page: FormPage,
    form: web::Form<RuleForm>,
) -> Result<HttpResponse, AppError> {
    let (id, rule, currency) = (admin.user.id.clone(), form.into_inner(), state.config.currency.clone());
    let r = rule.clone();
    let done = state.db.write(move |c| bb::add_rule(c, &r, None, &id, &currency, now())).await;
    ending(
        done,
        async |r| {
            flash::ok(&session, &format!("Rule {} saved.", r.number));
            Ok(see_other("/admin/buyback"))
        },
        async |no| admin_view(&state, page.l, rule, no).await,
    )
    .await
}

async fn admin_withdraw(
    state: State,
    session: Session,
    _admin: Admin,
    id: web::Path<RuleId>,
) -> Result<HttpResponse, AppError> {
    let rule = id.into_inner();
    state.db.write(move |c| bb::withdraw_rule(c, &rule, None, now())).await?;
    flash::ok(&session, "Rule withdrawn.");
    Ok(see_other("/admin/buyback"))
}

async fn centers_view(
    state: &State,
    l: Layout,
    form: CenterForm,
    clerk_email: String,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let (centers, clerks) = state
        .db
        .read(move |c| {
            let mut centers = Vec::new();
            for center in bb::centers(c)? {
                let balance = bb::center_account(c, &center.id, now())?.balance;
                centers.push((center, balance));
            }
            Ok::<_, BuybackError>((centers, bb::clerks(c)?))
        })
        .await?;
    let currency = state.config.currency.clone();
    let page = CentersPage {
        l,
        centers,
        clerks,
        form,
        clerk_email,
        errors: no.errors.clone(),
        refusal: no.refusal.clone(),
        currency,
    };
    render_status(no.status(), &page)
}

async fn centers(state: State, _admin: Admin, page: FormPage) -> Result<HttpResponse, AppError> {
    let form = CenterForm { grades: bb::STARTING_GRADES.into(), active: "yes".into(), ..Default::default() };
    centers_view(&state, page.l, form, String::new(), Rejection::default()).await
}

async fn add_center(
    state: State,
    session: Session,
    _admin: Admin,
    page: FormPage,
    form: web::Form<CenterForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let f = form.clone();
    let done = state.db.write(move |c| bb::save_center(c, None, &f, now())).await;
    ending(
        done,
        async |center| {
            flash::ok(
                &session,
                &format!("Center {} registered: now give it a price table and money to pay with.", center.code),
            );
            Ok(see_other(&format!("/admin/buyback/centers/{}", center.code)))
        },
        async |no| centers_view(&state, page.l, form, String::new(), no).await,
    )
    .await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ClerkForm {
    email: String,
    /// A center's code; empty: off their center.
    center: String,
}

async fn assign_clerk(
    state: State,
    session: Session,
    _admin: Admin,
    page: FormPage,
    form: web::Form<ClerkForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let f = form.clone_parts();
    let done = state
        .db
        .write(move |c| {
            let center = if f.1.is_empty() { None } else { Some(center_by_code(c, &f.1)?.id) };
            bb::assign_clerk(c, &f.0, center.as_ref(), now())
        })
        .await;
    ending(
        done,
        async |_| {
            flash::ok(&session, "Clerk assigned.");
            Ok(see_other("/admin/buyback/centers"))
        },
        async |no| centers_view(&state, page.l, CenterForm::default(), form.email.clone(), no).await,
    )
    .await
}

impl ClerkForm {
    fn clone_parts(&self) -> (String, String) {
        (self.email.clone(), self.center.clone())
    }
}

fn center_by_code(c: &mut crate::db::DbConnection, code: &str) -> Result<Center, BuybackError> {
    bb::centers(c)?.into_iter().find(|x| x.code == code).ok_or(BuybackError::NotFound)
}

async fn center_view(
    state: &State,
    l: Layout,
    code: String,
    form: Option<CenterForm>,
    price: PriceForm,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let (center, prices, balance) = state
        .db
        .read(move |c| {
            let center = center_by_code(c, &code)?;
            let prices = bb::price_table(c, &center.id)?;
            let balance = bb::center_account(c, &center.id, now())?.balance;
            Ok::<_, BuybackError>((center, prices, balance))
        })
        .await?;
    let form = form.unwrap_or_else(|| CenterForm::of(&center));
    let page = CenterPage {
        l,
        center,
        balance,
        form,
        prices,
        price,
        errors: no.errors.clone(),
        refusal: no.refusal.clone(),
        currency: state.config.currency.clone(),
        key: IdempotencyKey::new().to_string(),
    };
    render_status(no.status(), &page)
}

async fn center(
    state: State,
    _admin: Admin,
    page: FormPage,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    center_view(&state, page.l, code.into_inner(), None, PriceForm::default(), Rejection::default()).await
}

async fn change_center(
    state: State,
    session: Session,
    _admin: Admin,
    page: FormPage,
    code: web::Path<String>,
    form: web::Form<CenterForm>,
) -> Result<HttpResponse, AppError> {
    let (code, form) = (code.into_inner(), form.into_inner());
    let (c2, f) = (code.clone(), form.clone());
    let done = state
        .db
        .write(move |c| {
            let center = center_by_code(c, &c2)?;
            bb::save_center(c, Some(&center.id), &f, now())
        })
        .await;
    ending(
        done,
        async |center| {
            flash::ok(&session, "Center saved.");
            Ok(see_other(&format!("/admin/buyback/centers/{}", center.code)))
        },
        async |no| center_view(&state, page.l, code, Some(form), PriceForm::default(), no).await,
    )
    .await
}

async fn set_price(
    state: State,
    session: Session,
    _admin: Admin,
    page: FormPage,
    code: web::Path<String>,
    form: web::Form<PriceForm>,
) -> Result<HttpResponse, AppError> {
    let (code, form, currency) = (code.into_inner(), form.into_inner(), state.config.currency.clone());
    let (c2, f) = (code.clone(), form.clone());
    let done = state
        .db
        .write(move |c| {
            let center = center_by_code(c, &c2)?;
            bb::set_price(c, &center.id, &f, &currency, now())
        })
        .await;
    let back = format!("/admin/buyback/centers/{code}");
    ending(
        done,
        async |_| {
            flash::ok(&session, "Price saved.");
            Ok(see_other(&back))
        },
        async |no| center_view(&state, page.l, code, None, form, no).await,
    )
    .await
}

async fn remove_price(
    state: State,
    session: Session,
    _admin: Admin,
    path: web::Path<(String, PriceId)>,
) -> Result<HttpResponse, AppError> {
    let (code, id) = path.into_inner();
    let c2 = code.clone();
    state
        .db
        .write(move |c| {
            let center = center_by_code(c, &c2)?;
            bb::remove_price(c, &center.id, &id)
        })
        .await?;
    flash::ok(&session, "Price removed.");
    Ok(see_other(&format!("/admin/buyback/centers/{code}")))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct FundForm {
    amount: String,
    key: String,
}

async fn fund(
    state: State,
    session: Session,
    admin: Admin,
    page: FormPage,
    code: web::Path<String>,
    form: web::Form<FundForm>,
) -> Result<HttpResponse, AppError> {
    let (code, form, id) = (code.into_inner(), form.into_inner(), admin.user.id.clone());
    let c2 = code.clone();
    let done = state
        .db
        .write(move |c| {
            let center = center_by_code(c, &c2)?;
            bb::fund_center(c, &center.id, &form.amount, &form.key, &id, now())
        })
        .await;
    let back = format!("/admin/buyback/centers/{code}");
    ending(
        done,
        async |_| {
            flash::ok(&session, "Deposit recorded.");
            Ok(see_other(&back))
        },
        async |no| center_view(&state, page.l, code, None, PriceForm::default(), no).await,
    )
    .await
}
