//! The test harness: `spawn_app()` starts the shop on 127.0.0.1:0 against a fresh database and
//! `Browser` is a cookie-keeping client that fetches forms, picks up their CSRF token and sends them.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use diesel::prelude::*;
use reqwest::StatusCode;
use reqwest::cookie::CookieStore;
use shop::accounts::{Accounts, PersonalData, Registration, Role, UserId};
use shop::config::{Config, Settings};
use shop::db::Db;

pub const PASSWORD: &str = "correct horse battery";

/// A fresh PostgreSQL database for one test, dropped at the end.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl PgDatabase {
    fn create(admin_url: &str) -> (PgDatabase, String) {
        let name = format!("shop_test_{}", hex::encode(rand::random::<[u8; 8]>()));
        let mut conn = shop::db::establish_postgres(admin_url).expect("SHOP_TEST_POSTGRES_URL must be reachable");
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).expect("create test database");
        let mut url = url::Url::parse(admin_url).expect("SHOP_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        (PgDatabase { admin_url: admin_url.to_owned(), name }, url.to_string())
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = shop::db::establish_postgres(&self.admin_url) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).execute(&mut conn);
        }
    }
}

pub fn postgres_url() -> Option<String> {
    std::env::var("SHOP_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())
}

/// A database URL for a new, empty database of the backend under test, kept alive by the guard.
pub fn fresh_database(dir: &std::path::Path) -> (String, Box<dyn std::any::Any + Send>) {
    match postgres_url() {
        Some(admin) => {
            let (guard, url) = PgDatabase::create(&admin);
            (url, Box::new(guard))
        }
        None => (dir.join("shop.sqlite3").to_string_lossy().into_owned(), Box::new(())),
    }
}

pub fn test_settings(dir: &std::path::Path, database_url: String) -> Settings {
    Settings { public_url: Some("http://shop.test".into()), ..Settings::for_tests(dir, Some(database_url)) }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub db: Db,
    pub accounts: Accounts,
    pub config: Config,
    handle: actix_web::dev::ServerHandle,
    _db_guard: Box<dyn std::any::Any + Send>,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app with settings changed by `change`.
pub async fn spawn_app_with(change: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, guard) = fresh_database(dir.path());
    start(dir, url, guard, change).await
}

impl TestApp {
    /// The path of the newest link to `path_start` mailed to `to`.
    pub fn mailed_link(&self, to: &str, path_start: &str) -> Option<String> {
        self.outbox().iter().rev().filter(|m| m.recipient.eq_ignore_ascii_case(to)).find_map(|m| {
            let at = m.body.find(path_start)?;
            let link: String = m.body[at..].chars().take_while(|c| !c.is_whitespace()).collect();
            Some(link)
        })
    }

    /// Registers through the form, opens the link the e-mail brought and makes the account: the
    /// page after it (the account page, or where the registration was to lead).
    pub async fn register(&self, b: &Browser, email: &str, password: &str, name: &str) -> Page {
        let sent = b.register(email, password, name).await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
        assert!(sent.contains("Check your e-mail"), "{}", sent.body);
        let link = self.mailed_link(email, "/register/confirm/").expect("a confirmation link by e-mail");
        b.submit(&link, &link, &[]).await
    }

    /// Stops this shop but keeps its database (a PostgreSQL one is dropped with the guard).
    pub fn keep_database(mut self) -> Box<dyn std::any::Any + Send> {
        std::mem::replace(&mut self._db_guard, Box::new(()))
    }

    /// A second instance of the shop on the same database (as behind a load balancer), with its
    /// own data folder and workers.
    pub async fn another_instance(&self, change: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        start(dir, self.config.database_url.clone(), Box::new(()), change).await
    }
}

async fn start(
    dir: tempfile::TempDir,
    url: String,
    guard: Box<dyn std::any::Any + Send>,
    change: impl FnOnce(&mut Settings),
) -> TestApp {
    shop::init_logging("warn");
    let mut settings = test_settings(dir.path(), url);
    change(&mut settings);
    let config = Config::from_settings(settings).expect("test settings are valid");
    let app = shop::build(config.clone()).await.expect("app builds");
    let addr = app.addr();
    let db = app.db().clone();
    let handle = app.handle();
    tokio::spawn(app.run());
    let accounts = shop::accounts(&db, &config).expect("accounts");
    TestApp { addr, base: format!("http://{addr}"), db, accounts, config, handle, _db_guard: guard, _dir: dir }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop the workers so the database can be dropped.
        let handle = self.handle.clone();
        drop(handle.stop(false));
    }
}

