//! shop: a self-hostable web shop in one binary. `build` assembles the application exactly as
//! `shop serve` runs it, so the tests start the very same thing.

pub mod accounts;
pub mod analytics;
pub mod anonymity;
pub mod buyback;
pub mod catalog;
pub mod codes;
pub mod collection;
pub mod config;
pub mod days;
pub mod db;
pub mod demo;
pub mod echeck;
pub mod error;
pub mod history;
pub mod money;
pub mod notify;
pub mod orders;
pub mod web;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity, TtlExtensionPolicy};
use actix_web::cookie::{Key, SameSite};
use actix_web::middleware::{DefaultHeaders, ErrorHandlers, Logger, from_fn};
use actix_web::{App, HttpServer, web as aw};
use actix_web_prom::PrometheusMetricsBuilder;
use anyhow::Context;

use crate::accounts::{Accounts, DbSessionStore, Passwords};
use crate::config::Config;
use crate::db::Db;
use crate::db::jobs::Jobs;
use crate::error::AppError;
use crate::web::AppState;
use crate::web::attempts::AttemptLimiter;

pub use crate::demo::DemoLogin;

/// Sets up logging: one line per request and whatever the modules report, filtered by `filter`.
pub fn init_logging(filter: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Opens the database and applies pending migrations. True when this is the database's first
/// start (then demo data may be seeded).
pub fn open_database(config: &Config) -> anyhow::Result<(Db, bool)> {
    let db = Db::connect(&config.db_settings()).context("cannot open the database")?;
    let first = db.read_blocking(|c| {
        let applied = db::migrations::run_pending(c).map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, "applied migrations");
        }
        let now = chrono::Utc::now().to_rfc3339();
        let first = db::meta::insert_once(c, "installed_at", &now).context("cannot record the installation")?;
        Ok::<_, anyhow::Error>(first)
    })?;
    if db.writes_paused() {
        tracing::error!(
            "the data folder's disk is below its reserve (SHOP_MIN_FREE_MB): pages are served, changes refused"
        );
    }
    db.write_blocking_within_reserve(|c| echeck::open_books(c, &config.currency, echeck::now()))
        .map_err(|e| anyhow::anyhow!("cannot open the e-check books: {e}"))?;
    Ok((db, first))
}

/// Shoppers know a seller by their selling office's name.
fn office_names(
    conn: &mut db::DbConnection,
    sellers: &[accounts::UserId],
) -> Result<std::collections::HashMap<accounts::UserId, String>, db::DbError> {
    echeck::office_names(conn, sellers).map_err(|e| match e {
        echeck::EcheckError::Db(e) => e,
        other => db::DbError::Query(diesel::result::Error::QueryBuilderError(other.to_string().into())),
    })
}

/// Anonymous parcels on the carrier's shipments page: the pickup point's name, address and
/// hours, the goods; the form posts to the anonymity module's route.
fn anonymous_parcels(
    conn: &mut db::DbConnection,
    carrier: &echeck::Carrier,
) -> anyhow::Result<Vec<orders::OtherShipment>> {
    let parcels = anonymity::parcels_for_carrier(conn, &carrier.code)?;
    Ok(parcels
        .into_iter()
        .map(|(order, point)| orders::OtherShipment {
            anchor: format!("parcel-{}", order.code),
            title: format!("Parcel {} for a pickup point", order.code),
            deliver_to: vec![point.name, point.address, format!("Open: {}", point.opening_hours)],
            goods: order.goods(),
            action: format!("/carrier/parcels/{}/delivered", order.code),
            button: "Delivered to the pickup point".into(),
        })
        .collect())
}

/// The accounts module's e-mails go out through the outbox, in the caller's transaction.
fn account_letter(conn: &mut db::DbConnection, letter: &accounts::ResetLetter) -> Result<(), db::DbError> {
    let mail = notify::NewMail {
        to: letter.to.clone(),
        subject: letter.subject.clone(),
        body: letter.body.clone(),
        topic: "account".into(),
    };
    notify::enqueue(conn, &[mail], db::now())
}

/// The one attempt limiter, with each module's limits for the secrets people type there.
pub fn attempt_limiter(config: &Config) -> Arc<AttemptLimiter> {
    let login = accounts::login_policy(config.login_attempts_per_account, config.login_attempts_per_address);
    Arc::new(
        AttemptLimiter::new(&config.secret_key)
            .with(accounts::LOGIN, login)
            .with(accounts::PASSWORD_RESET, accounts::reset_policy())
            .with(accounts::REGISTRATION, accounts::registration_policy())
            .with(echeck::CHECK_ID, echeck::check_id_policy())
            .with(anonymity::PICKUP_PIN, anonymity::pickup_pin_policy())
            .with(anonymity::PREPAID_CARD, anonymity::prepaid_card_policy(config.card_attempts_per_address))
            .with(buyback::ORDER_NUMBER, buyback::order_number_policy(config.buyback_attempts_per_address))
            .with(catalog::CUSTOMER_LOOKUP, catalog::customer_lookup_policy()),
    )
}

