//! The cartridge collection through the pages: registration, the collection desk, the display on
//! the consumables page, points at checkout and back on cancellation, rewards, the admins' rules;
//! the races and a randomized concurrent run of the points ledger.

use diesel::prelude::*;
use reqwest::StatusCode;
use shop::accounts::Role;
use shop::echeck::{self, Movement};
use shop::web::idempotency::IdempotencyKey;

use crate::helpers::*;

/// An order world with a cartridge kind, a cartridge on offer, a clerk and an admin; the shop's
/// own account holds money to pay sellers the points' reductions.
struct Collection {
    app: TestApp,
    world: OrderWorld,
    toner: String,
    clerk: Person,
    admin: Person,
}

async fn setup() -> Collection {
    let app = spawn_app().await;
    let world = app.order_world().await;
    app.kind("toner-cartridge", &[]).await;
    let toner = app.offer(&world.seller, "toner-cartridge", "Inkwell", "TN-100", &[], "25.00").await;
    let clerk = app.create_user("Clara Clerk", &[Role::Clerk]).await;
    let admin = app.admin().await;
    let platform = app.echeck(echeck::platform).expect("platform").id;
    let m = Movement { account: platform, amount: 1_000_000, reason: "points fund".into(), key: IdempotencyKey::new() };
    app.echeck(|c| echeck::deposit(c, &m, None, echeck::now())).expect("fund the platform");
    Collection { app, world, toner, clerk, admin }
}

/// Registers the shopper through the consumables page; returns their card number.
async fn register(b: &Browser) -> String {
    let page = b.get("/consumables").await;
    assert!(page.contains("Register for the collection service"), "{}", page.body);
    let done = b.submit("/consumables", "/collection/register", &[("back", "/consumables")]).await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(done.path().starts_with("/consumables"), "back on the consumables page");
    assert!(done.contains("Thank you for returning your cartridges"), "the display replaces the section");
    let page = b.get("/collection").await;
    let start = page.body.find("id=\"card-number\">").expect("card number") + "id=\"card-number\">".len();
    page.body[start..].split('<').next().expect("card").to_owned()
}