/// A person with an account: e-mail and password to log in with.
#[derive(Clone, Debug)]
pub struct Person {
    pub id: UserId,
    pub email: String,
    pub password: String,
    pub name: String,
}

impl TestApp {
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    /// Creates a user with these roles directly through the service (a fixture, not the story).
    pub async fn create_user(&self, name: &str, roles: &[Role]) -> Person {
        let email =
            format!("{}-{}@example.com", name.to_lowercase().replace(' ', "."), hex::encode(rand::random::<[u8; 4]>()));
        let form = Registration {
            email: email.clone(),
            password: PASSWORD.into(),
            password_again: PASSWORD.into(),
            personal: PersonalData {
                full_name: name.into(),
                postal_address: "1 Test Street\nTestville".into(),
                phone: "+1 555 0100".into(),
            },
        };
        let id = self.accounts.create(form, roles.to_vec()).await.expect("fixture user");
        Person { id, email, password: PASSWORD.into(), name: name.into() }
    }

    pub async fn shopper(&self) -> Person {
        self.create_user("Sam Shopper", &[Role::Shopper]).await
    }

    pub async fn admin(&self) -> Person {
        self.create_user("Ada Admin", &[Role::Admin]).await
    }

    /// A browser logged in as `person`.
    pub async fn logged_in(&self, person: &Person) -> Browser {
        let b = self.browser();
        let page = b.log_in(&person.email, &person.password).await;
        assert_eq!(page.status, StatusCode::OK, "login of {} failed: {}", person.email, page.body);
        b
    }

    /// Runs a query against the database under test (for checks a browser cannot make).
    pub fn query<T>(&self, f: impl FnOnce(&mut shop::db::DbConnection) -> QueryResult<T>) -> T {
        self.db.read_blocking(|c| f(c).map_err(shop::db::DbError::from)).expect("query")
    }
}

/// What came back for a request, after redirects.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub url: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn path(&self) -> String {
        let url = url::Url::parse(&self.url).expect("url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub fn contains(&self, text: &str) -> bool {
        self.body.contains(text)
    }

    /// The value of the first `<input name=...>` in the page.
    pub fn input_value(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\"");
        let start = self.body.find(&marker)?;
        let tag_end = start + self.body[start..].find('>')?;
        let tag = &self.body[start..tag_end];
        let value = tag.find("value=\"")? + "value=\"".len();
        Some(tag[value..].split('"').next()?.to_owned())
    }

    /// The error shown next to a field, if any.
    pub fn field_error(&self, name: &str) -> Option<String> {
        let marker = format!("id=\"{name}-error\">");
        let start = self.body.find(&marker)? + marker.len();
        Some(self.body[start..].split("</p>").next()?.to_owned())
    }
}

