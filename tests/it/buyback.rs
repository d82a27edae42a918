//! Buy-back: the service's whole path on both databases (the pages come with the next step).

use diesel::prelude::*;
use shop::buyback::{self, ApplyForm, CenterForm, GradeForm, PriceForm, RuleForm};
use shop::db::schema::offers;
use shop::echeck;

use crate::helpers::*;

/// A delivered order of a trade-in eligible offer (maker Acme, model P100): its number.
async fn delivered_eligible_order(app: &TestApp, w: &OrderWorld) -> String {
    let code = app.stocked_offer(&w.seller, "Acme", "P100", "100.00", 5).await;
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
    let center = app
        .db
        .write_blocking(move |c| {
            let center_form = CenterForm {
                code: "BB-1".into(),
                name: "North buy-back".into(),
                address: "1 Return Road".into(),
                phone: "555 0101".into(),
                active: "yes".into(),
                is_default: "yes".into(),
                ..Default::default()
            };
            let center = buyback::save_center(c, None, &center_form, now)?;
            let price =
                PriceForm { maker: "zeta".into(), grade: "Good".into(), price: "40.00".into(), ..Default::default() };
            buyback::set_price(c, &center.id, &price, "EUR", now)?;
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
            let key = shop::web::idempotency::IdempotencyKey::new().to_string();
            buyback::fund_center(c, &center.id, "60.00", &key, &admin, now)?;
            Ok::<_, buyback::BuybackError>(center)
        })
        .expect("center");

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
