//! Buy-back on both databases: the whole path through the pages, the service's guarantees (once,
//! both or neither), and the attempt limit per order number across instances.

use diesel::prelude::*;
use reqwest::StatusCode;
use shop::accounts::Role;
use shop::buyback::{self, ApplyForm, CenterForm, GradeForm, PriceForm, RuleForm};
use shop::db::schema::offers;
use shop::echeck;

use crate::helpers::*;

/// A delivered order of a trade-in eligible offer (maker Acme, model P100): its number.
async fn delivered_eligible_order(app: &TestApp, w: &OrderWorld) -> String {
    delivered_order_of(app, w, "P100").await
}

/// A delivered order of a new trade-in eligible offer of an Acme `model`: its number.
async fn delivered_order_of(app: &TestApp, w: &OrderWorld, model: &str) -> String {
    let code = app.stocked_offer(&w.seller, "Acme", model, "100.00", 5).await;
    let c = code.clone();
    app.db
        .write_blocking(move |conn| {
            diesel::update(offers::table.filter(offers::code.eq(&c)))
                .set(offers::trade_in.eq(true))
                .execute(conn)
                .map_err(shop::db::DbError::Query)
        })
        .expect("eligible");
    let shopper = app.logged_in(&w.buyer).await;
    shopper.add_to_cart(&code, "1").await;
    let number = order_number(&shopper.check_out(&[]).await);
    let seller = app.logged_in(&w.seller).await;
    let page = format!("/sell/orders/{number}");
    seller.submit(&page, &format!("{page}/confirm"), &[]).await;
    seller.submit(&page, &format!("{page}/ship"), &[("carrier", "SWIFT")]).await;
    let courier = app.logged_in(&w.courier).await;
    courier.submit("/carrier/shipments", &format!("/carrier/shipments/{number}/delivered"), &[]).await;
    number
}

fn form(number: &str, phone: &str) -> ApplyForm {
    ApplyForm {
        order: number.to_owned(),
        full_name: "Sam Shopper".into(),
        phone: phone.into(),
        maker: "Zeta".into(),
        model: "Z9".into(),
        grade: "good".into(),
        key: shop::web::idempotency::IdempotencyKey::new().to_string(),
        ..Default::default()
    }
}

