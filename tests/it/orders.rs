//! Orders through the pages: carts, checkout, each role's step in the order's life, the races that
//! must not oversell or double-order, cancellations, and the purchase facts buy-back relies on.

use std::time::Duration;

use reqwest::StatusCode;
use shop::accounts::rules::BuyerProof;
use shop::echeck::{self, Party};
use shop::notify::MailState;
use shop::orders::{self, OrderState};

use crate::helpers::*;

/// How many orders the database holds, and in which states.
fn order_states(app: &TestApp) -> Vec<String> {
    use diesel::prelude::*;
    use shop::db::schema::orders::dsl::*;
    app.query(|c| orders.select(state).order(number).load::<String>(c))
}

async fn wait_until_sent(app: &TestApp, count: usize) -> Vec<shop::notify::Mail> {
    for _ in 0..200 {
        let mails = app.outbox();
        if mails.iter().filter(|m| m.state == MailState::Sent).count() >= count {
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the e-mails were not sent: {:?}", app.outbox().iter().map(|m| (&m.subject, &m.state)).collect::<Vec<_>>());
}

#[tokio::test]
async fn an_order_lives_from_cart_to_delivery_with_each_role_on_its_pages() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let code = app.stocked_offer(&w.seller, "Acme", "P100", "120.00", 5).await;

    // The shopper fills the cart from the product page and checks out with an e-check.
    let shopper = app.logged_in(&w.buyer).await;
    let product = shopper.get(&format!("/catalog/{code}")).await;
    assert!(product.contains("action=\"/cart/add\""), "the product page carries the form: {}", product.body);
    assert!(product.contains(&w.office.name), "the offer names its selling office: {}", product.body);
    let cart = shopper.submit(&format!("/catalog/{code}"), "/cart/add", &[("offer", &code), ("quantity", "2")]).await;
    assert_eq!(cart.path(), format!("/cart?added={code}"));
    assert!(cart.contains("240.00 EUR") && cart.contains("Added to your cart"), "{}", cart.body);
    let checkout = shopper.get("/checkout").await;
    assert!(checkout.contains("1 Test Street"), "the address comes from the profile");
    let placed = shopper.check_out(&[("slot", "morning"), ("date", "")]).await;
    assert_eq!(placed.status, StatusCode::OK, "{}", placed.body);
    let number = order_number(&placed);
    assert!(placed.contains("placed, awaiting price confirmation") && placed.contains("Thank you!"));
    assert_eq!(number.len(), 11, "two groups of five: {number}");
    assert_eq!(app.stock_of(&code), 3);
    assert_eq!(app.credit_account(&w.buyer.id).held, 24_000, "the e-check holds the total");
    assert!(shopper.get("/cart").await.contains("Your cart is empty"));
    assert!(shopper.get("/orders").await.contains(&number));

    // The salesperson confirms the price: no approval needed, so the confirmation goes out.
    let seller = app.logged_in(&w.seller).await;
    assert!(seller.get("/sell/orders").await.contains(&number));
    let page = format!("/sell/orders/{number}");
    let confirmed = seller.submit(&page, &format!("{page}/confirm"), &[]).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert!(confirmed.contains("price confirmed"));
    let mails = app.outbox();
    let to_buyer = mails.iter().find(|m| m.recipient == w.buyer.email).expect("a confirmation to the buyer");
    assert_eq!(to_buyer.subject, format!("Order {number} confirmed"));
    for part in [
        number.as_str(),
        "Sam Shopper",
        "2 x Acme P100",
        "120.00 EUR",
        "240.00 EUR",
        "As soon as possible, morning",
        "Office NORTH",
        "2 Trade Street",
        "Phone +1 555 0200",
        "Fax +1 555 0201",
    ] {
        assert!(to_buyer.body.contains(part), "the confirmation lacks {part:?}: {}", to_buyer.body);
    }
    assert!(mails.iter().any(|m| m.recipient == w.seller.email && m.subject == to_buyer.subject), "and to the seller");

    // The salesperson ships with the carrier: payment is demanded, the carrier is instructed.
    let shipped = seller.submit(&page, &format!("{page}/ship"), &[("carrier", "SWIFT")]).await;
    assert_eq!(shipped.status, StatusCode::OK, "{}", shipped.body);
    assert!(shipped.contains("shipped"));
    let account = app.credit_account(&w.buyer.id);
    assert_eq!((account.balance, account.held), (-24_000, 0), "the hold is posted");
    let instruction = app.outbox().into_iter().find(|m| m.recipient == w.courier.email).expect("delivery instruction");
    assert!(instruction.body.contains("12 Market Street") && instruction.body.contains("2 x Acme P100"));

    // The carrier reports the delivery; the e-check records it.
    let courier = app.logged_in(&w.courier).await;
    let list = courier.get("/carrier/shipments").await;
    assert!(list.contains(&number) && list.contains("Sam Shopper"), "{}", list.body);
    let done = courier
        .submit(
            "/carrier/shipments",
            &format!("/carrier/shipments/{number}/delivered"),
            &[("report", "Left with the neighbour")],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let check_code = app
        .query(|c| {
            use diesel::prelude::*;
            use shop::db::schema::orders::dsl::*;
            orders.select(check_code).first::<Option<String>>(c)
        })
        .expect("paid by check");
    let check = app.echeck(|c| echeck::check(c, &check_code, Party::Operator)).expect("check");
    assert_eq!(check.delivery_report.as_deref(), Some("Left with the neighbour"));

    // The shopper sees the whole timeline.
    let mine = shopper.get(&format!("/orders/{number}")).await;
    let timeline = mine.body.split("id=\"timeline\"").nth(1).expect("timeline");
    for step in ["placed, awaiting price confirmation", "price confirmed", "shipped", "delivered"] {
        assert!(timeline.contains(step), "the timeline lacks {step}: {timeline}");
    }
    app.assert_books_balance();

    // The worker writes the e-mails into the data folder when no SMTP server is set.
    let mails = wait_until_sent(&app, 3).await;
    let folder = app.config.data_dir.join("outbox");
    for mail in mails.iter().filter(|m| m.state == MailState::Sent) {
        let eml = std::fs::read_to_string(folder.join(format!("{}.eml", mail.id))).expect("the .eml file");
        assert!(eml.contains(&format!("Subject: {}", mail.subject)), "{eml}");
    }
}

#[tokio::test]
async fn makers_that_require_it_approve_or_reject_and_others_are_skipped() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let maker = app.maker_person("Kawase", true).await;
    let needs = app.stocked_offer(&w.seller, "Kawase", "K1", "50.00", 10).await;
    let shopper = app.logged_in(&w.buyer).await;
    let seller = app.logged_in(&w.seller).await;
    let approver = app.logged_in(&maker).await;

    shopper.add_to_cart(&needs, "1").await;
    let first = order_number(&shopper.check_out(&[]).await);
    shopper.add_to_cart(&needs, "2").await;
    let second = order_number(&shopper.check_out(&[]).await);
    for n in [&first, &second] {
        let page = format!("/sell/orders/{n}");
        assert!(seller.submit(&page, &format!("{page}/confirm"), &[]).await.contains("waiting for the maker"));
    }
    assert!(app.outbox().is_empty(), "no confirmation before the maker approves");
    let early = seller
        .submit(&format!("/sell/orders/{first}"), &format!("/sell/orders/{first}/ship"), &[("carrier", "SWIFT")])
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert!(early.contains("The maker has not approved this order yet."));

    let waiting = approver.get("/maker/approvals").await;
    assert!(waiting.contains(&first) && waiting.contains(&second));
    assert!(!waiting.contains("Sam Shopper") && !waiting.contains("1 Test Street"), "makers see no personal data");
    let approved = approver.submit("/maker/approvals", &format!("/maker/approvals/{first}/approve"), &[]).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert!(app.outbox().iter().any(|m| m.subject == format!("Order {first} confirmed")));

    let blank =
        approver.submit("/maker/approvals", &format!("/maker/approvals/{second}/reject"), &[("reason", " ")]).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(blank.field_error("reason").is_some());
    let rejected = approver
        .submit("/maker/approvals", &format!("/maker/approvals/{second}/reject"), &[("reason", "Model discontinued")])
        .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.body);
    let cancelled = app.outbox().into_iter().find(|m| m.subject == format!("Order {second} cancelled")).expect("mail");
    assert!(cancelled.body.contains("Rejected by Kawase: Model discontinued"), "{}", cancelled.body);
    assert_eq!(app.stock_of(&needs), 9, "the rejected order's units are back");
    assert_eq!(app.credit_account(&w.buyer.id).held, 5_000, "only the approved order still holds credit");

    let shipped = seller
        .submit(&format!("/sell/orders/{first}"), &format!("/sell/orders/{first}/ship"), &[("carrier", "SWIFT")])
        .await;
    assert!(shipped.contains("shipped"), "{}", shipped.body);

    // Goods of makers without the setting skip the approval.
    let free = app.stocked_offer(&w.seller, "Acme", "A1", "10.00", 10).await;
    shopper.add_to_cart(&free, "1").await;
    let third = order_number(&shopper.check_out(&[]).await);
    let page = format!("/sell/orders/{third}");
    seller.submit(&page, &format!("{page}/confirm"), &[]).await;
    let shipped = seller.submit(&page, &format!("{page}/ship"), &[("carrier", "SWIFT")]).await;
    assert!(shipped.contains("shipped"), "{}", shipped.body);
    assert!(!approver.get("/maker/approvals").await.contains(&third));
    app.assert_books_balance();
}

