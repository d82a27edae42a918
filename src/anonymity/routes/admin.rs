//! The admins' pages: pickup points with their counter staff, prepaid card batches.

use actix_session::Session;
use actix_web::{HttpResponse, web};

use super::super::service::{self as anon, PointForm};
use super::super::views::*;
use super::{TermsData, now};
use crate::accounts::UserId;
use crate::error::AppError;
use crate::web::auth::{Authorized, roles};
use crate::web::forms::{Rejection, ending};
use crate::web::idempotency::IdempotencyKey;
use crate::web::layout::{FormPage, Layout};
use crate::web::{State, flash, render, render_status, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/pickup-points", web::get().to(points))
        .route("/admin/pickup-points", web::post().to(register_point))
        .route("/admin/pickup-points/{code}", web::get().to(point))
        .route("/admin/pickup-points/{code}", web::post().to(update_point))
        .route("/admin/pickup-points/{code}/staff", web::post().to(add_staff))
        .route("/admin/pickup-points/{code}/staff/{user}/remove", web::post().to(remove_staff))
        .route("/admin/pickup-points/{code}/{action}", web::post().to(suspend_point))
        .route("/admin/prepaid", web::get().to(prepaid))
        .route("/admin/prepaid", web::post().to(issue))
        .route("/admin/prepaid/csv", web::post().to(csv))
        .route("/admin/prepaid/cards/{id}/{action}", web::post().to(block_card))
        .route("/admin/prepaid/{number}", web::get().to(batch));
}

type Admin = Authorized<roles::Admin>;

// ---- pickup points ----

async fn points_page(state: &State, l: Layout, no: Rejection, form: PointForm) -> Result<HttpResponse, AppError> {
    let points = state.db.read(anon::points).await?;
    render_status(no.status(), &PointsPage { l, points, form, errors: no.errors })
}

async fn points(state: State, _admin: Admin, page: FormPage) -> Result<HttpResponse, AppError> {
    points_page(&state, page.l, Rejection::default(), PointForm::default()).await
}

async fn register_point(
    state: State,
    session: Session,
    _admin: Admin,
    page: FormPage,
    form: web::Form<PointForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let f = form.clone();
    ending(
        state.db.write(move |c| anon::register_point(c, &f, now())).await,
        async |p| {
            flash::ok(&session, &format!("Pickup point {} registered. Add its counter staff.", p.name));
            Ok(see_other(&format!("/admin/pickup-points/{}", p.code)))
        },
        async |no| points_page(&state, page.l, no, form).await,
    )
    .await
}

async fn point_page(
    state: &State,
    l: Layout,
    code: String,
    no: Rejection,
    form: Option<PointForm>,
    email: String,
) -> Result<HttpResponse, AppError> {
    let page = state.db.read(move |c| anon::point_page(c, &code)).await?;
    let form = form.unwrap_or_else(|| PointForm::of(&page.point));
    render_status(no.status(), &PointAdminPage { l, page, form, errors: no.errors, email })
}

async fn point(state: State, _admin: Admin, page: FormPage, code: web::Path<String>) -> Result<HttpResponse, AppError> {
    point_page(&state, page.l, code.into_inner(), Rejection::default(), None, String::new()).await
}

async fn update_point(
    state: State,
    session: Session,
    _admin: Admin,
    page: FormPage,
    code: web::Path<String>,
    form: web::Form<PointForm>,
) -> Result<HttpResponse, AppError> {
    let (code, form) = (code.into_inner(), form.into_inner());
    let (c2, f) = (code.clone(), form.clone());
    ending(
        state.db.write(move |c| anon::update_point(c, &c2, &f, now())).await,
        async |()| {
            flash::ok(&session, "Saved.");
            Ok(see_other(&format!("/admin/pickup-points/{code}")))
        },
        async |no| point_page(&state, page.l, code.clone(), no, Some(form), String::new()).await,
    )
    .await
}