#[tokio::test]
async fn an_application_is_verified_estimated_offered_and_paid_once() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let number = delivered_eligible_order(&app, &w).await;
    let (admin, seller) = (w.seller.id.clone(), w.seller.id.clone());
    let now = shop::db::now();
    let center = service_center(&app, &admin, "60.00");
    app.db
        .write_blocking(move |c| {
            let any = RuleForm { kind: "cash".into(), amount: "5.00".into(), ..Default::default() };
            buyback::add_rule(c, &any, None, &admin, "EUR", now)?;
            let own = RuleForm {
                bought_maker: "Acme".into(),
                used_maker: "Zeta".into(),
                kind: "percent".into(),
                amount: "10".into(),
                ..Default::default()
            };
            buyback::add_rule(c, &own, Some(&seller), &seller, "EUR", now)?;
            let twin = RuleForm { bought_maker: "ACME".into(), used_maker: "zeta".into(), ..own.clone() };
            let overlap = buyback::add_rule(c, &twin, None, &admin, "EUR", now).expect_err("refused");
            assert_eq!(overlap.to_string(), "Overlaps rule 2: change its conditions or its period.");
            Ok::<_, buyback::BuybackError>(())
        })
        .expect("rules");

    // Wrong details and unknown orders answer alike.
    for (n, phone) in [(number.as_str(), "+1 555 9999"), ("ZZZZZ-ZZZZZ", "+1 (555) 01-00")] {
        let f = form(n, phone);
        let err = app.db.write_blocking(move |c| buyback::apply(c, &f, None, b"secret", now)).expect_err("refused");
        assert_eq!(err.to_string(), buyback::NO_MATCH);
    }
    let f = form(&number, "+1 (555) 01-00");
    let (f1, f2) = (f.clone(), f.clone());
    let applied = app.db.write_blocking(move |c| buyback::apply(c, &f1, None, b"secret", now)).expect("applied");
    let again = app.db.write_blocking(move |c| buyback::apply(c, &f2, None, b"secret", now)).expect("same form");
    assert_eq!(applied.application.number, again.application.number, "a double submit applies once");
    assert_eq!(applied.link, again.link);
    let a = &applied.application;
    assert_eq!(
        (a.estimate, a.rule_number, a.benefit_cash),
        (Some(4_000), Some(2), 400),
        "the seller's rule is more specific"
    );
    let second = ApplyForm { key: shop::web::idempotency::IdempotencyKey::new().to_string(), ..f.clone() };
    let err = app.db.write_blocking(move |c| buyback::apply(c, &second, None, b"secret", now)).expect_err("refused");
    assert!(err.to_string().starts_with("This purchase has an application already"), "{err}");

    // The clerk receives, grades below the estimate; the applicant accepts; the clerk pays.
    let (clerk, cid, n) = (w.courier.id.clone(), center.id.clone(), a.number.clone());
    let (clerk2, cid2, n2) = (clerk.clone(), cid.clone(), n.clone());
    let offered = app
        .db
        .write_blocking(move |c| {
            buyback::receive(c, &clerk, &cid, &n, now)?;
            let grade = GradeForm { grade: "good".into(), price: "30.00".into(), reason: "scratched".into() };
            buyback::grade_and_offer(c, &clerk, &cid, &n, &grade, "EUR", now)
        })
        .expect("offered");
    assert_eq!((offered.state, offered.price, offered.benefit_cash), (buyback::AppState::Offered, Some(3_000), 300));
    let link = applied.link.clone();
    app.db
        .write_blocking(move |c| {
            let a = buyback::application_of_link(c, b"secret", &link)?;
            buyback::respond(c, &a, true, None, now)
        })
        .expect("accepted");
    let before = balance_of(&app, &w.buyer.id);
    let pay = || {
        let (clerk, cid, n) = (clerk2.clone(), cid2.clone(), n2.clone());
        app.db.write(move |c| buyback::pay(c, &clerk, &cid, &n, "EUR", now))
    };
    let (first, second) = tokio::join!(pay(), pay());
    for paid in [first, second] {
        assert_eq!(paid.expect("paid").state, buyback::AppState::Paid);
    }
    assert_eq!(balance_of(&app, &w.buyer.id) - before, 3_300, "price and benefit, once");
    let results = app.db.read_blocking(move |c| buyback::results(c, Some(&w.seller.id))).expect("results");
    assert_eq!(results.len(), 1);
    assert_eq!((results[0].price, results[0].benefit_cash, results[0].used_model.as_str()), (3_000, 300, "Z9"));
}

fn balance_of(app: &TestApp, user: &shop::accounts::UserId) -> i64 {
    let user = user.clone();
    app.db.read_blocking(move |c| echeck::shopper_account(c, &user)).expect("account").map_or(0, |a| a.balance)
}

