//! Demo data for a new installation: one user per role, with passwords made up for this
//! installation and shown once (and kept in `<data dir>/demo-logins.txt`, readable by its owner only).

use std::path::Path;

use rand::Rng;

mod history;
pub use history::seed_history;

use crate::accounts::{AccountError, Accounts, PersonalData, Registration, Role, UserId};
use crate::web::idempotency::IdempotencyKey;

pub struct DemoLogin {
    pub role: Role,
    pub email: String,
    /// None when the user existed already (its password was left alone).
    pub password: Option<String>,
}

impl std::fmt::Display for DemoLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.password {
            Some(pw) => write!(f, "demo {}: {} {}", self.role.as_str(), self.email, pw),
            None => write!(f, "demo {}: {} (exists already; password unchanged)", self.role.as_str(), self.email),
        }
    }
}

/// Three groups of five letters and digits: about 77 random bits, easy to type.
fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let group = |rng: &mut rand::rngs::ThreadRng| -> String {
        (0..5).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
    };
    format!("{}-{}-{}", group(&mut rng), group(&mut rng), group(&mut rng))
}

fn demo_person(role: Role) -> PersonalData {
    let (name, street) = match role {
        Role::Shopper => ("Sam Shopper", "12 Market Street"),
        Role::Salesperson => ("Sally Seller", "3 Commerce Road"),
        Role::Maker => ("Max Maker", "88 Factory Lane"),
        Role::Clerk => ("Clara Clerk", "5 Depot Square"),
        Role::Carrier => ("Carl Carrier", "41 Freight Avenue"),
        Role::Pickup => ("Paula Pickup", "7 Corner Shop Row"),
        Role::Admin => ("Ada Admin", "1 Operations Court"),
    };
    PersonalData {
        full_name: name.into(),
        postal_address: format!("{street}\n10115 Sampletown"),
        phone: "+1 555 0100 200".into(),
    }
}