#[tokio::test]
async fn a_visitors_cart_joins_the_shoppers_at_login() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let a = app.stocked_offer(&w.seller, "Acme", "A1", "10.00", 10).await;
    let b = app.stocked_offer(&w.seller, "Acme", "B1", "20.00", 10).await;

    let before = app.logged_in(&w.buyer).await;
    before.add_to_cart(&a, "1").await;
    before.log_out().await;

    let visitor = app.browser();
    let product = visitor.get(&format!("/catalog/{a}")).await;
    assert!(product.contains(&format!("href=\"/cart/add?offer={a}\"")), "no session: a link to the form");
    assert!(visitor.cookies().is_empty(), "a product page starts no session");
    visitor.add_to_cart(&a, "2").await;
    let cart = visitor.add_to_cart(&b, "1").await;
    assert!(cart.contains("Log in to check out"), "{}", cart.body);
    let product = visitor.get(&format!("/catalog/{b}")).await;
    assert!(product.contains("action=\"/cart/add\""), "with a session the product page has the form");

    visitor.log_in(&w.buyer.email, &w.buyer.password).await;
    let merged = visitor.get("/cart").await;
    assert!(merged.contains("value=\"3\""), "1 kept plus 2 from the visit: {}", merged.body);
    assert!(merged.contains("B1"));
    assert!(merged.contains("50.00 EUR"), "{}", merged.body);
}