/// The admin registers a center (default, funded, with a price for Zeta items in good condition)
/// and assigns the clerk; the salesperson adds a rule for their Acme goods. All through the pages.
async fn center_through_pages(app: &TestApp, w: &OrderWorld, clerk: &Person) {
    let admin = app.logged_in(&app.admin().await).await;
    let page = admin
        .submit(
            "/admin/buyback/centers",
            "/admin/buyback/centers",
            &[
                ("code", "bb-1"),
                ("name", "North buy-back"),
                ("address", "1 Return Road"),
                ("phone", "555 0101"),
                ("grades", "like new, good, fair, broken"),
                ("active", "yes"),
                ("is_default", "yes"),
            ],
        )
        .await;
    assert_eq!(page.path(), "/admin/buyback/centers/BB-1", "{}", page.body);
    let center = "/admin/buyback/centers/BB-1";
    let prices = format!("{center}/prices");
    let bad = admin.submit(center, &prices, &[("maker", "Zeta"), ("grade", "good"), ("price", "lots")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.field_error("price").is_some() && bad.input_value("maker").as_deref() == Some("Zeta"), "kept");
    admin.submit(center, &prices, &[("maker", "Zeta"), ("grade", "good"), ("price", "40.00")]).await;
    let key = admin.get(center).await.input_value("key").expect("fund key");
    let funded = admin.submit(center, &format!("{center}/fund"), &[("amount", "100.00"), ("key", &key)]).await;
    assert!(funded.contains("100.00"), "{}", funded.body);
    admin
        .submit("/admin/buyback/centers", "/admin/buyback/clerks", &[("email", &clerk.email), ("center", "BB-1")])
        .await;

    let seller = app.logged_in(&w.seller).await;
    let rule = [("bought_maker", "Acme"), ("used_maker", "Zeta"), ("kind", "percent"), ("amount", "10")];
    let saved = seller.submit("/sell/buyback", "/sell/buyback/rules", &rule).await;
    assert!(saved.contains("Rule 1 saved"), "{}", saved.body);
    let twin = admin.submit("/admin/buyback", "/admin/buyback/rules", &rule).await;
    assert!(twin.contains("Overlaps rule 1"), "{}", twin.body);
    assert_eq!(twin.input_value("bought_maker").as_deref(), Some("Acme"), "the form comes back as typed");
}

fn item_fields<'a>(number: &'a str, phone: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("order", number),
        ("full_name", "Sam Shopper"),
        ("phone", phone),
        ("maker", "Zeta"),
        ("model", "Z9"),
        ("grade", "good"),
    ]
}

#[tokio::test]
async fn a_buyer_trades_in_through_the_pages_and_the_salesperson_sees_the_result() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let clerk_person = app.create_user("Cleo Clerk", &[Role::Clerk]).await;
    center_through_pages(&app, &w, &clerk_person).await;
    let number = delivered_eligible_order(&app, &w).await;

    // The order's page and its delivery e-mail invite the buyer.
    let buyer = app.logged_in(&w.buyer).await;
    let order_page = buyer.get(&format!("/orders/{number}")).await;
    assert!(order_page.contains(&format!("/buyback?order={number}")), "{}", order_page.body);
    assert!(app.outbox().iter().any(|m| m.subject == format!("Order {number} delivered")
        && m.body.contains(&format!("http://shop.test/buyback?order={number}"))));
    let start = buyer.get(&format!("/buyback?order={number}")).await;
    assert!(start.contains("North buy-back") && start.contains("1 Return Road"), "the designated center is shown");

    // Someone without an account applies; wrong details get the one plain answer, form kept.
    let visitor = app.browser();
    let form = format!("/buyback?order={number}");
    let wrong = visitor.submit(&form, "/buyback/estimate", &item_fields(&number, "+1 555 9999")).await;
    assert_eq!(wrong.status, StatusCode::CONFLICT);
    assert!(wrong.contains("do not match a delivered purchase"));
    assert_eq!(wrong.input_value("model").as_deref(), Some("Z9"));
    let estimate = visitor.submit(&form, "/buyback/estimate", &item_fields(&number, "+1 (555) 01-00")).await;
    assert_eq!(estimate.status, StatusCode::OK, "{}", estimate.body);
    assert!(estimate.contains("40.00") && estimate.contains("10% of the price"), "{}", estimate.body);
    let key = estimate.input_value("key").expect("key");
    let mut fields = item_fields(&number, "+1 (555) 01-00");
    fields.push(("key", &key));
    let token = estimate.input_value("csrf_token").expect("token");
    fields.push(("csrf_token", &token));
    let status = visitor.post_raw("/buyback/apply", &fields).await;
    assert!(status.path().starts_with("/buyback/status/") && status.contains("Keep this page"), "{}", status.body);
    let link = status.path().trim_end_matches("?new").to_owned();
    let again = visitor.post_raw("/buyback/apply", &fields).await;
    assert_eq!(again.path(), status.path(), "a double submit finds the same application");
    let app_number =
        status.body.split("id=\"number\">").nth(1).and_then(|s| s.split('<').next()).expect("number").to_owned();

    // The clerk receives, grades below the estimate with a reason; the buyer accepts on the link.
    let clerk = app.logged_in(&clerk_person).await;
    assert!(clerk.get("/clerk/buyback").await.contains(&app_number));
    let desk = format!("/clerk/buyback/{app_number}");
    clerk.submit(&desk, &format!("{desk}/receive"), &[]).await;
    let no_reason = clerk.submit(&desk, &format!("{desk}/offer"), &[("grade", "fair"), ("price", "30.00")]).await;
    assert!(no_reason.field_error("reason").is_some(), "a price off the table needs a reason");
    assert_eq!(no_reason.input_value("price").as_deref(), Some("30.00"));
    let offered = clerk
        .submit(&desk, &format!("{desk}/offer"), &[("grade", "good"), ("price", "30.00"), ("reason", "scratched")])
        .await;
    assert!(offered.contains("waits for the applicant"), "{}", offered.body);
    let accepted = visitor.submit(&link, &format!("{link}/accept"), &[]).await;
    assert!(accepted.contains("Offer accepted"), "{}", accepted.body);

    let before = balance_of(&app, &w.buyer.id);
    let paid = clerk.submit(&desk, &format!("{desk}/pay"), &[]).await;
    assert!(paid.contains("Paid"), "{}", paid.body);
    assert_eq!(balance_of(&app, &w.buyer.id) - before, 3_300, "30.00 and 10% of it");
    let after = visitor.get(&link).await;
    assert!(after.contains(">Paid<") && after.contains("id=\"benefit\">3.00"), "{}", after.body);
    assert!(app.outbox().iter().any(|m| m.subject == format!("Buy-back {app_number}: paid")));

    // The salesperson sees the result, without the applicant's personal data.
    let seller = app.logged_in(&w.seller).await;
    let results = seller.get("/sell/buyback").await;
    assert!(results.contains("Zeta Z9") && results.contains("30.00"), "{}", results.body);
    assert!(!results.contains("Sam Shopper") && !results.contains("01-00"));
}