/// A cookie-keeping client that follows redirects, as a browser does.
pub struct Browser {
    pub client: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
    pub base: String,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Self::with_jar(base, Arc::new(reqwest::cookie::Jar::default()))
    }

    fn with_jar(base: &str, jar: Arc<reqwest::cookie::Jar>) -> Browser {
        let client = reqwest::Client::builder().cookie_provider(jar.clone()).build().expect("client");
        Browser { client, jar, base: base.to_owned() }
    }

    /// A browser holding only the given cookie header (e.g. a session cookie copied earlier).
    pub fn with_cookie(base: &str, cookie: &str) -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let url = reqwest::Url::parse(base).expect("base");
        for part in cookie.split("; ") {
            jar.add_cookie_str(&format!("{part}; Path=/"), &url);
        }
        Self::with_jar(base, jar)
    }

    /// The cookies this browser would send, as a `Cookie` header value.
    pub fn cookies(&self) -> String {
        let url = reqwest::Url::parse(&self.base).expect("base");
        self.jar.cookies(&url).map(|v| v.to_str().unwrap_or_default().to_owned()).unwrap_or_default()
    }

    pub async fn page(response: reqwest::Response) -> Page {
        let status = response.status();
        let url = response.url().to_string();
        let headers = response.headers().clone();
        let body = response.text().await.expect("body");
        Page { status, url, headers, body }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::page(self.client.get(format!("{}{path}", self.base)).send().await.expect("GET")).await
    }

    /// POSTs fields as a form exactly as given (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        Self::page(self.client.post(format!("{}{path}", self.base)).form(fields).send().await.expect("POST")).await
    }

    /// Opens the page holding a form, takes its CSRF token and posts `fields` with it to `action`.
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(form_page).await;
        let token =
            page.input_value("csrf_token").unwrap_or_else(|| panic!("no CSRF token on {form_page}: {}", page.body));
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        all.extend_from_slice(fields);
        self.post_raw(action, &all).await
    }

    pub async fn log_in(&self, email: &str, password: &str) -> Page {
        self.submit("/login", "/login", &[("email", email), ("password", password)]).await
    }

    pub async fn log_out(&self) -> Page {
        self.submit("/account", "/logout", &[]).await
    }

    pub async fn register(&self, email: &str, password: &str, name: &str) -> Page {
        self.submit(
            "/register",
            "/register",
            &[
                ("email", email),
                ("password", password),
                ("password_again", password),
                ("full_name", name),
                ("postal_address", "12 Market Street\nSampletown"),
                ("phone", "+1 555 0100 200"),
            ],
        )
        .await
    }
}

/// The session cookie's `name=value` among a `Cookie` header value.
pub fn session_cookie(cookies: &str) -> Option<String> {
    cookies.split("; ").find(|c| c.starts_with("shop_session=")).map(str::to_owned)
}

/// The offer codes of the cards on a catalog page, in order.
pub fn card_codes(page: &Page) -> Vec<String> {
    page.body
        .split("<li class=\"offer-card\">")
        .skip(1)
        .filter_map(|card| {
            let start = card.find("href=\"/catalog/")? + "href=\"/catalog/".len();
            Some(card[start..].split('"').next()?.to_owned())
        })
        .collect()
}

impl TestApp {
    /// A kind with characteristics (name, is_number, allowed words), created through the service.
    pub async fn kind(&self, code: &str, chars: &[(&str, bool, &str)]) {
        let (code, chars): (String, Vec<(String, bool, String)>) =
            (code.into(), chars.iter().map(|(n, b, w)| (n.to_string(), *b, w.to_string())).collect());
        self.db
            .write(move |c| {
                shop::catalog::create_kind(c, &code, &format!("Kind {code}"))?;
                for (name, is_number, words) in chars {
                    let form = shop::catalog::CharacteristicForm {
                        name: name.clone(),
                        label: name.replace('_', " "),
                        unit: String::new(),
                        value_type: if is_number { "number".into() } else { "word".into() },
                        words,
                    };
                    shop::catalog::add_characteristic(c, &code, &form)?;
                }
                Ok::<_, shop::catalog::CatalogError>(())
            })
            .await
            .expect("kind fixture");
    }

    /// A product with one offer by `seller`, created through the service; returns the offer code.
    pub async fn offer(
        &self,
        seller: &Person,
        kind: &str,
        maker: &str,
        model: &str,
        values: &[(&str, &str)],
        price: &str,
    ) -> String {
        let product = shop::catalog::ProductForm {
            maker: maker.into(),
            model: model.into(),
            name: format!("{maker} {model}"),
            values: values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..Default::default()
        };
        let offer = shop::catalog::OfferForm {
            price: price.into(),
            stock: "10".into(),
            guarantee_months: "12".into(),
            cooling_off_days: "14".into(),
            ..Default::default()
        };
        let (seller, kind) = (seller.id.clone(), kind.to_owned());
        self.db
            .write(move |c| shop::catalog::create_product_and_offer(c, &seller, &kind, &product, &offer, "EUR"))
            .await
            .expect("offer fixture")
    }
}

// ---- e-check fixtures ----