#[tokio::test]
async fn bad_quantities_vanished_offers_and_changed_prices_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let code = app.stocked_offer(&w.seller, "Acme", "A1", "10.00", 3).await;
    let shopper = app.logged_in(&w.buyer).await;

    for (typed, message) in [
        ("0", "at least 1"),
        ("-2", "cannot be negative"),
        ("two", "whole number"),
        ("4", "Only 3 in stock"),
        ("99999999999999999999", "At most 999"),
    ] {
        let page = shopper.add_to_cart(&code, typed).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        assert!(page.field_error("quantity").is_some_and(|e| e.contains(message)), "{typed}: {}", page.body);
        assert_eq!(page.input_value("quantity").as_deref(), Some(typed), "the value typed comes back");
    }
    assert!(shopper.get("/cart").await.contains("Your cart is empty"));
    let (s, c) = (w.seller.id.clone(), code.clone());
    app.db.write(move |conn| shop::catalog::change_offer(conn, &s, &c, "10.00", "2000")).await.expect("stock");
    shopper.add_to_cart(&code, "990").await;
    let beyond = shopper.add_to_cart(&code, "10").await;
    assert!(beyond.field_error("quantity").is_some_and(|e| e.contains("add at most 9")), "{}", beyond.body);
    shopper.submit("/cart", &format!("/cart/{code}/remove"), &[]).await;
    let (s, c) = (w.seller.id.clone(), code.clone());
    app.db.write(move |conn| shop::catalog::change_offer(conn, &s, &c, "10.00", "3")).await.expect("stock");
    let unknown = shopper.submit("/cart", "/cart/add", &[("offer", "NOSUCH"), ("quantity", "1")]).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    shopper.add_to_cart(&code, "2").await;
    let changed = shopper.submit("/cart", &format!("/cart/{code}/quantity"), &[("quantity", "7")]).await;
    assert_eq!(changed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(changed.contains("Only 3 in stock") && changed.contains("value=\"7\""));

    // The price changes after the cart was filled: shown on the cart and at checkout, and a form
    // sent with the old prices places nothing.
    let stale = shopper.get("/checkout").await;
    let (s, c) = (w.seller.id.clone(), code.clone());
    app.db.write(move |conn| shop::catalog::change_offer(conn, &s, &c, "12.00", "3")).await.expect("new price");
    assert!(shopper.get("/cart").await.contains("the price changed: it was 10.00 EUR"));
    let refused = shopper.check_out_from(&stale, &[]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.contains("Prices or stock changed"), "{}", refused.body);
    assert!(refused.contains("price changed from 10.00 EUR"));
    assert!(order_states(&app).is_empty());
    assert_eq!(app.stock_of(&code), 3);

    // Bad form fields come back with the values entered.
    let bad = shopper.check_out(&[("address", ""), ("date", "2001-01-01"), ("payment", "gold")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["address", "date", "payment"] {
        assert!(bad.field_error(field).is_some(), "no message for {field}: {}", bad.body);
    }
    assert!(bad.contains("value=\"2001-01-01\""));

    // The offer is withdrawn: the checkout says so.
    let (s, c) = (w.seller.id.clone(), code.clone());
    app.db.write(move |conn| shop::catalog::withdraw_offer(conn, &s, &c)).await.expect("withdraw");
    let gone = shopper.check_out(&[]).await;
    assert_eq!(gone.status, StatusCode::CONFLICT);
    assert!(gone.contains("is no longer offered"), "{}", gone.body);
    assert!(order_states(&app).is_empty());
}

#[tokio::test]
async fn steps_out_of_order_by_the_wrong_role_or_on_others_orders_are_refused() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let code = app.stocked_offer(&w.seller, "Acme", "A1", "10.00", 5).await;
    let shopper = app.logged_in(&w.buyer).await;
    shopper.add_to_cart(&code, "1").await;
    let number = order_number(&shopper.check_out(&[]).await);

    let seller = app.logged_in(&w.seller).await;
    let page = format!("/sell/orders/{number}");
    let early = seller.submit(&page, &format!("{page}/ship"), &[("carrier", "SWIFT")]).await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert!(early.contains("Confirm the price before shipping."));

    // Another shopper, another office's salesperson, a shopper on the seller's pages.
    let stranger = app.logged_in(&app.create_user("Sue Stranger", &[shop::accounts::Role::Shopper]).await).await;
    assert_eq!(stranger.get(&format!("/orders/{number}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        stranger.submit("/orders", &format!("/orders/{number}/cancel"), &[]).await.status,
        StatusCode::NOT_FOUND
    );
    let (other, _) = app.seller_in("SOUTH", "Oscar Other").await;
    let other = app.logged_in(&other).await;
    assert_eq!(other.get(&page).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.submit("/sell/orders", &format!("{page}/confirm"), &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(shopper.get(&page).await.status, StatusCode::FORBIDDEN);
    assert_eq!(shopper.submit("/orders", &format!("{page}/confirm"), &[]).await.status, StatusCode::FORBIDDEN);
    let courier = app.logged_in(&w.courier).await;
    let not_yet = courier.submit("/carrier/shipments", &format!("/carrier/shipments/{number}/delivered"), &[]).await;
    assert_eq!(not_yet.status, StatusCode::NOT_FOUND, "an order not handed to the carrier is not theirs");
    assert_eq!(order_states(&app), vec!["placed"]);

    // Confirm, ship; then cancelling is refused.
    seller.submit(&page, &format!("{page}/confirm"), &[]).await;
    let twice = seller.submit(&page, &format!("{page}/confirm"), &[]).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    seller.submit(&page, &format!("{page}/ship"), &[("carrier", "SWIFT")]).await;
    let late = seller.submit(&page, &format!("{page}/cancel"), &[("reason", "too late")]).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert!(late.contains("can no longer be cancelled"));
    let late = shopper.submit(&format!("/orders/{number}"), &format!("/orders/{number}/cancel"), &[]).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert_eq!(order_states(&app), vec!["shipped"]);
}

#[tokio::test]
async fn cancelling_before_shipping_releases_stock_and_hold_and_tells_why() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let code = app.stocked_offer(&w.seller, "Acme", "A1", "10.00", 5).await;
    let shopper = app.logged_in(&w.buyer).await;
    let seller = app.logged_in(&w.seller).await;

    shopper.add_to_cart(&code, "3").await;
    let number = order_number(&shopper.check_out(&[]).await);
    let page = format!("/sell/orders/{number}");
    seller.submit(&page, &format!("{page}/confirm"), &[]).await;
    assert_eq!((app.stock_of(&code), app.credit_account(&w.buyer.id).held), (2, 3_000));
    let blank = seller.submit(&page, &format!("{page}/cancel"), &[("reason", "")]).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(order_states(&app), vec!["price_confirmed"]);
    let cancelled = seller.submit(&page, &format!("{page}/cancel"), &[("reason", "Price mistake")]).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    assert_eq!((app.stock_of(&code), app.credit_account(&w.buyer.id).held), (5, 0));
    let subject = format!("Order {number} cancelled");
    let mail = app.outbox().into_iter().find(|m| m.recipient == w.buyer.email && m.subject == subject);
    let mail = mail.expect("a cancellation e-mail to the buyer");
    assert!(mail.body.contains("Reason: Price mistake"), "{}", mail.body);

    // The buyer may cancel too, without giving a reason.
    shopper.add_to_cart(&code, "1").await;
    let number = order_number(&shopper.check_out(&[("payment", "cash")]).await);
    let mine = format!("/orders/{number}");
    let done = shopper.submit(&mine, &format!("{mine}/cancel"), &[("reason", "")]).await;
    assert!(done.contains("Cancelled by the buyer"), "{}", done.body);
    assert_eq!(app.stock_of(&code), 5);
    app.assert_books_balance();
}

#[tokio::test]
async fn orders_nobody_confirms_are_cancelled_automatically() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let code = app.stocked_offer(&w.seller, "Acme", "A1", "10.00", 5).await;
    let shopper = app.logged_in(&w.buyer).await;
    shopper.add_to_cart(&code, "2").await;
    let number = order_number(&shopper.check_out(&[]).await);

    let soon = shop::db::now() + chrono::Duration::hours(47);
    let within = Duration::from_secs(48 * 3600);
    assert_eq!(app.db.write_blocking(|c| orders::cancel_unconfirmed(c, within, soon, 100)).expect("round"), 0);
    let later = shop::db::now() + chrono::Duration::hours(49);
    assert_eq!(app.db.write_blocking(|c| orders::cancel_unconfirmed(c, within, later, 100)).expect("round"), 1);
    assert_eq!(order_states(&app), vec!["cancelled"]);
    assert_eq!((app.stock_of(&code), app.credit_account(&w.buyer.id).held), (5, 0));
    let page = shopper.get(&format!("/orders/{number}")).await;
    assert!(page.contains("The price was not confirmed within 48 hours"), "{}", page.body);
    assert!(app.outbox().iter().any(|m| m.body.contains("The price was not confirmed within 48 hours")));
}

#[tokio::test]
async fn a_cart_from_two_offices_makes_two_orders_each_with_its_own_check() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let (east, _) = app.seller_in("EAST", "Eve East").await;
    let a = app.stocked_offer(&w.seller, "Acme", "A1", "10.00", 5).await;
    let b = app.stocked_offer(&east, "Acme", "B1", "20.00", 5).await;
    let shopper = app.logged_in(&w.buyer).await;
    shopper.add_to_cart(&a, "1").await;
    shopper.add_to_cart(&b, "2").await;
    let checkout = shopper.get("/checkout").await;
    assert!(checkout.contains("one order with each"), "{}", checkout.body);
    let placed = shopper.check_out_from(&checkout, &[]).await;
    assert_eq!(placed.path(), "/orders?placed=1");
    assert_eq!(order_states(&app), vec!["placed", "placed"]);
    assert_eq!(app.credit_account(&w.buyer.id).held, 5_000);
    let checks: Vec<Option<String>> = app.query(|c| {
        use diesel::prelude::*;
        use shop::db::schema::orders::dsl::*;
        orders.select(check_code).load(c)
    });
    assert_eq!(checks.iter().flatten().collect::<std::collections::HashSet<_>>().len(), 2);

    // Beyond the credit: the refusal is shown with its reason and the cart stays.
    let big = app.stocked_offer(&w.seller, "Acme", "Big", "600.00", 5).await;
    shopper.add_to_cart(&big, "1").await;
    let refused = shopper.check_out(&[]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.contains("The e-check was refused"), "{}", refused.body);
    assert!(shopper.get("/cart").await.contains("Big"));
    assert_eq!(app.stock_of(&big), 5);
    // Cash on delivery needs no credit.
    let cash = shopper.check_out(&[("payment", "cash")]).await;
    assert!(cash.contains("Cash on delivery"), "{}", cash.body);
    app.assert_books_balance();
}

#[tokio::test]
async fn many_checkouts_at_once_never_sell_more_than_the_stock() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let code = app.stocked_offer(&w.seller, "Acme", "Rare", "10.00", 5).await;
    let mut browsers = Vec::new();
    for i in 0..14 {
        let buyer = app.create_user(&format!("Buyer {i}"), &[shop::accounts::Role::Shopper]).await;
        let b = app.logged_in(&buyer).await;
        b.add_to_cart(&code, "1").await;
        let page = b.get("/checkout").await;
        browsers.push((b, page));
    }
    let results = futures_util::future::join_all(browsers.iter().map(|(b, page)| b.check_out_from(page, &[]))).await;
    let placed = results.iter().filter(|p| p.status == StatusCode::OK && p.path().starts_with("/orders/")).count();
    let sold_out = results.iter().filter(|p| p.status == StatusCode::CONFLICT && p.contains("Sold out")).count();
    assert_eq!((placed, sold_out), (5, 9), "{:?}", results.iter().map(|p| p.status).collect::<Vec<_>>());
    assert_eq!(app.stock_of(&code), 0);
    assert_eq!(order_states(&app).len(), 5);
    app.assert_books_balance();
}

#[tokio::test]
async fn a_double_submit_places_one_order() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let rounds: i64 = 10;
    let code = app.stocked_offer(&w.seller, "Acme", "A1", "10.00", 2 * rounds + 1).await;
    let shopper = app.logged_in(&w.buyer).await;
    // Each round sends one checkout form twice at once and once more later: every answer is the
    // page of the one order placed. (Before the key was claimed first, a twin could read the cart
    // its twin had just emptied and answer "your cart is empty": 8 of 320 pairs on PostgreSQL.)
    for round in 1..=rounds {
        shopper.add_to_cart(&code, "2").await;
        let page = shopper.get("/checkout").await;
        let (first, second) = tokio::join!(shopper.check_out_from(&page, &[]), shopper.check_out_from(&page, &[]));
        let third = shopper.check_out_from(&page, &[]).await;
        let numbers: Vec<String> = [&first, &second, &third].iter().map(|p| order_number(p)).collect();
        assert!(numbers.iter().all(|n| *n == numbers[0]), "round {round}: {numbers:?}");
        assert_eq!(order_states(&app).len(), round as usize);
        assert_eq!(app.stock_of(&code), 2 * rounds + 1 - 2 * round);
        assert_eq!(app.credit_account(&w.buyer.id).held, 2_000 * round);
    }
}

