//! Handlers of analytics: the salespeople's `/sell/analytics` (design, price, buy, the reports
//! kept, each as a page with charts and as CSV) and the admins' `/admin/analytics`.

use actix_session::Session;
use actix_web::{HttpResponse, web};

use super::analyses::Analysis;
use super::model::*;
use super::service::{self as an, AnalyticsError, SettingsForm};
use super::views::*;
use crate::error::AppError;
use crate::web::auth::{Authorized, roles};
use crate::web::forms::{FormError, Rejection, ending};
use crate::web::idempotency::IdempotencyKey;
use crate::web::layout::{FormPage, Layout};
use crate::web::{State, flash, render, render_status, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sell/analytics", web::get().to(sell))
        .route("/sell/analytics", web::post().to(buy))
        .route("/sell/analytics/{id}", web::get().to(report))
        .route("/sell/analytics/{id}/csv", web::get().to(report_csv))
        .route("/admin/analytics", web::get().to(admin))
        .route("/admin/analytics/settings", web::post().to(save_settings))
        .route("/admin/analytics/prices", web::post().to(set_price));
}

type Seller = Authorized<roles::Salesperson>;
type Admin = Authorized<roles::Admin>;

fn now() -> chrono::NaiveDateTime {
    crate::db::now()
}

impl From<AnalyticsError> for AppError {
    fn from(e: AnalyticsError) -> Self {
        match e {
            AnalyticsError::NotFound => AppError::NotFound,
            AnalyticsError::Db(e) => e.into(),
            AnalyticsError::Below(e) => AppError::Internal(anyhow::anyhow!(e)),
            other => AppError::BadRequest(other.to_string()),
        }
    }
}

impl FormError for AnalyticsError {
    fn rejection(self) -> Result<Rejection, AppError> {
        match self {
            AnalyticsError::Invalid(errors) => Ok(Rejection::fields(errors)),
            AnalyticsError::Refused(message) => Ok(Rejection::refused(message)),
            other => Err(other.into()),
        }
    }
}

fn prices_text(conn: &mut crate::db::DbConnection, currency: &str) -> Result<Vec<(Analysis, String)>, AnalyticsError> {
    Ok(an::prices(conn)?.into_iter().map(|(a, p)| (a, crate::money::format(p, currency))).collect())
}

async fn sell_view(
    state: &State,
    seller: &Seller,
    l: Layout,
    form: DesignForm,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let (id, currency) = (seller.user.id.clone(), state.config.currency.clone());
    let (kinds, prices, reports, settings, spent) = state
        .db
        .read(move |c| {
            let kinds = crate::catalog::kinds(c)?.into_iter().map(|k| (k.id.to_string(), k.name)).collect::<Vec<_>>();
            let prices = prices_text(c, &currency)?;
            Ok::<_, AnalyticsError>((
                kinds,
                prices,
                an::reports_of(c, &id)?,
                an::settings(c)?,
                an::spent_this_month(c, &id, now())?,
            ))
        })
        .await?;
    let page = SellPage {
        l,
        form,
        errors: no.errors.clone(),
        refusal: no.refusal.clone(),
        kinds,
        prices,
        reports,
        settings,
        spent,
    };
    render_status(no.status(), &page)
}

async fn sell(state: State, seller: Seller, page: FormPage) -> Result<HttpResponse, AppError> {
    let today = now().date();
    let month_ago = today - chrono::Duration::days(30);
    let form = DesignForm {
        analysis: Analysis::Volume.as_str().to_owned(),
        from: month_ago.format("%Y-%m-%d").to_string(),
        last: today.format("%Y-%m-%d").to_string(),
        granularity: "week".into(),
        key: IdempotencyKey::new().to_string(),
        ..Default::default()
    };
    sell_view(&state, &seller, page.l, form, Rejection::default()).await
}