impl TestApp {
    /// Runs an e-check operation in one write transaction, as a service caller would.
    pub fn echeck<T>(
        &self,
        f: impl FnOnce(&mut shop::db::DbConnection) -> Result<T, shop::echeck::EcheckError>,
    ) -> Result<T, shop::echeck::EcheckError> {
        self.db.write_blocking(f)
    }

    /// A registered, active selling office.
    pub fn office(&self, code: &str) -> shop::echeck::Office {
        let form = shop::echeck::RegistryForm {
            code: code.into(),
            name: format!("Office {code}"),
            address: "2 Trade Street\nSampletown".into(),
            phone: "+1 555 0200".into(),
            fax: "+1 555 0201".into(),
            bank: "Sample Bank".into(),
            bank_account: "DE00 1234".into(),
        };
        self.echeck(|c| shop::echeck::register::<shop::echeck::Office>(c, None, &form, shop::echeck::now()))
            .expect("office")
    }

    /// A registered, active carrier.
    pub fn carrier(&self, code: &str) -> shop::echeck::Carrier {
        let form = shop::echeck::RegistryForm {
            code: code.into(),
            name: format!("Carrier {code}"),
            address: "9 Freight Road".into(),
            phone: "+1 555 0300".into(),
            ..Default::default()
        };
        self.echeck(|c| shop::echeck::register::<shop::echeck::Carrier>(c, None, &form, shop::echeck::now()))
            .expect("carrier")
    }

    /// The shopper's e-check account as it is now (opened with the default credit line if the
    /// shopper has not used it yet, as their first check would).
    pub fn credit_account(&self, user: &UserId) -> shop::echeck::LedgerAccount {
        self.echeck(|c| shop::echeck::open_shopper_account(c, user, shop::echeck::now())).expect("account")
    }

    /// Pays money into the shopper's account from the bank.
    pub fn deposit(&self, user: &UserId, amount: i64) {
        let account = self.credit_account(user).id;
        let m = shop::echeck::Movement {
            account,
            amount,
            reason: "test deposit".into(),
            key: shop::web::idempotency::IdempotencyKey::new(),
        };
        self.echeck(|c| shop::echeck::deposit(c, &m, None, shop::echeck::now())).expect("deposit");
    }

    /// The books must balance; panics with what is wrong otherwise.
    pub fn assert_books_balance(&self) {
        let books = self.echeck(shop::echeck::books).expect("books");
        assert!(books.balanced(), "the books do not balance: {books:?}");
    }
}

// ---- order fixtures ----

/// The people and registries an order needs: a salesperson on the staff of a selling office, a
/// carrier with one person working for it, and a shopper.
pub struct OrderWorld {
    pub seller: Person,
    pub office: shop::echeck::Office,
    pub carrier: shop::echeck::Carrier,
    pub courier: Person,
    pub buyer: Person,
}

impl TestApp {
    /// A salesperson on the staff of the (new) selling office `office`.
    pub async fn seller_in(&self, office: &str, name: &str) -> (Person, shop::echeck::Office) {
        let seller = self.create_user(name, &[Role::Salesperson]).await;
        let office = self.office(office);
        let (code, id) = (office.code.clone(), seller.id.clone());
        self.echeck(|c| shop::echeck::add_staff::<shop::echeck::Office>(c, None, &code, &id, shop::echeck::now()))
            .expect("office staff");
        (seller, office)
    }

    pub async fn order_world(&self) -> OrderWorld {
        self.kind("printer", &[]).await;
        let (seller, office) = self.seller_in("NORTH", "Sally Seller").await;
        let carrier = self.carrier("SWIFT");
        let courier = self.create_user("Carl Courier", &[Role::Carrier]).await;
        let (code, id) = (carrier.code.clone(), courier.id.clone());
        self.echeck(|c| shop::echeck::add_staff::<shop::echeck::Carrier>(c, None, &code, &id, shop::echeck::now()))
            .expect("carrier staff");
        let buyer = self.shopper().await;
        OrderWorld { seller, office, carrier, courier, buyer }
    }