/// The probe kept from the fault hunt: 300 pairs of identical checkout forms sent at once, by 20
/// buyers at the same time on one offer; every answer of a pair lands on the one order it placed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_hundred_double_submits_by_buyers_at_once_each_land_on_their_order() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let (buyers, rounds) = (20, 15);
    let code = app.stocked_offer(&w.seller, "Acme", "A300", "10.00", buyers * rounds).await;
    let mut runs = tokio::task::JoinSet::new();
    for b in 0..buyers {
        let buyer = app.create_user(&format!("Buyer {b}"), &[shop::accounts::Role::Shopper]).await;
        let shopper = app.logged_in(&buyer).await;
        let code = code.clone();
        runs.spawn(async move {
            let mut numbers = Vec::new();
            for round in 0..rounds {
                shopper.add_to_cart(&code, "1").await;
                let page = shopper.get("/checkout").await;
                let (first, second) =
                    tokio::join!(shopper.check_out_from(&page, &[]), shopper.check_out_from(&page, &[]));
                let (one, two) = (order_number(&first), order_number(&second));
                assert_eq!(one, two, "buyer {b}, round {round}: both answers are the one order");
                numbers.push(one);
            }
            numbers
        });
    }
    let mut placed = std::collections::BTreeSet::new();
    while let Some(numbers) = runs.join_next().await {
        placed.extend(numbers.expect("a buyer's run"));
    }
    assert_eq!(placed.len() as i64, buyers * rounds, "one order per pair");
    assert_eq!(order_states(&app).len() as i64, buyers * rounds, "and no other");
    assert_eq!(app.stock_of(&code), 0, "each order took its one unit");
    app.assert_books_balance();
}