async fn suspend_point(
    state: State,
    session: Session,
    _admin: Admin,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (code, action) = path.into_inner();
    let suspend = match action.as_str() {
        "suspend" => true,
        "reinstate" => false,
        _ => return Err(AppError::NotFound),
    };
    let c2 = code.clone();
    state.db.write(move |c| anon::set_point_suspended(c, &c2, suspend, now())).await?;
    flash::ok(&session, if suspend { "Suspended: buyers cannot choose it now." } else { "Reinstated." });
    Ok(see_other(&format!("/admin/pickup-points/{code}")))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct StaffForm {
    email: String,
}

async fn add_staff(
    state: State,
    session: Session,
    _admin: Admin,
    page: FormPage,
    code: web::Path<String>,
    form: web::Form<StaffForm>,
) -> Result<HttpResponse, AppError> {
    let (code, email) = (code.into_inner(), form.into_inner().email);
    let (c2, e2) = (code.clone(), email.clone());
    ending(
        state.db.write(move |c| anon::add_point_staff(c, &c2, &e2, now())).await,
        async |()| {
            flash::ok(&session, &format!("{} now works at this counter.", email.trim()));
            Ok(see_other(&format!("/admin/pickup-points/{code}")))
        },
        async |no| point_page(&state, page.l, code.clone(), no, None, email.clone()).await,
    )
    .await
}

async fn remove_staff(
    state: State,
    session: Session,
    _admin: Admin,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (code, user) = path.into_inner();
    let user: UserId = user.parse().map_err(|_| AppError::NotFound)?;
    let c2 = code.clone();
    state.db.write(move |c| anon::remove_point_staff(c, &c2, &user)).await?;
    flash::ok(&session, "Removed from the counter staff.");
    Ok(see_other(&format!("/admin/pickup-points/{code}")))
}

// ---- prepaid cards ----

async fn prepaid_page(
    state: &State,
    l: Layout,
    no: Rejection,
    typed: (String, String),
) -> Result<HttpResponse, AppError> {
    let batches = state.db.read(anon::batches).await?;
    let key = IdempotencyKey::new().to_string();
    let status = no.status();
    let page = PrepaidPage { l, batches, errors: no.errors, count: typed.0, face_value: typed.1, key };
    render_status(status, &page)
}

async fn prepaid(state: State, _admin: Admin, page: FormPage) -> Result<HttpResponse, AppError> {
    prepaid_page(&state, page.l, Rejection::default(), ("10".into(), String::new())).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct IssueForm {
    count: String,
    face_value: String,
    key: String,
}

async fn issue(
    state: State,
    terms: TermsData,
    admin: Admin,
    page: FormPage,
    form: web::Form<IssueForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (t, f, actor) =
        (terms.clone(), (form.count.clone(), form.face_value.clone(), form.key.clone()), admin.user.id.clone());
    let l = page.l.clone();
    ending(
        state.db.write(move |c| anon::issue_batch(c, &t, &f.0, &f.1, &f.2, &actor, now())).await,
        async |issued| render(&IssuedPage { l, issued }),
        async |no| prepaid_page(&state, page.l, no, (form.count, form.face_value)).await,
    )
    .await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CsvForm {
    batch: String,
    code: Vec<String>,
}

/// The issued codes as CSV: the page sends them back (the shop keeps none), and each must be a
/// card of the batch.
async fn csv(
    state: State,
    terms: TermsData,
    _admin: Admin,
    form: actix_web::web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let mut f = CsvForm::default();
    for (k, v) in form.into_inner() {
        match k.as_str() {
            "batch" => f.batch = v,
            "code" => f.code.push(v),
            _ => {}
        }
    }
    let t = terms.clone();
    let (batch, codes) = state.db.read(move |c| anon::codes_of_batch(c, &t, &f.batch, &f.code)).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let face = crate::money::format(batch.face_value, &batch.currency);
    let write = |out: &mut csv::Writer<Vec<u8>>, row: [&str; 3]| out.write_record(row);
    write(&mut out, ["code", "face value", "batch"]).map_err(|e| AppError::Internal(e.into()))?;
    for code in &codes {
        write(&mut out, [code, &face, &batch.number]).map_err(|e| AppError::Internal(e.into()))?;
    }
    let body = out.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"prepaid-{}.csv\"", batch.number)))
        .body(body))
}

async fn batch(
    state: State,
    _admin: Admin,
    page: FormPage,
    number: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = number.into_inner();
    let (batch, cards) = state.db.read(move |c| anon::batch_cards(c, &number)).await?;
    render(&BatchPage { l: page.l, batch, cards })
}

async fn block_card(
    state: State,
    session: Session,
    _admin: Admin,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, action) = path.into_inner();
    let block = match action.as_str() {
        "block" => true,
        "unblock" => false,
        _ => return Err(AppError::NotFound),
    };
    let batch = state.db.write(move |c| anon::set_card_blocked(c, &id, block, now())).await?;
    flash::ok(&session, if block { "Blocked: the card cannot pay now." } else { "Unblocked." });
    Ok(see_other(&format!("/admin/prepaid/{}", batch.number)))
}