    /// An offer of a printer by `seller` at `price` with `stock` units; returns its code.
    pub async fn stocked_offer(&self, seller: &Person, maker: &str, model: &str, price: &str, stock: i64) -> String {
        let code = self.offer(seller, "printer", maker, model, &[], price).await;
        let (s, c, p) = (seller.id.clone(), code.clone(), price.to_owned());
        self.db
            .write(move |conn| shop::catalog::change_offer(conn, &s, &c, &p, &stock.to_string()))
            .await
            .expect("stock");
        code
    }

    /// A user with the maker role acting for `maker`, whose goods need approval if `requires`.
    pub async fn maker_person(&self, maker: &str, requires: bool) -> Person {
        let person = self.create_user("Max Maker", &[Role::Maker]).await;
        let (m, email) = (maker.to_owned(), person.email.clone());
        self.db
            .write(move |c| {
                let now = shop::db::now();
                shop::orders::set_maker(c, &m, requires, now)?;
                shop::orders::add_maker_staff(c, &m, &email, now)
            })
            .await
            .expect("maker");
        person
    }

    /// The offer's stock now.
    pub fn stock_of(&self, code: &str) -> i64 {
        let code = code.to_owned();
        self.db
            .read_blocking(|c| shop::orders::price_cart(c, None, vec![cart_line(&code)], "EUR"))
            .map(|cart| cart.rows[0].stock())
            .expect("stock")
    }

    /// Every e-mail in the outbox, oldest first.
    pub fn outbox(&self) -> Vec<shop::notify::Mail> {
        let first = shop::web::pager::Pager::first(1000);
        let mut all = self.db.read_blocking(|c| shop::notify::outbox(c, None, first)).expect("outbox").0.rows;
        all.reverse();
        all
    }
}

pub fn cart_line(code: &str) -> shop::orders::CartLine {
    shop::orders::CartLine { offer_code: code.to_owned(), quantity: 1, seen_price: 0 }
}

impl Browser {
    /// Puts `quantity` of an offer in the cart through the product page's form.
    pub async fn add_to_cart(&self, code: &str, quantity: &str) -> Page {
        self.submit(&format!("/cart/add?offer={code}"), "/cart/add", &[("offer", code), ("quantity", quantity)]).await
    }

    /// Opens the checkout page and submits it with `fields` over the page's own values.
    pub async fn check_out(&self, fields: &[(&str, &str)]) -> Page {
        let page = self.get("/checkout").await;
        assert_eq!(page.status, StatusCode::OK, "checkout page: {}", page.body);
        self.check_out_from(&page, fields).await
    }

    /// Submits a checkout page fetched before.
    pub async fn check_out_from(&self, page: &Page, fields: &[(&str, &str)]) -> Page {
        let mut form: Vec<(String, String)> = ["csrf_token", "quote", "key"]
            .iter()
            .map(|name| (name.to_string(), page.input_value(name).unwrap_or_default()))
            .collect();
        let defaults = [("address", "12 Market Street\nSampletown"), ("payment", "echeck"), ("carrier", "SWIFT")];
        for (name, value) in defaults {
            if !fields.iter().any(|(n, _)| *n == name) {
                form.push((name.into(), value.into()));
            }
        }
        form.extend(fields.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        let pairs: Vec<(&str, &str)> = form.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        self.post_raw("/checkout", &pairs).await
    }
}

/// Requests that may fail (a server killed under them): errors come back instead of panics.
impl Browser {
    async fn try_page(response: reqwest::Response) -> reqwest::Result<Page> {
        let (status, url, headers) = (response.status(), response.url().to_string(), response.headers().clone());
        Ok(Page { status, url, headers, body: response.text().await? })
    }

    pub async fn try_get(&self, path: &str) -> reqwest::Result<Page> {
        Self::try_page(self.client.get(format!("{}{path}", self.base)).send().await?).await
    }

    async fn try_submit(&self, page: &Page, action: &str, fields: &[(&str, &str)]) -> reqwest::Result<Page> {
        let token = page.input_value("csrf_token").unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        all.extend_from_slice(fields);
        Self::try_page(self.client.post(format!("{}{action}", self.base)).form(&all).send().await?).await
    }

    pub async fn try_log_in(&self, email: &str, password: &str) -> reqwest::Result<Page> {
        let form = self.try_get("/login").await?;
        self.try_submit(&form, "/login", &[("email", email), ("password", password)]).await
    }