#[tokio::test]
async fn personal_data_never_shows_in_debug_output() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let code = app.stocked_offer(&w.seller, "Acme", "D1", "10.00", 5).await;
    let shopper = app.logged_in(&w.buyer).await;
    shopper.add_to_cart(&code, "1").await;
    let number = order_number(&shopper.check_out(&[("address", "7 Secret Lane\nHiddenville")]).await);
    let seller = app.logged_in(&w.seller).await;
    let page = format!("/sell/orders/{number}");
    seller.submit(&page, &format!("{page}/confirm"), &[]).await;
    seller.submit(&page, &format!("{page}/ship"), &[("carrier", "SWIFT")]).await;
    let (n, courier) = (number.clone(), w.courier.id.clone());
    let (details, work, buyer) = app
        .db
        .read_blocking(move |c| {
            let details = orders::details(c, &n, orders::Who::Shop)?;
            let work = orders::shipments(c, &courier)?;
            let buyer =
                shop::accounts::find_user(c, &details.order.buyer_id).map_err(|_| orders::OrderError::NotFound)?;
            Ok::<_, orders::OrderError>((details, work, buyer))
        })
        .expect("read");
    assert!(details.address.as_deref().is_some_and(|a| a.contains("Secret Lane")), "the page still has it");
    let printed = format!("{details:?} {work:?} {buyer:?}");
    for secret in ["Secret Lane", "Hiddenville", w.buyer.name.as_str(), w.buyer.email.as_str()] {
        assert!(!printed.contains(secret), "{secret} in {printed}");
    }
}