/// The order `number` confirmed, shipped and delivered by the pages of its seller and carrier.
async fn deliver(c: &Collection, number: &str) {
    let seller = c.app.logged_in(&c.world.seller).await;
    let page = format!("/sell/orders/{number}");
    seller.submit(&page, &format!("{page}/confirm"), &[]).await;
    let shipped = seller.submit(&page, &format!("{page}/ship"), &[("carrier", "SWIFT")]).await;
    assert!(shipped.contains("shipped"), "{}", shipped.body);
    let courier = c.app.logged_in(&c.world.courier).await;
    let done =
        courier.submit("/carrier/shipments", &format!("/carrier/shipments/{number}/delivered"), &[("cash", "")]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
}

/// The desk's record form for `card`, submitted with `fields` over its own hidden values.
async fn record_at_desk(desk: &Browser, card: &str, fields: &[(&str, &str)]) -> Page {
    let page = desk.get(&format!("/clerk/collection?card={card}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let key = page.input_value("key").expect("key");
    let token = page.input_value("csrf_token").expect("token");
    let mut all = vec![("csrf_token", token.as_str()), ("card", card), ("key", key.as_str())];
    all.extend_from_slice(fields);
    desk.post_raw("/clerk/collection/records", &all).await
}

/// The product ID the desk lists for a cartridge model.
fn model_id(page: &Page, label: &str) -> String {
    let at = page.body.find(&format!(">{label}</option>")).expect("model listed");
    let before = &page.body[..at];
    let start = before.rfind("value=\"").expect("value") + "value=\"".len();
    before[start..].split('"').next().expect("id").to_owned()
}

fn figure(page: &Page, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = page.body.find(&marker).unwrap_or_else(|| panic!("no {id}: {}", page.body)) + marker.len();
    page.body[start..].split('<').next().expect("figure").to_owned()
}

#[tokio::test]
async fn a_member_returns_cartridges_at_the_desk_and_sees_rate_and_points_on_the_consumables_page() {
    let c = setup().await;
    let buyer = c.app.logged_in(&c.world.buyer).await;
    let card = register(&buyer).await;
    assert_eq!(card.len(), 9, "two groups of four: {card}");
    // Registering twice keeps the first card.
    buyer.submit("/collection", "/collection/register", &[]).await;
    assert!(buyer.get("/collection").await.contains(&card));
    let page = buyer.get("/consumables").await;
    assert_eq!(figure(&page, "rate"), "—", "nothing bought yet");

    // Four cartridges bought and delivered.
    buyer.add_to_cart(&c.toner, "4").await;
    let placed = buyer.check_out(&[]).await;
    deliver(&c, &order_number(&placed)).await;

    let desk = c.app.logged_in(&c.clerk).await;
    let page = desk.get(&format!("/clerk/collection?card={}", card.to_lowercase())).await;
    assert!(page.contains("Record cartridges received"), "a card is found as typed in any case");
    let toner = model_id(&page, "Inkwell TN-100");
    // Three reusable ones: a 75% rate, × 1.5: 3 × 20 × 1.5 = 90 points.
    let page = desk.get(&format!("/clerk/collection?card={card}")).await;
    let (key, token) = (page.input_value("key").expect("key"), page.input_value("csrf_token").expect("token"));
    let fields = [
        ("csrf_token", token.as_str()),
        ("card", card.as_str()),
        ("key", key.as_str()),
        ("cartridge", toner.as_str()),
        ("quantity", "3"),
        ("reusable", "yes"),
    ];
    let done = desk.post_raw("/clerk/collection/records", &fields).await;
    assert!(done.contains("Recorded 3 × Inkwell TN-100: 90 points."), "{}", done.body);
    let again = desk.post_raw("/clerk/collection/records", &fields).await;
    assert_eq!(again.status, StatusCode::OK, "a double submit lands on the first record");
    let records: i64 = c.app.query(|conn| {
        use shop::db::schema::collection_records::dsl::*;
        collection_records.count().get_result(conn)
    });
    assert_eq!(records, 1, "recorded once");

    let page = buyer.get("/consumables").await;
    assert_eq!(figure(&page, "collected"), "3");
    assert_eq!(figure(&page, "rate"), "75%");
    assert_eq!(figure(&page, "points"), "90");
    assert_eq!(figure(&page, "expiring"), "0");
    let page = buyer.get("/collection").await;
    assert!(page.contains("Earned: 3 × Inkwell TN-100 received") && page.contains("+90"), "{}", page.body);

    // Beyond those bought plus the allowance of 2, cartridges earn nothing.
    let done = record_at_desk(&desk, &card, &[("cartridge", "other"), ("quantity", "5"), ("reusable", "no")]).await;
    assert!(
        done.contains("Recorded 5 × Other cartridge: 30 points.") && done.contains("2 of them earn nothing"),
        "{}",
        done.body
    );

    // A mistake is reversed with a reason, never edited.
    let page = desk.get(&format!("/clerk/collection?card={card}")).await;
    let first = {
        let at = page.body.find("/correct\"").expect("a correct form");
        let start =
            page.body[..at].rfind("/clerk/collection/records/").expect("action") + "/clerk/collection/records/".len();
        page.body[start..at].to_owned()
    };
    let (key, token) = (page.input_value("key").expect("key"), page.input_value("csrf_token").expect("token"));
    let no_reason = desk
        .post_raw(
            &format!("/clerk/collection/records/{first}/correct"),
            &[("csrf_token", &token), ("card", &card), ("key", &key), ("reason", " ")],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::CONFLICT, "{}", no_reason.body);
    let fixed = desk
        .post_raw(
            &format!("/clerk/collection/records/{first}/correct"),
            &[("csrf_token", &token), ("card", &card), ("key", &key), ("reason", "counted twice")],
        )
        .await;
    assert!(fixed.contains("Record reversed: 30 points taken back."), "{}", fixed.body);
    assert!(fixed.contains("corrected"));
    let keys: Vec<&str> =
        fixed.body.split("name=\"key\" value=\"").skip(1).filter_map(|p| p.split('"').next()).collect();
    let distinct: std::collections::HashSet<&&str> = keys.iter().collect();
    assert!(keys.len() >= 2 && distinct.len() == keys.len(), "each form on the desk has its own key: {keys:?}");
    let page = buyer.get("/consumables").await;
    assert_eq!((figure(&page, "collected"), figure(&page, "points")), ("3".to_owned(), "90".to_owned()));
    assert_balanced(&c.app);
}

#[tokio::test]
async fn the_desk_refuses_bad_input_with_the_form_kept() {
    let c = setup().await;
    let buyer = c.app.logged_in(&c.world.buyer).await;
    let card = register(&buyer).await;
    let desk = c.app.logged_in(&c.clerk).await;
    let unknown = desk.get("/clerk/collection?card=ZZZZ-ZZZZ").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.field_error("card").expect("card error").contains("No member has this card number"));
    assert_eq!(unknown.input_value("card").as_deref(), Some("ZZZZ-ZZZZ"), "kept as typed");
    let malformed = desk.get("/clerk/collection?card=%3Cscript%3E").await;
    assert!(malformed.field_error("card").expect("error").contains("8 letters and digits"));
    assert!(!malformed.contains("<script>"));
    for (quantity, says) in [
        ("0", "at least one"),
        ("-2", "at least one"),
        ("99999999999999999999", "Type the number"),
        ("lots", "Type the number"),
        ("1001", "At most 1,000"),
    ] {
        let page =
            record_at_desk(&desk, &card, &[("cartridge", "other"), ("quantity", quantity), ("reusable", "yes")]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{quantity}");
        assert!(page.field_error("quantity").expect("quantity error").contains(says), "{quantity}: {}", page.body);
        assert_eq!(page.input_value("quantity").as_deref(), Some(quantity), "kept");
    }
    let page = record_at_desk(&desk, &card, &[("cartridge", "not-a-product"), ("quantity", "1")]).await;
    assert!(page.field_error("cartridge").is_some() && page.field_error("reusable").is_some());
    // A printer is in the catalog but is no cartridge.
    let printer = c.app.stocked_offer(&c.world.seller, "Acme", "P-1", "100.00", 3).await;
    let printer_id = c
        .app
        .db
        .read_blocking(|conn| shop::catalog::offers_to_buy(conn, None, &[printer]).map(|o| o[0].product.id.to_string()))
        .expect("product");
    let page = record_at_desk(&desk, &card, &[("cartridge", &printer_id), ("quantity", "1"), ("reusable", "no")]).await;
    assert!(page.field_error("cartridge").is_some(), "{}", page.body);
    // Only clerks work the desk.
    assert_eq!(buyer.get("/clerk/collection").await.status, StatusCode::FORBIDDEN);
    let none: i64 = c.app.query(|conn| {
        use shop::db::schema::collection_records::dsl::*;
        collection_records.count().get_result(conn)
    });
    assert_eq!(none, 0, "nothing recorded");
}

/// The member with `points` points, given by an admin through the page.
async fn give_points(c: &Collection, card: &str, points: &str) {
    let admin = c.app.logged_in(&c.admin).await;
    let done = admin
        .submit(
            "/admin/collection",
            "/admin/collection/adjust",
            &[("card", card), ("points", points), ("reason", "welcome gift")],
        )
        .await;
    assert!(done.contains("Points adjusted by"), "{}", done.body);
}

#[tokio::test]
async fn points_take_money_off_an_order_the_shop_pays_the_seller_and_a_cancellation_gives_them_back() {
    let c = setup().await;
    let buyer = c.app.logged_in(&c.world.buyer).await;
    let card = register(&buyer).await;
    give_points(&c, &card, "500").await;
    buyer.add_to_cart(&c.toner, "2").await;
    let page = buyer.get("/checkout").await;
    assert!(page.contains("Use collection points") && page.contains("up to 500 here"), "{}", page.body);
    // More than there are, and nonsense, come back on the field with the form kept.
    for (points, says) in [
        ("600", "Only 500 points are available"),
        ("6000", "At most 500 points"),
        ("-3", "whole number"),
        ("many", "whole number"),
    ] {
        let refused = buyer.check_out_from(&page, &[("points", points)]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{points}: {}", refused.body);
        assert!(refused.field_error("points").expect("points error").contains(says), "{points}: {}", refused.body);
        assert_eq!(refused.input_value("points").as_deref(), Some(points));
    }
    let page = buyer.get("/checkout").await;
    let placed = buyer.check_out_from(&page, &[("points", "300")]).await;
    let number = order_number(&placed);
    assert!(
        placed.contains("300 collection points") && placed.contains("−3.00 EUR") && placed.contains("47.00 EUR"),
        "{}",
        placed.body
    );
    let check: String = c.app.query(|conn| {
        use shop::db::schema::orders::dsl::*;
        orders.filter(number.eq(&number)).select(check_code.assume_not_null()).first(conn)
    });
    let issued = c.app.echeck(|conn| echeck::check(conn, &check, echeck::Party::Operator)).expect("check");
    assert_eq!(issued.amount, 4_700, "the check is for the total less the points");
    assert_eq!(figure(&buyer.get("/consumables").await, "points"), "200");

    let cancelled = buyer.submit(&format!("/orders/{number}"), &format!("/orders/{number}/cancel"), &[]).await;
    assert!(cancelled.contains("cancelled"), "{}", cancelled.body);
    assert_eq!(figure(&buyer.get("/consumables").await, "points"), "500", "given back");
    let mail = c.app.outbox().into_iter().find(|m| m.body.contains(&number)).expect("the cancellation e-mail");
    assert!(mail.body.contains("300 collection points, -3.00 EUR") && mail.body.contains("47.00 EUR"), "{}", mail.body);
    let again = buyer.submit(&format!("/orders/{number}"), &format!("/orders/{number}/cancel"), &[]).await;
    assert_ne!(again.status, StatusCode::OK);
    assert_eq!(figure(&buyer.get("/consumables").await, "points"), "500", "given back once");

    // Shipped, the seller gets the reduction from the shop's account with the check's payment.
    buyer.add_to_cart(&c.toner, "1").await;
    let placed = buyer.check_out(&[("points", "500")]).await;
    let number = order_number(&placed);
    let office_before = office_balance(&c);
    deliver(&c, &number).await;
    assert_eq!(office_balance(&c) - office_before, 2_500, "paid in full: 20.00 by check and 5.00 by the shop");
    assert_eq!(figure(&buyer.get("/consumables").await, "points"), "0");
    assert_balanced(&c.app);
}

/// Moves the shop's own money to the bank until `left` is available to it (its credit line is
/// nothing in tests).
fn leave_on_platform(c: &Collection, left: i64) {
    let platform = c.app.echeck(echeck::platform).expect("platform");
    let spare = platform.balance + platform.credit_line - platform.held;
    let m =
        Movement { account: platform.id, amount: spare - left, reason: "paid out".into(), key: IdempotencyKey::new() };
    c.app.echeck(|conn| echeck::withdraw(conn, &m, None, echeck::now())).expect("withdraw");
}

#[tokio::test]
async fn the_checkout_offers_only_points_the_shop_can_pay_and_an_order_it_cannot_pay_waits_at_shipping() {
    let c = setup().await;
    let buyer = c.app.logged_in(&c.world.buyer).await;
    let card = register(&buyer).await;
    give_points(&c, &card, "500").await;
    buyer.add_to_cart(&c.toner, "1").await;
    let page = buyer.get("/checkout").await;
    assert!(page.contains("up to 500 here"), "{}", page.body);
    // The shop's account pays out all but 3.00 while the page is open.
    leave_on_platform(&c, 300);
    assert!(buyer.get("/checkout").await.contains("up to 300 here"), "cut to what the shop can pay");
    // The page drawn before still places its order with 500 points: the sellers' payment is made
    // sure of at shipping, which waits until the shop's account can pay.
    let placed = buyer.check_out_from(&page, &[("points", "500")]).await;
    let number = order_number(&placed);
    let seller = c.app.logged_in(&c.world.seller).await;
    let order = format!("/sell/orders/{number}");
    seller.submit(&order, &format!("{order}/confirm"), &[]).await;
    let refused = seller.submit(&order, &format!("{order}/ship"), &[("carrier", "SWIFT")]).await;
    assert!(
        refused.contains("points reduction now; ask an administrator to fund it")
            && !refused.contains("e-check was refused"),
        "{}",
        refused.body
    );
    leave_on_platform(&c, 0);
    buyer.add_to_cart(&c.toner, "1").await;
    let page = buyer.get("/checkout").await;
    assert!(page.contains("Place the order") && !page.contains("Use collection points"), "none offered: {}", page.body);
    let platform = c.app.echeck(echeck::platform).expect("platform").id;
    let m = Movement { account: platform, amount: 10_000, reason: "points fund".into(), key: IdempotencyKey::new() };
    c.app.echeck(|conn| echeck::deposit(conn, &m, None, echeck::now())).expect("fund the platform");
    let shipped = seller.submit(&order, &format!("{order}/ship"), &[("carrier", "SWIFT")]).await;
    assert!(shipped.contains("shipped"), "{}", shipped.body);
    assert_balanced(&c.app);
}

#[tokio::test]
async fn an_order_paid_wholly_with_points_needs_no_check_and_no_cash() {
    let c = setup().await;
    let buyer = c.app.logged_in(&c.world.buyer).await;
    let card = register(&buyer).await;
    give_points(&c, &card, "2500").await;
    buyer.add_to_cart(&c.toner, "1").await;
    let placed = buyer.check_out(&[("points", "2500"), ("payment", "cash")]).await;
    let number = order_number(&placed);
    assert!(placed.contains("0.00 EUR"), "{}", placed.body);
    let courier = c.app.logged_in(&c.world.courier).await;
    let seller = c.app.logged_in(&c.world.seller).await;
    let page = format!("/sell/orders/{number}");
    seller.submit(&page, &format!("{page}/confirm"), &[]).await;
    seller.submit(&page, &format!("{page}/ship"), &[("carrier", "SWIFT")]).await;
    assert!(
        courier.get("/carrier/shipments").await.contains("collect 0.00 EUR in cash"),
        "cash on delivery of nothing"
    );
    deliver_only(&courier, &number, "0.00").await;
    assert_balanced(&c.app);
}

async fn deliver_only(courier: &Browser, number: &str, cash: &str) {
    let done = courier
        .submit("/carrier/shipments", &format!("/carrier/shipments/{number}/delivered"), &[("cash", cash)])
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
}

fn office_balance(c: &Collection) -> i64 {
    let office = c.world.office.id.clone();
    c.app.echeck(|conn| echeck::account_of_office(conn, &office)).expect("office account").map_or(0, |a| a.balance)
}

fn assert_balanced(app: &TestApp) {
    let found = app.db.snapshot_blocking(shop::collection::check_invariants).expect("invariants");
    assert!(found.hold(), "the points ledger is off: {found:?}");
    app.assert_books_balance();
}

#[tokio::test]
async fn points_stop_counting_when_they_expire_and_the_job_writes_them_off_once() {
    let c = setup().await;
    let buyer = c.app.logged_in(&c.world.buyer).await;
    let card = register(&buyer).await;
    give_points(&c, &card, "300").await;
    let user = c.world.buyer.id.clone();
    let now = shop::db::now();
    let summary_at = |days: i64| {
        let user = user.clone();
        c.app
            .db
            .read_blocking(move |conn| {
                shop::collection::summary(conn, &user, "EUR", now + chrono::Duration::days(days))
            })
            .expect("summary")
            .expect("a member")
    };
    assert_eq!((summary_at(0).available, summary_at(0).expiring_soon), (300, 0));
    assert_eq!(summary_at(350).expiring_soon, 300, "shown as expiring within 30 days");
    let later = summary_at(400);
    assert_eq!((later.available, later.expiring_soon), (0, 0), "expired points stop counting at once");
    let later_time = now + chrono::Duration::days(400);
    let written = c.app.db.write_blocking(|conn| shop::collection::expire_due(conn, later_time, 100)).expect("job");
    assert_eq!(written, 1);
    let again = c.app.db.write_blocking(|conn| shop::collection::expire_due(conn, later_time, 100)).expect("job");
    assert_eq!(again, 0, "written off once");
    let page = buyer.get("/collection").await;
    assert!(page.contains("Expired") && page.contains("−300"), "{}", page.body);
    assert_eq!(figure(&page, "points"), "0");
    assert_balanced(&c.app);
}

#[tokio::test]
async fn rewards_are_claimed_for_points_handed_over_at_the_desk_or_cancelled_with_the_points_back() {
    let c = setup().await;
    let buyer = c.app.logged_in(&c.world.buyer).await;
    let card = register(&buyer).await;
    give_points(&c, &card, "150").await;
    let admin = c.app.logged_in(&c.admin).await;
    let bad = admin
        .submit("/admin/collection", "/admin/collection/rewards", &[("name", ""), ("points", "0"), ("stock", "-1")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.field_error("name").is_some() && bad.field_error("points").is_some() && bad.field_error("stock").is_some()
    );
    let added = admin
        .submit(
            "/admin/collection",
            "/admin/collection/rewards",
            &[("name", "Tote bag"), ("points", "100"), ("stock", "1")],
        )
        .await;
    assert!(added.contains("Reward Tote bag added."), "{}", added.body);

    let page = buyer.get("/collection").await;
    assert!(page.contains("Tote bag"), "{}", page.body);
    let start = page.body.find("/collection/rewards/").expect("claim form") + "/collection/rewards/".len();
    let reward = page.body[start..].split('/').next().expect("id").to_owned();
    let (key, token) = (page.input_value("key").expect("key"), page.input_value("csrf_token").expect("token"));
    let claim = format!("/collection/rewards/{reward}/claim");
    let claimed = buyer.post_raw(&claim, &[("csrf_token", &token), ("key", &key)]).await;
    assert!(claimed.contains("Claimed. Show the code"), "{}", claimed.body);
    buyer.post_raw(&claim, &[("csrf_token", &token), ("key", &key)]).await;
    assert_eq!(figure(&buyer.get("/consumables").await, "points"), "50", "a double click claims once");
    let key2 = IdempotencyKey::new().to_string();
    let gone = buyer.post_raw(&claim, &[("csrf_token", &token), ("key", &key2)]).await;
    assert_eq!(gone.status, StatusCode::CONFLICT);
    assert!(gone.contains("out of stock"), "{}", gone.body);

    // The member cancels: points and stock come back; a second claim goes to the desk.
    let code = {
        let page = buyer.get("/collection").await;
        let start = page.body.find("id=\"claim-").expect("claim") + "id=\"claim-".len();
        page.body[start..].split('"').next().expect("code").to_owned()
    };
    let cancelled = buyer.submit("/collection", &format!("/collection/claims/{code}/cancel"), &[]).await;
    assert!(cancelled.contains("cancelled; its points are yours again"), "{}", cancelled.body);
    assert_eq!(figure(&buyer.get("/consumables").await, "points"), "150");
    let page = buyer.get("/collection").await;
    let (key, token) = (page.input_value("key").expect("key"), page.input_value("csrf_token").expect("token"));
    assert!(buyer.post_raw(&claim, &[("csrf_token", &token), ("key", &key)]).await.contains("Claimed"));
    let code = {
        let page = buyer.get("/collection").await;
        let start = page.body.find("id=\"claim-").expect("claim") + "id=\"claim-".len();
        page.body[start..].split('"').next().expect("code").to_owned()
    };
    let desk = c.app.logged_in(&c.clerk).await;
    let page = desk.get(&format!("/clerk/collection?card={card}")).await;
    assert!(page.contains(&format!("id=\"claim-{code}\"")), "{}", page.body);
    let handed = desk
        .submit(
            &format!("/clerk/collection?card={card}"),
            &format!("/clerk/collection/claims/{code}/hand-over"),
            &[("card", &card)],
        )
        .await;
    assert!(handed.contains(&format!("Reward {code} handed over.")), "{}", handed.body);
    let late = buyer.submit("/collection", &format!("/collection/claims/{code}/cancel"), &[]).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "handed over is final: {}", late.body);
    assert_eq!(figure(&buyer.get("/consumables").await, "points"), "50");
    assert_balanced(&c.app);
}

#[tokio::test]
async fn admins_publish_rules_that_shoppers_read_and_bad_rules_come_back_marked() {
    let c = setup().await;
    let admin = c.app.logged_in(&c.admin).await;
    let fields = |tiers: &'static str, value: &'static str| {
        vec![
            ("points_reusable", "30"),
            ("points_other", "10"),
            ("tiers", tiers),
            ("monthly_cap", "0"),
            ("allowance", "1"),
            ("expiry_months", "6"),
            ("point_value", value),
            ("kind", "toner-cartridge"),
        ]
    };
    let bad = admin.submit("/admin/collection", "/admin/collection/rules", &fields("80:200 50:150", "0")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.field_error("tiers").expect("tiers").contains("lowest rate"));
    assert!(bad.field_error("point_value").is_some());
    assert_eq!(bad.input_value("tiers").as_deref(), Some("80:200 50:150"), "kept");
    let done = admin.submit("/admin/collection", "/admin/collection/rules", &fields("40:125", "0.05")).await;
    assert!(done.contains("Rules published"), "{}", done.body);
    let buyer = c.app.logged_in(&c.world.buyer).await;
    let page = buyer.get("/collection").await;
    for says in [
        "Each reusable cartridge earns 30 points",
        "from a 40% collection rate: points × 1.25",
        "plus 1 more",
        "expire 6 months",
        "worth 0.05 EUR",
    ] {
        assert!(page.contains(says), "{says}: {}", page.body);
    }
    assert!(!page.contains("At most"), "no monthly cap");
    assert_eq!(buyer.get("/admin/collection").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn two_tabs_redeeming_the_same_points_at_once_redeem_them_once() {
    let c = setup().await;
    let buyer = c.app.logged_in(&c.world.buyer).await;
    let card = register(&buyer).await;
    give_points(&c, &card, "100").await;
    let (user, db) = (c.world.buyer.id.clone(), c.app.db.clone());
    let reward = c
        .app
        .db
        .write(|conn| {
            let form = shop::collection::RewardForm {
                name: "Mug".into(),
                points: "100".into(),
                stock: "50".into(),
                active: "yes".into(),
            };
            shop::collection::add_reward(conn, &form, shop::db::now())
        })
        .await
        .expect("reward");
    let tries: Vec<_> = (0..8)
        .map(|_| {
            let (db, user, reward) = (db.clone(), user.clone(), reward.id.to_string());
            tokio::spawn(async move {
                let key = IdempotencyKey::new().to_string();
                db.write(move |conn| shop::collection::claim_reward(conn, &user, &reward, &key, shop::db::now())).await
            })
        })
        .collect();
    let mut won = 0;
    for t in tries {
        match t.await.expect("task") {
            Ok(_) => won += 1,
            Err(shop::collection::CollectionError::Refused(shop::collection::Refusal::NotEnoughPoints { .. })) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_balanced(&c.app);
}

mod randomized {
    //! Long random sequences of records, corrections, redemptions for orders and their
    //! restoring, reward claims and their cancellation, admin adjustments and expiry rounds, run
    //! by several threads at once on a few members; after every step: no balance negative,
    //! balance = sum of entries = sum of the lots' remainders, nothing restored twice.

    use std::sync::Mutex;

    use chrono::NaiveDateTime;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    use shop::collection::{self as collection, ClaimState, CollectionError, Decider, RecordForm};

    use super::*;

    #[derive(Clone, Debug)]
    enum Op {
        Record { member: usize, quantity: i64, reusable: bool },
        Correct { slot: usize },
        Redeem { member: usize, points: i64 },
        Restore { slot: usize },
        Claim { member: usize },
        CancelClaim { slot: usize },
        Adjust { member: usize, points: i64 },
        Bought { member: usize, quantity: i64 },
        Expire { days: i64 },
    }

    fn op() -> impl Strategy<Value = Op> {
        let member = 0..3usize;
        prop_oneof![
            4 => (member.clone(), 1..20i64, any::<bool>()).prop_map(|(member, quantity, reusable)| Op::Record { member, quantity, reusable }),
            2 => any::<usize>().prop_map(|slot| Op::Correct { slot }),
            3 => (member.clone(), 1..400i64).prop_map(|(member, points)| Op::Redeem { member, points }),
            2 => any::<usize>().prop_map(|slot| Op::Restore { slot }),
            2 => member.clone().prop_map(|member| Op::Claim { member }),
            1 => any::<usize>().prop_map(|slot| Op::CancelClaim { slot }),
            1 => (member.clone(), -300..300i64).prop_map(|(member, points)| Op::Adjust { member, points }),
            2 => (member, 1..10i64).prop_map(|(member, quantity)| Op::Bought { member, quantity }),
            1 => (0..900i64).prop_map(|days| Op::Expire { days }),
        ]
    }

    struct World {
        db: shop::db::Db,
        members: Vec<(shop::accounts::UserId, String)>,
        clerk: shop::accounts::UserId,
        reward: String,
        records: Mutex<Vec<String>>,
        orders: Mutex<Vec<String>>,
        claims: Mutex<Vec<String>>,
    }

    /// What a step made, for the list of those later steps pick from.
    type Made<'a> = (&'a Mutex<Vec<String>>, String);

    fn at(days: i64) -> NaiveDateTime {
        shop::db::now() + chrono::Duration::days(days)
    }

    fn pick(list: &Mutex<Vec<String>>, slot: usize) -> Option<String> {
        let list = list.lock().expect("lock");
        (!list.is_empty()).then(|| list[slot % list.len()].clone())
    }

    impl World {
        fn step(&self, op: &Op, thread: usize, n: usize) -> Result<(), CollectionError> {
            let key = IdempotencyKey::new().to_string();
            let now = at(0);
            // What a step made is listed for later steps once it has committed.
            let result = self.db.write_blocking(|c| -> Result<Option<Made<'_>>, CollectionError> {
                match op {
                    Op::Record { member, quantity, reusable } => {
                        let form = RecordForm {
                            card: self.members[*member].1.clone(),
                            cartridge: "other".into(),
                            quantity: quantity.to_string(),
                            reusable: if *reusable { "yes".into() } else { "no".into() },
                            key,
                        };
                        let done = collection::record(c, &form, &self.clerk, "EUR", now)?;
                        Ok(Some((&self.records, done.record.id.to_string())))
                    }
                    Op::Correct { slot } => match pick(&self.records, *slot) {
                        Some(id) => collection::correct(c, &id, "random", &key, &self.clerk, now).map(|_| None),
                        None => Ok(None),
                    },
                    Op::Redeem { member, points } => {
                        let order = format!("order-{thread}-{n}-{}", hex::encode(rand::random::<[u8; 4]>()));
                        let mut held = collection::hold_for_points(c, &self.members[*member].0, "EUR")?;
                        collection::redeem_held(c, &mut held, *points, &order, &order, now)?;
                        Ok(Some((&self.orders, order)))
                    }
                    Op::Restore { slot } => match pick(&self.orders, *slot) {
                        Some(order) => collection::restore_for_order(c, &order, &order, now).map(|_| None),
                        None => Ok(None),
                    },
                    Op::Claim { member } => {
                        let claim = collection::claim_reward(c, &self.members[*member].0, &self.reward, &key, now)?;
                        Ok(Some((&self.claims, claim.code)))
                    }
                    Op::CancelClaim { slot } => match pick(&self.claims, *slot) {
                        Some(code) => {
                            collection::decide_claim(c, &code, ClaimState::Cancelled, Decider::Clerk(&self.clerk), now)
                                .map(|_| None)
                        }
                        None => Ok(None),
                    },
                    Op::Adjust { member, points } => collection::adjust(
                        c,
                        &self.members[*member].1,
                        &points.to_string(),
                        "random",
                        &self.clerk,
                        "EUR",
                        now,
                    )
                    .map(|_| None),
                    Op::Bought { member, quantity } => {
                        let kinds = shop::catalog::kinds(c)?;
                        let toner = kinds.iter().find(|k| k.code == "toner-cartridge").expect("kind").id.clone();
                        let source = format!("bought-{thread}-{n}");
                        collection::cartridges_bought(
                            c,
                            &self.members[*member].0,
                            &source,
                            &[(toner, *quantity)],
                            "EUR",
                            now,
                        )
                        .map(|()| None)
                    }
                    Op::Expire { days } => collection::expire_due(c, at(*days), 50).map(|_| None),
                }
            });
            match result {
                Ok(made) => {
                    if let Some((list, item)) = made {
                        list.lock().expect("lock").push(item);
                    }
                    Ok(())
                }
                Err(CollectionError::Refused(_)) | Err(CollectionError::Invalid(_)) => Ok(()),
                Err(other) => Err(other),
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn random_concurrent_sequences_keep_the_points_ledger_exact() {
        let c = setup().await;
        let mut members = Vec::new();
        for _ in 0..3 {
            let person = c.app.shopper().await;
            let id = person.id.clone();
            let member =
                c.app.db.write(move |conn| collection::register(conn, &id, shop::db::now())).await.expect("member");
            members.push((person.id, member.card_number));
        }
        let reward = c
            .app
            .db
            .write(|conn| {
                let form = collection::RewardForm {
                    name: "Mug".into(),
                    points: "40".into(),
                    stock: "30".into(),
                    active: "yes".into(),
                };
                collection::add_reward(conn, &form, shop::db::now())
            })
            .await
            .expect("reward");
        let world = World {
            db: c.app.db.clone(),
            members,
            clerk: c.clerk.id.clone(),
            reward: reward.id.to_string(),
            records: Mutex::new(Vec::new()),
            orders: Mutex::new(Vec::new()),
            claims: Mutex::new(Vec::new()),
        };
        let cases = std::env::var("COLLECTION_RANDOM_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(16);
        let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
        let strategy = proptest::collection::vec(proptest::collection::vec(op(), 10..40), 3);
        let outcome = runner.run(&strategy, |threads| {
            run_concurrently(
                &threads,
                |op, t, n| world.step(op, t, n).map_err(|e| format!("{e:?}")),
                || {
                    let found = world.db.snapshot_blocking(collection::check_invariants).map_err(|e| e.to_string())?;
                    if found.hold() { Ok(()) } else { Err(format!("{found:?}")) }
                },
            )
        });
        if let Err(e) = outcome {
            panic!("{e}");
        }
        assert_balanced(&c.app);
        assert!(!world.records.lock().expect("lock").is_empty(), "the sequences recorded cartridges");
    }
}