    /// Puts one unit of the offer in the cart and checks out (cash on delivery); the order's
    /// number when the shop acknowledged it.
    pub async fn try_order(&self, code: &str) -> reqwest::Result<Option<String>> {
        let product = self.try_get(&format!("/cart/add?offer={code}")).await?;
        self.try_submit(&product, "/cart/add", &[("offer", code), ("quantity", "1")]).await?;
        let checkout = self.try_get("/checkout").await?;
        let (quote, key) =
            (checkout.input_value("quote").unwrap_or_default(), checkout.input_value("key").unwrap_or_default());
        let fields = [
            ("quote", quote.as_str()),
            ("key", key.as_str()),
            ("address", "12 Market Street\nSampletown"),
            ("payment", "cash"),
            ("carrier", "SWIFT"),
        ];
        let placed = self.try_submit(&checkout, "/checkout", &fields).await?;
        Ok(placed.path().strip_prefix("/orders/").map(|n| n.split('?').next().unwrap_or_default().to_owned()))
    }
}

/// The order number in an order page's address (/orders/{number}).
pub fn order_number(page: &Page) -> String {
    let path = page.path();
    let number = path.strip_prefix("/orders/").unwrap_or_else(|| panic!("not an order page: {path}: {}", page.body));
    number.split('?').next().unwrap_or_default().to_owned()
}

// ---- randomized concurrent runs ----

/// Runs each thread's sequence of steps on its own thread, all at once; after every step `check`
/// says what is wrong, if anything. Returns every thread's first failure.
pub fn run_concurrently<Op: std::fmt::Debug + Sync>(
    threads: &[Vec<Op>],
    step: impl Fn(&Op, usize, usize) -> Result<(), String> + Sync,
    check: impl Fn() -> Result<(), String> + Sync,
) -> Result<(), proptest::test_runner::TestCaseError> {
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = threads
            .iter()
            .enumerate()
            .map(|(t, ops)| {
                let (step, check) = (&step, &check);
                scope.spawn(move || -> Result<(), String> {
                    for (n, op) in ops.iter().enumerate() {
                        step(op, t, n).map_err(|e| format!("{op:?} failed: {e}"))?;
                        check().map_err(|e| format!("after {op:?}: {e}"))?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().map_err(|_| "panic".to_owned()).and_then(|r| r).err()).collect()
    });
    if failures.is_empty() { Ok(()) } else { Err(proptest::test_runner::TestCaseError::fail(failures.join("\n"))) }
}

/// What a `Gate` does with connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateMode {
    /// Relays every connection to the server behind.
    Open,
    /// Drops every connection at once, as a server that went away.
    Closed,
    /// Takes connections and never says a word, as a server that hangs.
    Silent,
}

/// A TCP relay in front of a server (PostgreSQL), to take it away and bring it back while the
/// shop runs. Changing the mode ends every connection made before.
pub struct Gate {
    pub addr: SocketAddr,
    mode: tokio::sync::watch::Sender<GateMode>,
    task: tokio::task::JoinHandle<()>,
}

impl Gate {
    pub async fn to(upstream: SocketAddr) -> Gate {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("gate listens");
        let addr = listener.local_addr().expect("gate address");
        let (mode, watching) = tokio::sync::watch::channel(GateMode::Open);
        let task = tokio::spawn(async move {
            while let Ok((mut visitor, _)) = listener.accept().await {
                let mut changed = watching.clone();
                let now = *changed.borrow_and_update();
                match now {
                    GateMode::Closed => drop(visitor),
                    GateMode::Silent => {
                        tokio::spawn(async move {
                            let _held = visitor;
                            let _ = changed.changed().await;
                        });
                    }
                    GateMode::Open => {
                        tokio::spawn(async move {
                            let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else { return };
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut visitor, &mut server) => {}
                                _ = changed.changed() => {}
                            }
                        });
                    }
                }
            }
        });
        Gate { addr, mode, task }
    }

    pub fn set(&self, mode: GateMode) {
        self.mode.send_replace(mode);
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.task.abort();
    }
}