#[tokio::test]
async fn purchase_facts_answer_only_for_a_delivered_order_and_the_registered_person() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let code = app.stocked_offer(&w.seller, "Acme", "P100", "10.00", 5).await;
    let shopper = app.logged_in(&w.buyer).await;
    shopper.add_to_cart(&code, "1").await;
    let number = order_number(&shopper.check_out(&[]).await);
    let person =
        BuyerProof { full_name: "  sam SHOPPER ".into(), phone: "+1 (555) 01-00".into(), ..Default::default() };
    let facts = |n: &str, p: &BuyerProof| {
        let (n, p) = (n.to_owned(), p.clone());
        app.db.read_blocking(move |c| orders::purchase_facts(c, &n, &p)).expect("facts")
    };
    assert!(facts(&number, &person).is_none(), "not delivered yet");

    let seller = app.logged_in(&w.seller).await;
    let page = format!("/sell/orders/{number}");
    seller.submit(&page, &format!("{page}/confirm"), &[]).await;
    seller.submit(&page, &format!("{page}/ship"), &[("carrier", "SWIFT")]).await;
    let courier = app.logged_in(&w.courier).await;
    courier.submit("/carrier/shipments", &format!("/carrier/shipments/{number}/delivered"), &[]).await;

    let found = facts(&number.to_lowercase().replace('-', " "), &person).expect("matches");
    assert_eq!(found.buyer, w.buyer.id);
    assert_eq!((found.goods[0].kind.as_str(), found.goods[0].maker.as_str()), ("Kind printer", "Acme"));
    assert_eq!((found.goods[0].model.as_str(), found.goods[0].offer_code.as_str()), ("P100", code.as_str()));
    for wrong in [
        BuyerProof { full_name: "Sam Shopper Jr".into(), ..person.clone() },
        BuyerProof { phone: "+1 555 0199".into(), ..person.clone() },
        BuyerProof { phone: String::new(), ..person.clone() },
    ] {
        assert!(facts(&number, &wrong).is_none());
    }
    assert!(facts("ZZZZZ-ZZZZZ", &person).is_none());
    assert!(facts("not a number", &person).is_none());
    let _ = OrderState::Delivered;
}