#[tokio::test]
async fn five_wrong_tries_lock_an_order_number_on_every_instance() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let clerk = app.create_user("Cleo Clerk", &[Role::Clerk]).await;
    center_through_pages(&app, &w, &clerk).await;
    let number = delivered_eligible_order(&app, &w).await;
    let visitor = app.browser();
    for _ in 0..5 {
        let wrong = visitor.submit("/buyback", "/buyback/estimate", &item_fields(&number, "+1 555 9999")).await;
        assert!(wrong.contains("do not match"), "{}", wrong.body);
    }
    let other = app.another_instance(|_| {}).await;
    let right = other.browser().submit("/buyback", "/buyback/estimate", &item_fields(&number, "+1 (555) 01-00")).await;
    assert!(right.contains("Too many tries with this order number"), "{}", right.body);
    // Another order number is not affected.
    let fresh = app.browser().submit("/buyback", "/buyback/estimate", &item_fields("ZZZZZ-ZZZZZ", "+1 555 0100")).await;
    assert!(fresh.contains("do not match"), "{}", fresh.body);
    // A salesperson withdraws their rule; then the admins' rule with its conditions is no overlap.
    let seller = app.logged_in(&w.seller).await;
    let page = seller.get("/sell/buyback").await;
    let action =
        page.body.split("action=\"/sell/buyback/rules/").nth(1).and_then(|s| s.split('"').next()).expect("a rule");
    let withdrawn = seller.submit("/sell/buyback", &format!("/sell/buyback/rules/{action}"), &[]).await;
    assert!(withdrawn.contains("Rule withdrawn") && !withdrawn.contains("id=\"rule-1\""), "{}", withdrawn.body);
    let admin = app.logged_in(&app.admin().await).await;
    let rule = [("bought_maker", "Acme"), ("used_maker", "Zeta"), ("kind", "percent"), ("amount", "10")];
    let saved = admin.submit("/admin/buyback", "/admin/buyback/rules", &rule).await;
    assert!(saved.contains("Rule 2 saved"), "{}", saved.body);
}