async fn buy(
    state: State,
    seller: Seller,
    page: FormPage,
    form: web::Form<DesignForm>,
) -> Result<HttpResponse, AppError> {
    let (id, form) = (seller.user.id.clone(), form.into_inner());
    let (user, f) = (id.clone(), form.clone());
    // Computed on a reading connection first (a twin submit finds the report instead), then paid
    // and kept in a short write.
    let ready = state
        .db
        .read(move |c| match an::report_bought_with(c, &user, &f.key)? {
            Some(report) => Ok(Err(report)),
            None => {
                let design = an::read_design(c, &user, &f)?;
                an::prepare(c, &design).map(Ok)
            }
        })
        .await;
    let key = form.key.clone();
    let done = match ready {
        Ok(Ok(prepared)) => state.db.write(move |c| an::buy(c, &id, prepared, &key, now())).await,
        Ok(Err(report)) => Ok(report),
        Err(e) => Err(e),
    };
    ending(
        done,
        async |r| Ok(see_other(&format!("/sell/analytics/{}", r.id))),
        async |no| sell_view(&state, &seller, page.l, form, no).await,
    )
    .await
}

async fn report(
    state: State,
    seller: Seller,
    page: FormPage,
    id: web::Path<ReportId>,
) -> Result<HttpResponse, AppError> {
    let (user, id) = (seller.user.id.clone(), id.into_inner());
    let (report, tables) = state.db.read(move |c| an::report_of(c, &user, &id)).await?;
    let analysis = Analysis::parse(&report.analysis).unwrap_or(Analysis::Sales);
    let page = ReportPage {
        l: page.l,
        title: analysis.title().to_owned(),
        about: analysis.about().to_owned(),
        report,
        tables,
        currency: state.config.currency.clone(),
    };
    render(&page)
}

async fn report_csv(state: State, seller: Seller, id: web::Path<ReportId>) -> Result<HttpResponse, AppError> {
    let (user, id) = (seller.user.id.clone(), id.into_inner());
    let (report, body) = state.db.read(move |c| an::report_csv(c, &user, &id)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{}-{}.csv\"", report.analysis, report.created_at.format("%Y%m%d")),
        ))
        .body(body))
}

async fn admin_view(
    state: &State,
    l: Layout,
    form: Option<SettingsForm>,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let currency = state.config.currency.clone();
    let (settings, prices) =
        state.db.read(move |c| Ok::<_, AnalyticsError>((an::settings(c)?, prices_text(c, &currency)?))).await?;
    let form = form.unwrap_or_else(|| SettingsForm {
        k: settings.k.to_string(),
        noise: if settings.noise { "yes".into() } else { String::new() },
        epsilon: super::rules::epsilon_text(settings.epsilon_milli),
        budget: super::rules::epsilon_text(settings.budget_milli),
    });
    let prices = prices.into_iter().map(|(a, p)| (a, p.split(' ').next().unwrap_or_default().to_owned())).collect();
    let page = AdminPage { l, settings, form, prices, errors: no.errors.clone(), refusal: no.refusal.clone() };
    render_status(no.status(), &page)
}

async fn admin(state: State, _admin: Admin, page: FormPage) -> Result<HttpResponse, AppError> {
    admin_view(&state, page.l, None, Rejection::default()).await
}

async fn save_settings(
    state: State,
    session: Session,
    _admin: Admin,
    page: FormPage,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let f = form.clone();
    let done = state.db.write(move |c| an::save_settings(c, &f, now())).await;
    ending(
        done,
        async |_| {
            flash::ok(&session, "Settings saved.");
            Ok(see_other("/admin/analytics"))
        },
        async |no| admin_view(&state, page.l, Some(form), no).await,
    )
    .await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PriceForm {
    analysis: String,
    price: String,
}

async fn set_price(
    state: State,
    session: Session,
    _admin: Admin,
    page: FormPage,
    form: web::Form<PriceForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let currency = state.config.currency.clone();
    let done = state
        .db
        .write(move |c| {
            let analysis = Analysis::parse(&form.analysis).ok_or(AnalyticsError::NotFound)?;
            an::set_price(c, analysis, &form.price, &currency, now())
        })
        .await;
    ending(
        done,
        async |_| {
            flash::ok(&session, "Price saved.");
            Ok(see_other("/admin/analytics"))
        },
        async |no| admin_view(&state, page.l, None, no).await,
    )
    .await
}