#[tokio::test]
async fn carriers_collect_cash_on_delivery_and_the_seller_may_hand_over_to_another_carrier() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let code = app.stocked_offer(&w.seller, "Acme", "A1", "10.00", 5).await;
    let shopper = app.logged_in(&w.buyer).await;
    let seller = app.logged_in(&w.seller).await;
    let courier = app.logged_in(&w.courier).await;

    shopper.add_to_cart(&code, "2").await;
    let number = order_number(&shopper.check_out(&[("payment", "cash")]).await);
    assert_eq!(app.credit_account(&w.buyer.id).held, 0, "cash needs no credit");
    let page = format!("/sell/orders/{number}");
    seller.submit(&page, &format!("{page}/confirm"), &[]).await;
    seller.submit(&page, &format!("{page}/ship"), &[("carrier", "SWIFT")]).await;
    assert!(courier.get("/carrier/shipments").await.contains("collect 20.00 EUR in cash"));
    let deliver = format!("/carrier/shipments/{number}/delivered");
    let bad = courier.submit("/carrier/shipments", &deliver, &[("cash", "twenty")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.field_error("cash").is_some() && bad.contains("value=\"twenty\""), "{}", bad.body);
    let short = courier.submit("/carrier/shipments", &deliver, &[("cash", "15.00")]).await;
    assert_eq!(short.status, StatusCode::CONFLICT);
    assert!(short.contains("Collect exactly 20.00 EUR"), "{}", short.body);
    let done = courier.submit("/carrier/shipments", &deliver, &[("cash", "20.00")]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(shopper.get(&format!("/orders/{number}")).await.contains("20.00 EUR collected"));

    // An e-check order the buyer wanted with SWIFT goes with PARCEL: the check names PARCEL, whose
    // people then see the shipment and report its delivery; SWIFT's do not.
    app.carrier("PARCEL");
    let other = app.create_user("Pat Parcel", &[shop::accounts::Role::Carrier]).await;
    let id = other.id.clone();
    app.echeck(|c| shop::echeck::add_staff::<shop::echeck::Carrier>(c, None, "PARCEL", &id, echeck::now()))
        .expect("staff");
    shopper.add_to_cart(&code, "1").await;
    let number = order_number(&shopper.check_out(&[]).await);
    let page = format!("/sell/orders/{number}");
    seller.submit(&page, &format!("{page}/confirm"), &[]).await;
    let shipped = seller.submit(&page, &format!("{page}/ship"), &[("carrier", "PARCEL")]).await;
    assert!(shipped.contains("shipped"), "{}", shipped.body);
    assert!(!courier.get("/carrier/shipments").await.contains(&number));
    let parcel = app.logged_in(&other).await;
    let deliver = format!("/carrier/shipments/{number}/delivered");
    let done = parcel.submit("/carrier/shipments", &deliver, &[("report", "Signed by the buyer")]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let timeline = shopper.get(&format!("/orders/{number}")).await;
    assert!(timeline.contains("Handed to Carrier PARCEL") && timeline.contains("Signed by the buyer"));
    app.assert_books_balance();
}

#[tokio::test]
async fn concurrent_checkouts_of_the_same_offers_in_any_order_all_succeed() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let a = app.stocked_offer(&w.seller, "Acme", "A1", "10.00", 100).await;
    let b = app.stocked_offer(&w.seller, "Acme", "B1", "10.00", 100).await;
    let mut browsers = Vec::new();
    for i in 0..10 {
        let buyer = app.create_user(&format!("Buyer {i}"), &[shop::accounts::Role::Shopper]).await;
        let browser = app.logged_in(&buyer).await;
        // Half fill the cart A then B, half B then A: the locks must still be taken in one order.
        let (first, second) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        browser.add_to_cart(first, "1").await;
        browser.add_to_cart(second, "1").await;
        let page = browser.get("/checkout").await;
        browsers.push((browser, page));
    }
    let results = futures_util::future::join_all(browsers.iter().map(|(b, page)| b.check_out_from(page, &[]))).await;
    for page in &results {
        assert!(page.path().starts_with("/orders/"), "{}: {}", page.status, page.body);
    }
    assert_eq!((app.stock_of(&a), app.stock_of(&b)), (90, 90));
}

#[tokio::test]
async fn admins_set_which_makers_approve_and_who_acts_for_them_on_the_page() {
    let app = spawn_app().await;
    let admin = app.logged_in(&app.admin().await).await;
    let blank = admin.submit("/admin/makers", "/admin/makers", &[("name", " "), ("requires_approval", "yes")]).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(blank.field_error("name").is_some());
    let saved =
        admin.submit("/admin/makers", "/admin/makers", &[("name", "Kawase"), ("requires_approval", "yes")]).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert!(saved.contains("Kawase") && saved.contains("required"));

    let shopper = app.shopper().await;
    let refused =
        admin.submit("/admin/makers", "/admin/makers/staff", &[("maker", "Kawase"), ("email", &shopper.email)]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("email").is_some_and(|e| e.contains("maker role")), "{}", refused.body);
    assert!(refused.contains(&format!("value=\"{}\"", shopper.email)), "the e-mail typed comes back");

    let maker = app.create_user("Mia Maker", &[shop::accounts::Role::Maker]).await;
    let maker_page = app.logged_in(&maker).await;
    assert!(maker_page.get("/maker/approvals").await.contains("You do not act for a maker yet"));
    let added =
        admin.submit("/admin/makers", "/admin/makers/staff", &[("maker", "Kawase"), ("email", &maker.email)]).await;
    assert!(added.contains(&maker.email), "{}", added.body);
    assert!(maker_page.get("/maker/approvals").await.contains("Orders of Kawase goods"));
    let cleared = admin.submit("/admin/makers", "/admin/makers", &[("name", "Kawase")]).await;
    assert!(cleared.contains("not required"), "{}", cleared.body);
    assert_eq!(app.browser().get("/admin/makers").await.path(), "/login?next=%2Fadmin%2Fmakers");
}

#[tokio::test]
async fn the_header_leads_to_orders_and_counts_the_cart() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let code = app.stocked_offer(&w.seller, "Acme", "P150", "10.00", 9).await;
    let shopper = app.logged_in(&w.buyer).await;
    let home = shopper.get("/").await;
    assert!(home.contains("<a href=\"/orders\">Orders</a>"), "shoppers find their orders from every page");
    assert!(home.contains("role=\"search\""), "a search box in the header");
    assert!(!home.contains("class=\"badge\""), "an empty cart shows no count");

    let cart = shopper.submit(&format!("/catalog/{code}"), "/cart/add", &[("offer", &code), ("quantity", "3")]).await;
    assert!(cart.contains("Added to your cart: Acme P150"), "the product's name, not the offer code: {}", cart.body);
    assert!(cart.contains("Total (3 items)"));
    assert!(shopper.get("/catalog").await.contains("class=\"badge\">3<"), "the count follows to other pages");
    shopper.check_out(&[("slot", "morning"), ("date", "")]).await;
    assert!(!shopper.get("/catalog").await.contains("class=\"badge\""), "a checkout empties the count");

    // Other roles cannot buy: no cart and no orders in their header.
    let seller = app.logged_in(&w.seller).await;
    let page = seller.get("/").await;
    assert!(!page.contains("href=\"/cart\"") && !page.contains("<a href=\"/orders\">"), "{}", page.body);
}