/// A center (default, active) with a price for Zeta items in good condition, funded with `funds`.
fn service_center(app: &TestApp, admin: &shop::accounts::UserId, funds: &str) -> shop::buyback::Center {
    let (admin, funds) = (admin.clone(), funds.to_owned());
    let now = shop::db::now();
    app.db
        .write_blocking(move |c| {
            let form = CenterForm {
                code: "BB-1".into(),
                name: "North buy-back".into(),
                address: "1 Return Road".into(),
                phone: "555 0101".into(),
                active: "yes".into(),
                is_default: "yes".into(),
                ..Default::default()
            };
            let center = buyback::save_center(c, None, &form, now)?;
            let price =
                PriceForm { maker: "Zeta".into(), grade: "good".into(), price: "40.00".into(), ..Default::default() };
            buyback::set_price(c, &center.id, &price, "EUR", now)?;
            if !funds.is_empty() {
                let key = shop::web::idempotency::IdempotencyKey::new().to_string();
                buyback::fund_center(c, &center.id, &funds, &key, &admin, now)?;
            }
            Ok::<_, buyback::BuybackError>(center)
        })
        .expect("center")
}

/// Applies for `number` and has a clerk of the center receive it and offer `price` (empty: the
/// table's) at grade good.
fn applied_and_offered(
    app: &TestApp,
    center: &shop::buyback::Center,
    number: &str,
    price: &str,
) -> shop::buyback::Application {
    let (f, cid, price) = (form(number, "+1 (555) 01-00"), center.id.clone(), price.to_owned());
    let now = shop::db::now();
    app.db
        .write_blocking(move |c| {
            let clerk = shop::accounts::UserId::new();
            let applied = buyback::apply(c, &f, None, b"secret", now)?;
            let n = applied.application.number.clone();
            buyback::receive(c, &clerk, &cid, &n, now)?;
            let reason = if price.is_empty() { String::new() } else { "as found".into() };
            let grade = GradeForm { grade: "good".into(), price, reason };
            buyback::grade_and_offer(c, &clerk, &cid, &n, &grade, "EUR", now)
        })
        .expect("offered")
}

#[tokio::test]
async fn undelivered_and_ineligible_purchases_answer_like_wrong_details() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    service_center(&app, &w.seller.id, "");
    // Placed, not delivered.
    let code = app.stocked_offer(&w.seller, "Acme", "P200", "10.00", 5).await;
    let c = code.clone();
    app.db
        .write_blocking(move |conn| {
            diesel::update(offers::table.filter(offers::code.eq(&c)))
                .set(offers::trade_in.eq(true))
                .execute(conn)
                .map_err(shop::db::DbError::Query)
        })
        .expect("eligible");
    let shopper = app.logged_in(&w.buyer).await;
    shopper.add_to_cart(&code, "1").await;
    let placed = order_number(&shopper.check_out(&[]).await);
    // Delivered, but not trade-in eligible.
    let delivered = delivered_eligible_order(&app, &w).await;
    app.db
        .write_blocking(|conn| {
            diesel::update(offers::table.filter(offers::code.ne(&code)))
                .set(offers::trade_in.eq(false))
                .execute(conn)
                .map_err(shop::db::DbError::Query)
        })
        .expect("ineligible");
    for number in [placed, delivered] {
        let f = form(&number, "+1 (555) 01-00");
        let err = app
            .db
            .write_blocking(move |c| buyback::apply(c, &f, None, b"secret", shop::db::now()))
            .expect_err("refused");
        assert_eq!(err.to_string(), buyback::NO_MATCH);
    }
}