/// The accounts service with the configured password hashing and a limiter of its own (the
/// command line and tests; `build` shares one limiter among all modules).
pub fn accounts(db: &Db, config: &Config) -> anyhow::Result<Accounts> {
    Ok(Accounts::new(db.clone(), Passwords::new()?, attempt_limiter(config)))
}

/// What anonymous purchase needs of the settings.
pub fn anon_terms(config: &Config) -> anonymity::Terms {
    anonymity::Terms::new(&config.secret_key, config.anon_pay_minutes, config.pickup_keep_days, &config.currency)
}

/// A built shop, listening but not yet serving.
pub struct Application {
    server: actix_web::dev::Server,
    addr: SocketAddr,
    db: Db,
    demo_logins: Vec<DemoLogin>,
    demo_cards: Vec<demo::DemoCard>,
    jobs: Jobs,
}

impl Application {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The demo logins created on this start (first start only).
    pub fn demo_logins(&self) -> &[DemoLogin] {
        &self.demo_logins
    }

    /// The demo prepaid cards issued on this start (first start only).
    pub fn demo_cards(&self) -> &[demo::DemoCard] {
        &self.demo_cards
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM or Ctrl-C (or the handle stops it); requests under way are finished
    /// first, then the periodic jobs stop.
    pub async fn run(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.jobs.stop().await;
        self.db.close();
        served
    }
}

/// Counts the outbox's unsent e-mails for `/metrics` (a scrape itself must not query).
fn outbox_backlog_job(backlog: Arc<std::sync::atomic::AtomicI64>) -> db::jobs::Job {
    db::jobs::Job::new("count the outbox backlog", std::time::Duration::from_secs(15), move |db| {
        let backlog = backlog.clone();
        Box::pin(async move {
            let unsent = db.read(notify::backlog).await?;
            backlog.store(unsent, std::sync::atomic::Ordering::Relaxed);
            Ok(0)
        })
    })
}

/// Security headers on every response. Pages are `no-store` (a logged-in user's data must not
/// stay in caches); the stylesheet sets its own long cache time.
fn security_headers(https: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        // The shop needs no camera, microphone, location or payment API: no page may ask for them.
        .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()"))
        .add(("Cache-Control", "no-store"));
    if https { headers.add(("Strict-Transport-Security", "max-age=31536000")) } else { headers }
}

fn session_middleware(store: DbSessionStore, config: &Config) -> SessionMiddleware<DbSessionStore> {
    let https = config.is_https();
    let idle = actix_web::cookie::time::Duration::seconds(config.session_idle.as_secs().try_into().unwrap_or(i64::MAX));
    SessionMiddleware::builder(store, Key::derive_from(&config.secret_key))
        .cookie_name(if https { "__Host-shop".into() } else { "shop_session".into() })
        .cookie_secure(https)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_path("/".into())
        .cookie_content_security(CookieContentSecurity::Private)
        .session_lifecycle(
            BrowserSession::default().state_ttl(idle).state_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
        )
        .build()
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// Opens the database, migrates, seeds demo data on a first start, and binds the listener.
pub async fn build(mut config: Config) -> anyhow::Result<Application> {
    let listener =
        TcpListener::bind(config.socket_addr()?).with_context(|| format!("cannot listen on {}", config.addr))?;
    let addr = listener.local_addr()?;
    // SHOP_ADDR may ask for any free port (port 0); the default public URL, made from it, then
    // names the port actually bound: forms are checked against its origin.
    if config.public_url.port() == Some(0) {
        let _ = config.public_url.set_port(Some(addr.port()));
    }
    let config = Arc::new(config);
    let (db, first_start) = open_database(&config)?;
    let limiter = attempt_limiter(&config);
    let accounts = Accounts::new(db.clone(), Passwords::new()?, limiter.clone());
    let (demo_logins, demo_cards) = if first_start && config.demo {
        let logins = demo::seed(&accounts).await?;
        demo::seed_catalog(&accounts, &config.currency, demo::DEMO_PRODUCTS).await?;
        demo::seed_echeck(&accounts).await?;
        demo::seed_orders(&accounts).await?;
        demo::seed_collection(&accounts, &config.currency).await?;
        demo::seed_buyback(&accounts, &config.currency, config.public_url.as_str()).await?;
        let cards = demo::seed_anonymity(&accounts, anon_terms(&config)).await?;
        demo::seed_history(&accounts, &config.currency, demo::DEMO_SALES, demo::DEMO_REQUESTS).await?;
        (logins, cards)
    } else {
        (Vec::new(), Vec::new())
    };

    let metrics = PrometheusMetricsBuilder::new("shop")
        .endpoint("/metrics")
        .mask_unmatched_patterns("UNMATCHED")
        .build()
        .map_err(|e| anyhow::anyhow!("metrics: {e}"))?;
    let outbox_backlog = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let collector = web::ops::OpsCollector::new(db.clone(), config.data_dir.clone(), outbox_backlog.clone())?;
    metrics.registry.register(Box::new(collector))?;

    let state = aw::Data::new(AppState { config: config.clone(), db: db.clone() });
    let accounts_data = aw::Data::new(accounts.clone());
    let facts = aw::Data::new(catalog::Facts::default());
    let limiter_data = aw::Data::from(limiter.clone());
    // The order of the sections on each role's start page.
    let navigation = aw::Data::new(
        web::nav::Navigation::new([
            accounts::SECTIONS,
            orders::SECTIONS,
            catalog::SECTIONS,
            echeck::SECTIONS,
            notify::SECTIONS,
            anonymity::SECTIONS,
            collection::SECTIONS,
            buyback::SECTIONS,
            analytics::SECTIONS,
        ])
        .with_panels([orders::PANELS, catalog::PANELS, accounts::PANELS, echeck::PANELS, notify::PANELS]),
    );
    let login_hooks = aw::Data::new(accounts::LoginHooks::default().with(orders::merge_cart_at_login(db.clone())));
    let seller_names = aw::Data::new(catalog::SellerNames(Arc::new(office_names)));
    let display_currency = config.currency.clone();
    let consumables_parts = aw::Data::new(catalog::ConsumablesParts(vec![Arc::new(move |c, user, csrf| {
        collection::consumables_display(c, user, csrf, &display_currency)
    })]));
    let shipment_sources = aw::Data::new(orders::ShipmentSources::default().with(Arc::new(anonymous_parcels)));
    let account_mail = aw::Data::new(accounts::AccountMail::new(config.public_url.as_str(), Arc::new(account_letter)));
    let terms = aw::Data::new(anon_terms(&config));
    let store = DbSessionStore::new(db.clone(), config.session_idle, config.session_absolute);
    let app_config = config.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(accounts_data.clone())
            .app_data(facts.clone())
            .app_data(limiter_data.clone())
            .app_data(login_hooks.clone())
            .app_data(account_mail.clone())
            .app_data(seller_names.clone())
            .app_data(shipment_sources.clone())
            .app_data(consumables_parts.clone())
            .app_data(navigation.clone())
            .app_data(terms.clone())
            .configure(web::configure_extractors)
            .wrap(from_fn(web::csrf::guard))
            .wrap(from_fn(accounts::identify))
            .wrap(session_middleware(store.clone(), &app_config))
            .wrap(ErrorHandlers::new().default_handler(web::errors::render))
            .wrap(from_fn(web::errors::catch))
            .wrap(security_headers(app_config.is_https()))
            .wrap(
                Logger::new("%{method}xi %{path}xi %s %Dms")
                    .custom_request_replace("method", |req| req.method().to_string())
                    .custom_request_replace("path", |req| {
                        buyback::redacted_path(req.path()).unwrap_or_else(|| anonymity::redacted_path(req.path()))
                    }),
            )
            .wrap(metrics.clone())
            .wrap(from_fn(web::ops::metrics_guard))
            .wrap(from_fn(web::ops::head_as_get))
            .configure(web::assets::configure)
            .configure(web::ops::configure)
            .configure(|cfg| web::ops::configure_fixed_page(cfg, app_config.bench_fixed_page.clone()))
            .configure(catalog::configure)
            // Before the start pages: the counter's desk is the pickup role's start page.
            .configure(anonymity::configure)
            .configure(web::pages::configure)
            .configure(accounts::configure)
            .configure(echeck::configure)
            .configure(notify::configure)
            .configure(orders::configure)
            .configure(collection::configure)
            .configure(buyback::configure)
            .configure(analytics::configure)
            .default_service(aw::to(not_found))
    })
    .workers(config.workers)
    .worker_max_blocking_threads(config.db_threads)
    .shutdown_timeout(10)
    .listen(listener)?
    .run();

    let jobs = [
        web::jobs(limiter),
        accounts::jobs(config.session_idle, config.session_absolute),
        accounts::reset_jobs(),
        accounts::signup_jobs(),
        echeck::jobs(),
        collection::jobs(),
        notify::jobs(config.clone())?,
        orders::jobs(config.order_confirm),
        anonymity::jobs(anon_terms(&config), config.anon_notice),
        buyback::jobs(buyback::KeepDays(i64::try_from(config.buyback_keep_days).unwrap_or(90))),
        vec![outbox_backlog_job(outbox_backlog)],
    ]
    .concat();
    let jobs = Jobs::start(db.clone(), jobs);
    Ok(Application { server, addr, db, demo_logins, demo_cards, jobs })
}