#[tokio::test]
async fn checkout_shows_the_credit_and_offers_cash_when_it_falls_short() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let line = app.echeck(echeck::settings).expect("settings").default_credit_line;
    let cheap = app.stocked_offer(&w.seller, "Acme", "P10", "10.00", 5).await;
    let shopper = app.logged_in(&w.buyer).await;
    shopper.submit(&format!("/catalog/{cheap}"), "/cart/add", &[("offer", &cheap), ("quantity", "1")]).await;
    let page = shopper.get("/checkout").await;
    let available = shop::money::format(line, "EUR");
    assert!(page.contains(&format!("(available: {available})")), "the credit before a first check: {}", page.body);
    assert!(page.contains("value=\"echeck\" checked"), "the e-check covers it and is chosen");
    assert!(!page.contains("id=\"credit-short\""));

    // A cart dearer than the credit: the page says so before submitting and chooses cash.
    let dear_price = shop::money::to_input(line + 100, "EUR");
    let dear = app.stocked_offer(&w.seller, "Acme", "P20", &dear_price, 5).await;
    shopper.submit(&format!("/catalog/{dear}"), "/cart/add", &[("offer", &dear), ("quantity", "1")]).await;
    let page = shopper.get("/checkout").await;
    assert!(page.contains("id=\"credit-short\""), "{}", page.body);
    assert!(page.contains("value=\"cash\" checked"));
    // Cash on delivery goes through.
    let placed = shopper.check_out(&[("slot", "morning"), ("date", ""), ("payment", "cash")]).await;
    assert_eq!(placed.status, StatusCode::OK, "{}", placed.body);
    assert!(placed.contains("Cash on delivery"), "{}", placed.body);
}

#[tokio::test]
async fn start_pages_show_figures_and_the_tabs_count_orders() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let code = app.stocked_offer(&w.seller, "Acme", "P300", "25.00", 2).await;
    let shopper = app.logged_in(&w.buyer).await;
    shopper.submit(&format!("/catalog/{code}"), "/cart/add", &[("offer", &code), ("quantity", "2")]).await;
    shopper.check_out(&[("slot", "morning"), ("date", "")]).await;

    let seller = app.logged_in(&w.seller).await;
    let start = seller.get("/sell").await;
    let figure = |p: &Page, label: &str| {
        let at = p.body.find(&format!("<dt>{label}</dt>")).unwrap_or_else(|| panic!("{label}: {}", p.body));
        let dd = p.body[at..].split("<dd>").nth(1).unwrap_or_default().split("</dd>").next().unwrap_or_default();
        let mut text = String::new();
        let mut in_tag = false;
        for c in dd.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        text
    };
    assert_eq!(figure(&start, "To confirm"), "1");
    assert_eq!(figure(&start, "Sales today"), "50.00 EUR");
    assert_eq!(figure(&start, "Sold out"), "1", "the order took the last two");
    assert!(start.contains("<svg class=\"chart\" role=\"img\""), "a chart of the last 30 days");
    let tabs = seller.get("/sell/orders").await;
    assert!(tabs.contains("All <span class=\"count\">1</span>"), "{}", tabs.body);
    assert!(tabs.contains("placed, awaiting price confirmation <span class=\"count\">1</span>"));

    let admin = app.admin().await;
    let start = app.logged_in(&admin).await.get("/admin").await;
    assert_eq!(figure(&start, "Placed today"), "1");
    assert_eq!(figure(&start, "The books"), "balanced");
    assert!(start.contains("<dt>Users</dt>") && start.contains("<dt>Mail failed</dt>"));
}
