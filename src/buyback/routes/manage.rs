//! The salespeople's `/sell/buyback` and the admins' `/admin/buyback`: designations, benefit
//! rules, results; centers, clerks, price tables and funds.

use actix_session::Session;
use actix_web::{HttpResponse, web};

use super::super::model::*;
use super::super::service::{self as bb, BuybackError, CenterForm, PriceForm, RuleForm};
use super::super::views::*;
use super::{Admin, Seller, now};
use crate::accounts::UserId;
use crate::error::AppError;
use crate::web::forms::{Rejection, ending};
use crate::web::idempotency::IdempotencyKey;
use crate::web::layout::{FormPage, Layout};
use crate::web::{State, flash, render_status, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sell/buyback", web::get().to(sell))
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

/// Whose rules a rules form changes: a salesperson's own, or (an admin's) every purchase's.
enum RulesOf<'a> {
    Seller(&'a Seller),
    Admin(&'a Admin),
}

impl RulesOf<'_> {
    fn seller(&self) -> Option<UserId> {
        match self {
            RulesOf::Seller(s) => Some(s.user.id.clone()),
            RulesOf::Admin(_) => None,
        }
    }

    fn author(&self) -> UserId {
        match self {
            RulesOf::Seller(s) => s.user.id.clone(),
            RulesOf::Admin(a) => a.user.id.clone(),
        }
    }

    fn page(&self) -> &'static str {
        match self {
            RulesOf::Seller(_) => "/sell/buyback",
            RulesOf::Admin(_) => "/admin/buyback",
        }
    }

    async fn view(&self, state: &State, l: Layout, rule: RuleForm, no: Rejection) -> Result<HttpResponse, AppError> {
        match self {
            RulesOf::Seller(seller) => sell_view(state, seller, l, rule, no).await,
            RulesOf::Admin(_) => admin_view(state, l, rule, no).await,
        }
    }
}

async fn add_rule(
    state: State,
    session: Session,
    who: RulesOf<'_>,
    page: FormPage,
    rule: RuleForm,
) -> Result<HttpResponse, AppError> {
    let (seller, author, currency) = (who.seller(), who.author(), state.config.currency.clone());
    let r = rule.clone();
    let done = state.db.write(move |c| bb::add_rule(c, &r, seller.as_ref(), &author, &currency, now())).await;
    ending(
        done,
        async |r| {
            flash::ok(&session, &format!("Rule {} saved.", r.number));
            Ok(see_other(who.page()))
        },
        async |no| who.view(&state, page.l, rule, no).await,
    )
    .await
}

async fn withdraw_rule(
    state: State,
    session: Session,
    who: RulesOf<'_>,
    rule: RuleId,
) -> Result<HttpResponse, AppError> {
    let seller = who.seller();
    state.db.write(move |c| bb::withdraw_rule(c, &rule, seller.as_ref(), now())).await?;
    flash::ok(&session, "Rule withdrawn.");
    Ok(see_other(who.page()))
}

async fn sell_rule(
    state: State,
    session: Session,
    seller: Seller,
    page: FormPage,
    form: web::Form<RuleForm>,
) -> Result<HttpResponse, AppError> {
    add_rule(state, session, RulesOf::Seller(&seller), page, form.into_inner()).await
}

async fn sell_withdraw(
    state: State,
    session: Session,
    seller: Seller,
    id: web::Path<RuleId>,
) -> Result<HttpResponse, AppError> {
    withdraw_rule(state, session, RulesOf::Seller(&seller), id.into_inner()).await
}

async fn admin_rule(
    state: State,
    session: Session,
    admin: Admin,
    page: FormPage,
    form: web::Form<RuleForm>,
) -> Result<HttpResponse, AppError> {
    add_rule(state, session, RulesOf::Admin(&admin), page, form.into_inner()).await
}

async fn admin_withdraw(
    state: State,
    session: Session,
    admin: Admin,
    id: web::Path<RuleId>,
) -> Result<HttpResponse, AppError> {
    withdraw_rule(state, session, RulesOf::Admin(&admin), id.into_inner()).await
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
    let f = (form.email.clone(), form.center.clone());
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