#[tokio::test]
async fn a_declined_offer_returns_the_item_and_a_poor_center_pays_nothing() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let center = service_center(&app, &w.seller.id, "10.00");
    let number = delivered_eligible_order(&app, &w).await;
    let offered = applied_and_offered(&app, &center, &number, "30.00");
    assert_eq!(offered.state, buyback::AppState::Offered);
    let a = offered.clone();
    app.db.write_blocking(move |c| buyback::respond(c, &a, false, None, shop::db::now())).expect("declined");
    let (cid, n) = (center.id.clone(), offered.number.clone());
    let err = app
        .db
        .write_blocking(move |c| buyback::pay(c, &shop::accounts::UserId::new(), &cid, &n, "EUR", shop::db::now()))
        .expect_err("a returned item is not paid");
    assert!(err.to_string().contains("Item returned"), "{err}");

    // The same buyer's next order: the table's price stands, but the center holds 10.00.
    let number = delivered_order_of(&app, &w, "P101").await;
    let offered = applied_and_offered(&app, &center, &number, "");
    assert_eq!((offered.state, offered.price), (buyback::AppState::Accepted, Some(4_000)), "the table's price stands");
    let before = balance_of(&app, &w.buyer.id);
    let (cid, n) = (center.id.clone(), offered.number.clone());
    let err = app
        .db
        .write_blocking(move |c| buyback::pay(c, &shop::accounts::UserId::new(), &cid, &n, "EUR", shop::db::now()))
        .expect_err("too little money");
    assert!(err.to_string().starts_with("The center's account cannot pay this now"), "{err}");
    assert_eq!(balance_of(&app, &w.buyer.id), before, "nothing moved");
    let n = offered.number.clone();
    let cid = center.id.clone();
    let still = app.db.read_blocking(move |c| buyback::desk_application(c, &cid, &n)).expect("read").0;
    assert_eq!(still.state, buyback::AppState::Accepted, "both or neither: the state did not move either");
    app.assert_books_balance();
}

#[tokio::test]
async fn a_points_benefit_reaches_the_collection_and_personal_data_is_erased_later() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let center = service_center(&app, &w.seller.id, "100.00");
    let admin = w.seller.id.clone();
    app.db
        .write_blocking(move |c| {
            let rule = RuleForm {
                used_model: "Z9".into(),
                used_maker: "Zeta".into(),
                kind: "points".into(),
                amount: "250".into(),
                ..Default::default()
            };
            buyback::add_rule(c, &rule, None, &admin, "EUR", shop::db::now())
        })
        .expect("rule");
    let number = delivered_eligible_order(&app, &w).await;
    let offered = applied_and_offered(&app, &center, &number, "");
    assert_eq!((offered.benefit_points, offered.benefit_cash), (250, 0));
    let (cid, n) = (center.id.clone(), offered.number.clone());
    app.db
        .write_blocking(move |c| buyback::pay(c, &shop::accounts::UserId::new(), &cid, &n, "EUR", shop::db::now()))
        .expect("paid");
    let buyer = w.buyer.id.clone();
    let points =
        app.db.read_blocking(move |c| shop::collection::available_points(c, &buyer, shop::db::now())).expect("points");
    assert_eq!(points, 250, "the buyer became a member with the points");

    let erased = app
        .db
        .write_blocking(|c| {
            buyback::erase_ended(c, buyback::KeepDays(0), shop::db::now() + chrono::Duration::seconds(1), 100)
        })
        .expect("erase");
    assert_eq!(erased, 1);
    let (cid, n) = (center.id.clone(), offered.number.clone());
    let after = app.db.read_blocking(move |c| buyback::desk_application(c, &cid, &n)).expect("read").0;
    assert_eq!((after.applicant_name.as_str(), after.applicant_contact.as_str()), ("", ""));
    let results = app.db.read_blocking(|c| buyback::results(c, None)).expect("results");
    assert_eq!(results.len(), 1, "the result stays");
}

#[tokio::test]
async fn two_applications_for_one_line_at_once_make_one() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    service_center(&app, &w.seller.id, "");
    let number = delivered_eligible_order(&app, &w).await;
    let now = shop::db::now();
    let one = || {
        let f = form(&number, "+1 (555) 01-00");
        app.db.write(move |c| buyback::apply(c, &f, None, b"secret", now))
    };
    let (a, b) = tokio::join!(one(), one());
    let (made, refused): (Vec<_>, Vec<_>) = [a, b].into_iter().partition(Result::is_ok);
    assert_eq!(made.len(), 1, "one application per purchased line");
    let err = refused.into_iter().next().and_then(Result::err).expect("the other refused");
    assert!(err.to_string().starts_with("This purchase has an application already"), "{err}");
}