/// Creates the demo users that do not exist yet.
pub async fn seed(accounts: &Accounts) -> anyhow::Result<Vec<DemoLogin>> {
    let mut logins = Vec::new();
    for &role in Role::ALL {
        let email = format!("{}@demo.example.com", role.as_str());
        let password = new_password();
        let form = Registration {
            email: email.clone(),
            password: password.clone(),
            password_again: password.clone(),
            personal: demo_person(role),
        };
        match accounts.create(form, vec![role]).await {
            Ok(_) => logins.push(DemoLogin { role, email, password: Some(password) }),
            Err(AccountError::Invalid(errors)) if errors.has("email") => {
                logins.push(DemoLogin { role, email, password: None })
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(logins)
}

/// Products in the demo catalog of a first start.
pub const DEMO_PRODUCTS: usize = 300;
/// Sales and purchase requests of the past year in a new demo shop's history: enough for every
/// analysis to show cells above the smallest count.
pub const DEMO_SALES: usize = 5_000;
pub const DEMO_REQUESTS: usize = 5_000;

/// Two more salespeople, so that products have competing offers. Their passwords are random and
/// not shown: they exist to own offers (`shop create-admin` can give one a password if needed).
async fn extra_sellers(accounts: &Accounts) -> anyhow::Result<Vec<UserId>> {
    let mut ids = Vec::new();
    for (n, name) in [(2, "Sven Seller"), (3, "Sina Seller")] {
        let email = format!("salesperson{n}@demo.example.com");
        let password = new_password();
        let form = Registration {
            email: email.clone(),
            password: password.clone(),
            password_again: password,
            personal: PersonalData { full_name: name.into(), ..demo_person(Role::Salesperson) },
        };
        match accounts.create(form, vec![Role::Salesperson]).await {
            Ok(id) => ids.push(id),
            Err(AccountError::Invalid(errors)) if errors.has("email") => {
                let db = accounts.db().clone();
                let user = db.read(move |c| crate::accounts::find_user_by_email(c, &email)).await?;
                ids.extend(user.map(|u| u.id));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(ids)
}

async fn user_id(accounts: &Accounts, role: Role) -> anyhow::Result<Option<UserId>> {
    let email = format!("{}@demo.example.com", role.as_str());
    let user = accounts.db().read(move |c| crate::accounts::find_user_by_email(c, &email)).await?;
    Ok(user.map(|u| u.id))
}

/// The demo catalog: `products` generated products offered by the demo salespeople, a printer
/// registered as the demo shopper's equipment, and prices agreed with the demo shopper.
/// The demo salesperson and the two more that sell the demo catalog.
async fn demo_sellers(accounts: &Accounts) -> anyhow::Result<Vec<UserId>> {
    let mut sellers: Vec<UserId> = user_id(accounts, Role::Salesperson).await?.into_iter().collect();
    sellers.extend(extra_sellers(accounts).await?);
    Ok(sellers)
}

pub async fn seed_catalog(accounts: &Accounts, currency: &str, products: usize) -> anyhow::Result<(usize, usize)> {
    let sellers = demo_sellers(accounts).await?;
    let db = accounts.db().clone();
    let currency = currency.to_owned();
    let added =
        actix_web::web::block(move || crate::catalog::demo::seed_products(&db, &sellers, products, 2026, &currency))
            .await
            .map_err(|e| anyhow::anyhow!("seeding was cancelled: {e}"))??;
    if let (Some(shopper), Some(seller)) =
        (user_id(accounts, Role::Shopper).await?, user_id(accounts, Role::Salesperson).await?)
    {
        accounts
            .db()
            .write(move |c| {
                if let Some((maker, model)) = crate::catalog::demo::a_fitted_printer(c)? {
                    let _ = crate::catalog::add_equipment(c, &shopper, &maker, &model);
                }
                // A price agreed with the shopper on the seller's three best-selling offers: 10% off.
                let mut mine = crate::catalog::offers_of_seller(c, &seller).map_err(|e| anyhow::anyhow!("{e}"))?;
                mine.sort_by_key(|(o, _)| -o.sold);
                for (offer, _) in mine.iter().take(3) {
                    crate::catalog::add_customer_price(
                        c,
                        &seller,
                        &offer.code,
                        crate::catalog::PriceFor::Customer(shopper.clone()),
                        "Demo framework agreement",
                        offer.price * 9 / 10,
                        None,
                        None,
                    )
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                }
                Ok::<_, anyhow::Error>(())
            })
            .await?;
    }
    Ok(added)
}

/// The demo e-check site: a selling office per demo salesperson, two carriers (the demo carrier
/// works for the first), and a deposit and one paid check on the demo shopper's account.
/// The order flow's demo: one maker whose goods need its approval, with the demo maker acting
/// for it.
pub async fn seed_orders(accounts: &Accounts) -> anyhow::Result<()> {
    let maker = user_id(accounts, Role::Maker).await?;
    accounts
        .db()
        .write(move |c| {
            let now = crate::db::now();
            crate::orders::set_maker(c, "Kawase", true, now)?;
            if let Some(user) = maker
                && let Some(found) = crate::accounts::find_user(c, &user)?
            {
                crate::orders::add_maker_staff(c, "Kawase", &found.email, now)?;
            }
            Ok::<_, crate::orders::OrderError>(())
        })
        .await
        .map_err(|e| anyhow::anyhow!("demo order data: {e}"))
}

/// The demo shopper's credit line: 5,000.00, above the dearest demo product.
pub const DEMO_CREDIT_LINE: i64 = 500_000;

pub async fn seed_echeck(accounts: &Accounts) -> anyhow::Result<()> {
    use crate::echeck::{self, IssueRequest, Movement, RegistryForm};
    let mut staff = vec![user_id(accounts, Role::Salesperson).await?];
    staff.extend(extra_sellers(accounts).await?.into_iter().map(Some));
    let carrier = user_id(accounts, Role::Carrier).await?;
    let shopper = user_id(accounts, Role::Shopper).await?;
    let admin = user_id(accounts, Role::Admin).await?;
    accounts
        .db()
        .write(move |c| {
            let now = echeck::now();
            let offices =
                [("NORTH", "North Office Supplies"), ("EAST", "East Computer Store"), ("WEST", "West Print Centre")];
            for (i, (code, name)) in offices.iter().enumerate() {
                let form = RegistryForm {
                    code: (*code).into(),
                    name: (*name).into(),
                    address: format!("{} Commerce Road\n10115 Sampletown", 3 + i * 10),
                    phone: format!("+1 555 0{}00", 4 + i),
                    fax: format!("+1 555 0{}01", 4 + i),
                    bank: "Sampletown Savings Bank".into(),
                    bank_account: format!("SSB-{:06}", 1000 + i),
                };
                if echeck::offices(c)?.iter().all(|o| o.code != *code) {
                    echeck::register::<echeck::Office>(c, None, &form, now)?;
                }
                if let Some(Some(user)) = staff.get(i) {
                    echeck::add_staff::<echeck::Office>(c, None, code, user, now)?;
                }
            }
            // Money in the first office, so its salesperson can buy analyses at once.
            let north = echeck::office(c, "NORTH")?;
            let account = echeck::open_account(c, echeck::AccountKind::Office, north.id.as_str(), now)?;
            let deposit = Movement {
                account: account.id,
                amount: 50_000,
                reason: "Bank transfer (demo)".into(),
                key: IdempotencyKey::named("demo-office-deposit"),
            };
            echeck::deposit(c, &deposit, None, now)?;
            for (code, name) in [("SWIFT", "Swift Couriers"), ("PARCEL", "Parcel Partners")] {
                if echeck::carriers(c)?.iter().all(|k| k.code != code) {
                    let form = RegistryForm {
                        code: code.into(),
                        name: name.into(),
                        address: "41 Freight Avenue\n10115 Sampletown".into(),
                        phone: "+1 555 0900".into(),
                        ..RegistryForm::default()
                    };
                    echeck::register::<echeck::Carrier>(c, None, &form, now)?;
                }
            }
            if let Some(user) = carrier {
                echeck::add_staff::<echeck::Carrier>(c, None, "SWIFT", &user, now)?;
            }
            if let Some(buyer) = shopper {
                let account = echeck::open_shopper_account(c, &buyer, now)?;
                let deposit = Movement {
                    account: account.id.clone(),
                    amount: 20_000,
                    reason: "Bank transfer (demo)".into(),
                    key: IdempotencyKey::named("demo-deposit"),
                };
                echeck::deposit(c, &deposit, None, now)?;
                // A credit line that covers any demo product, so a newcomer's first order goes through.
                if let Some(admin) = &admin
                    && account.credit_line < DEMO_CREDIT_LINE
                {
                    echeck::set_credit_line(c, &account.id, DEMO_CREDIT_LINE, admin, now)?;
                }
                let req = IssueRequest {
                    buyer,
                    office_code: "NORTH".into(),
                    carrier_code: "SWIFT".into(),
                    amount: 4_990,
                    currency: account.currency.clone(),
                    reference: "demo order".into(),
                    idempotency_key: IdempotencyKey::named("demo-check"),
                };
                let check = echeck::issue(c, &req, now)?;
                if check.paid_amount.is_none() {
                    echeck::demand_payment(c, &check.code, &check.office_id, None, None, now)?;
                }
            }
            Ok::<_, echeck::EcheckError>(())
        })
        .await
        .map_err(|e| anyhow::anyhow!("demo e-check data: {e}"))
}

/// A prepaid card of the demo, for buying anonymously; its code is shown only at the first start.
pub struct DemoCard {
    pub code: String,
    pub value: String,
}

impl std::fmt::Display for DemoCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "demo prepaid card: {} {}", self.code, self.value)
    }
}

/// One pickup point, served by the demo pickup user, and three prepaid cards of 500.00.
pub async fn seed_anonymity(accounts: &Accounts, terms: crate::anonymity::Terms) -> anyhow::Result<Vec<DemoCard>> {
    use crate::anonymity::{self, PointForm};
    let counter = user_id(accounts, Role::Pickup).await?;
    let Some(admin) = user_id(accounts, Role::Admin).await? else { return Ok(Vec::new()) };
    let email = format!("{}@demo.example.com", Role::Pickup.as_str());
    accounts
        .db()
        .write(move |c| {
            let now = crate::db::now();
            let form = PointForm {
                code: "CORNER".into(),
                name: "Corner Shop Pickup".into(),
                address: "7 Corner Shop Row\n10115 Sampletown".into(),
                opening_hours: "Mon–Sat 8:00–20:00".into(),
            };
            if anonymity::points(c)?.iter().all(|p| p.code != form.code) {
                anonymity::register_point(c, &form, now)?;
            }
            if counter.is_some() {
                anonymity::add_point_staff(c, "CORNER", &email, now)?;
            }
            let key = IdempotencyKey::named("demo-prepaid-cards").to_string();
            let issued = match anonymity::issue_batch(c, &terms, "3", "500", &key, &admin, now) {
                Ok(issued) => issued,
                // Issued at an earlier start: the codes were shown then.
                Err(anonymity::AnonError::Invalid(_)) => return Ok(Vec::new()),
                Err(e) => return Err(e),
            };
            let value = crate::money::format(issued.batch.face_value, &issued.batch.currency);
            Ok(issued.codes.into_iter().map(|code| DemoCard { code, value: value.clone() }).collect())
        })
        .await
        .map_err(|e| anyhow::anyhow!("demo anonymous purchase data: {e}"))
}

/// The collection: the shop's account funded to pay sellers the points' reductions, two rewards,
/// and the demo shopper registered with cartridges bought and returned (a record, a correction).
pub async fn seed_collection(accounts: &Accounts, currency: &str) -> anyhow::Result<()> {
    use crate::collection::{self, RecordForm, RewardForm};
    let shopper = user_id(accounts, Role::Shopper).await?;
    let clerk = user_id(accounts, Role::Clerk).await?;
    let currency = currency.to_owned();
    accounts
        .db()
        .write(move |c| {
            let now = crate::db::now();
            let platform = crate::echeck::platform(c)?;
            let fund = crate::echeck::Movement {
                account: platform.id,
                amount: 100_000,
                reason: "Points reductions fund (demo)".into(),
                key: IdempotencyKey::named("demo-points-fund"),
            };
            crate::echeck::deposit(c, &fund, None, now)?;
            let (Some(shopper), Some(clerk)) = (shopper, clerk) else { return Ok(()) };
            if collection::summary(c, &shopper, &currency, now)?.is_some() {
                return Ok(());
            }
            for (name, points, stock) in [("Notebook of recycled paper", "150", "20"), ("Canvas tote bag", "400", "10")]
            {
                let form =
                    RewardForm { name: name.into(), points: points.into(), stock: stock.into(), active: "yes".into() };
                collection::add_reward(c, &form, now)?;
            }
            let member = collection::register(c, &shopper, now - chrono::Duration::days(90))?;
            let toner = crate::catalog::kinds(c)?.into_iter().find(|k| k.code == "toner-cartridge").map(|k| k.id);
            if let Some(kind) = toner {
                collection::cartridges_bought(
                    c,
                    &shopper,
                    "demo:bought",
                    &[(kind, 6)],
                    &currency,
                    now - chrono::Duration::days(60),
                )?;
            }
            let model = collection::cartridge_models(c, &currency)?.into_iter().next();
            let cartridge = model.map_or_else(|| collection::OTHER.to_owned(), |p| p.id.to_string());
            let mut record = |quantity: &str, reusable: &str, key: &str, days: i64| {
                let form = RecordForm {
                    card: member.card_number.clone(),
                    cartridge: cartridge.clone(),
                    quantity: quantity.into(),
                    reusable: reusable.into(),
                    key: IdempotencyKey::named(key).to_string(),
                };
                collection::record(c, &form, &clerk, &currency, now - chrono::Duration::days(days))
            };
            record("2", "yes", "demo-record-1", 30)?;
            record("2", "yes", "demo-record-2", 10)?;
            let wrong = record("1", "no", "demo-record-3", 9)?;
            let key = IdempotencyKey::named("demo-correction").to_string();
            collection::correct(
                c,
                &wrong.record.id.to_string(),
                "Counted twice",
                &key,
                &clerk,
                now - chrono::Duration::days(9),
            )?;
            Ok::<_, anyhow::Error>(())
        })
        .await
        .map_err(|e| anyhow::anyhow!("demo collection data: {e}"))
}

/// A buy-back center served by the demo clerk (funded, with a price table), two benefit rules of
/// different specificity, and a delivered demo order of a trade-in eligible offer, ready to trade in.
pub async fn seed_buyback(accounts: &Accounts, currency: &str, site: &str) -> anyhow::Result<()> {
    use crate::buyback::{self, CenterForm, PriceForm, RuleForm};
    use crate::orders::{self, CartEdit, CheckoutForm};
    let shopper = user_id(accounts, Role::Shopper).await?;
    let seller = user_id(accounts, Role::Salesperson).await?;
    let clerk = user_id(accounts, Role::Clerk).await?;
    let carrier = user_id(accounts, Role::Carrier).await?;
    let admin = user_id(accounts, Role::Admin).await?;
    let (Some(shopper), Some(seller), Some(clerk), Some(carrier), Some(admin)) =
        (shopper, seller, clerk, carrier, admin)
    else {
        return Ok(());
    };
    let (currency, site) = (currency.to_owned(), site.to_owned());
    accounts
        .db()
        .write(move |c| {
            let now = crate::db::now();
            if !buyback::centers(c)?.is_empty() {
                return Ok(());
            }
            let form = CenterForm {
                code: "BB-NORTH".into(),
                name: "North Buy-back Centre".into(),
                address: "5 Depot Square, 10115 Sampletown".into(),
                phone: "+1 555 0700".into(),
                grades: buyback::STARTING_GRADES.into(),
                active: "yes".into(),
                is_default: "yes".into(),
            };
            let center = buyback::save_center(c, None, &form, now)?;
            let clerk_email = crate::accounts::find_user(c, &clerk)?.map(|u| u.email).unwrap_or_default();
            buyback::assign_clerk(c, &clerk_email, Some(&center.id), now)?;
            let key = IdempotencyKey::named("demo-buyback-fund").to_string();
            buyback::fund_center(c, &center.id, "2000.00", &key, &admin, now)?;
            // The item a shopper would bring: one of the demo catalog's makers.
            let offer = crate::catalog::offers_of_seller(c, &seller)?
                .into_iter()
                .find(|(o, p)| o.trade_in && o.stock > 0 && o.withdrawn_at.is_none() && p.maker != "Kawase");
            let Some((offer, product)) = offer else { return Ok(()) };
            for (grade, price) in [("like new", "80.00"), ("good", "50.00"), ("fair", "25.00"), ("broken", "5.00")] {
                let line = PriceForm {
                    maker: product.maker.clone(),
                    grade: grade.into(),
                    price: price.into(),
                    ..Default::default()
                };
                buyback::set_price(c, &center.id, &line, &currency, now)?;
            }
            let every = RuleForm { kind: "cash".into(), amount: "5.00".into(), ..Default::default() };
            buyback::add_rule(c, &every, None, &admin, &currency, now)?;
            let own = RuleForm {
                bought_maker: product.maker.clone(),
                used_maker: product.maker.clone(),
                kind: "percent".into(),
                amount: "10".into(),
                ..Default::default()
            };
            buyback::add_rule(c, &own, Some(&seller), &seller, &currency, now)?;
            // The demo shopper buys the offer (cash on delivery) and it is delivered.
            orders::edit_saved_cart(
                c,
                &shopper,
                &CartEdit::Add { code: offer.code.clone(), quantity: "1".into() },
                now,
            )?;
            let plan = orders::checkout_plan(c, &shopper, &currency)?;
            let address =
                crate::accounts::find_user(c, &shopper)?.map(|u| u.personal.postal_address).unwrap_or_default();
            let checkout = CheckoutForm {
                address,
                payment: "cash".into(),
                carrier: "SWIFT".into(),
                quote: plan.cart.quote(),
                key: IdempotencyKey::named("demo-trade-in-order").to_string(),
                ..Default::default()
            };
            let placed = orders::place_orders(c, &shopper, &checkout, &currency, now)?;
            for order in placed {
                orders::confirm(c, &order.number, &seller, now)?;
                orders::ship(c, &order.number, &seller, "SWIFT", now)?;
                let cash = crate::money::to_input(order.amount_due(), &currency);
                orders::deliver(c, &order.number, &carrier, &cash, "Handed over (demo)", &site, now)?;
            }
            Ok::<_, anyhow::Error>(())
        })
        .await
        .map_err(|e| anyhow::anyhow!("demo buy-back data: {e}"))
}

/// Keeps the logins where the operator can find them again.
pub fn save(data_dir: &Path, logins: &[DemoLogin], cards: &[DemoCard]) -> std::io::Result<()> {
    let mut fresh: Vec<String> = logins.iter().filter(|l| l.password.is_some()).map(ToString::to_string).collect();
    fresh.extend(cards.iter().map(ToString::to_string));
    if fresh.is_empty() {
        return Ok(());
    }
    crate::config::write_private_file(&data_dir.join("demo-logins.txt"), &(fresh.join("\n") + "\n"))
}
