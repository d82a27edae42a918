//! The sales history and the preference store: what they keep, and what they never keep.

use diesel::prelude::*;
use shop::history::{Channel, Constraint, PurchaseRequest, SaleRow};

use crate::helpers::*;

fn sales(app: &TestApp) -> Vec<SaleRow> {
    use shop::db::schema::sales;
    app.query(|c| sales::table.select(SaleRow::as_select()).load(c))
}

#[tokio::test]
async fn a_delivered_order_enters_the_sales_history_without_the_buyer_or_the_order() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let code = app.stocked_offer(&w.seller, "Acme", "H1", "25.00", 5).await;
    let shopper = app.logged_in(&w.buyer).await;
    shopper.add_to_cart(&code, "2").await;
    let number = order_number(&shopper.check_out(&[]).await);

    // Placed, confirmed and shipped orders are not sales yet: delivered ones are.
    let seller = app.logged_in(&w.seller).await;
    let page = format!("/sell/orders/{number}");
    seller.submit(&page, &format!("{page}/confirm"), &[]).await;
    seller.submit(&page, &format!("{page}/ship"), &[("carrier", "SWIFT")]).await;
    assert!(sales(&app).is_empty(), "not delivered yet");
    let courier = app.logged_in(&w.courier).await;
    courier.submit("/carrier/shipments", &format!("/carrier/shipments/{number}/delivered"), &[]).await;

    let rows = sales(&app);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let sale = &rows[0];
    assert_eq!(
        (sale.channel, sale.quantity, sale.unit_price, sale.currency.as_str()),
        (Channel::Order, 2, 2_500, "EUR")
    );
    assert_eq!(sale.office_id, w.office.id);
    assert_eq!(
        sale.offer_id.as_str(),
        app.query(|c| {
            use shop::db::schema::offers;
            offers::table.filter(offers::code.eq(&code)).select(offers::id).first::<String>(c)
        })
    );
    let today = shop::db::now().date().and_hms_opt(0, 0, 0).expect("midnight");
    assert_eq!(sale.day, today, "the day, nothing finer");
    // Nothing that names the buyer or the order.
    let order_id: String = app.query(|c| {
        use shop::db::schema::orders;
        orders::table.select(orders::id).first(c)
    });
    let kept = format!("{rows:?}");
    for secret in [number.as_str(), order_id.as_str(), w.buyer.id.as_str(), w.buyer.email.as_str()] {
        assert!(!kept.contains(secret), "the history keeps {secret}: {kept}");
    }
    // Row IDs are random, not time-ordered (a UUIDv7 would carry the moment).
    assert_eq!(sale.id.as_str().as_bytes()[14], b'4', "a version 4 UUID: {}", sale.id);
}

#[tokio::test]
async fn a_purchase_request_is_kept_by_the_hour_with_its_constraints() {
    let app = spawn_app().await;
    app.kind("pc", &[("cpu_mhz", true, ""), ("color", false, "black\nsilver")]).await;
    let kind = app.query(|c| {
        use shop::db::schema::kinds;
        kinds::table.filter(kinds::code.eq("pc")).select(kinds::id).first::<String>(c)
    });
    let request = PurchaseRequest {
        kind: Some(kind.parse().expect("a kind ID")),
        maker: Some("Acme".into()),
        price_max: Some(150_000),
        currency: "EUR".into(),
        constraints: vec![
            Constraint::Range { characteristic: "cpu_mhz".into(), min: Some(2000.0), max: None },
            Constraint::Word { characteristic: "color".into(), word: "silver".into() },
        ],
        matches: 0,
    };
    let at = shop::db::now();
    app.db.write(move |c| shop::history::record_request(c, &request, at)).await.expect("recorded");

    let (hour, matches, maker): (chrono::NaiveDateTime, i64, Option<String>) = app.query(|c| {
        use shop::db::schema::purchase_requests as r;
        r::table.select((r::asked_hour, r::matches, r::maker)).first(c)
    });
    assert_eq!(hour, shop::history::rules::hour_of(at));
    assert_eq!((matches, maker.as_deref()), (0, Some("Acme")));
    let asked = app.query(|c| {
        use shop::db::schema::request_constraints as k;
        k::table.order(k::position).select(shop::history::ConstraintRow::as_select()).load(c)
    });
    let asked: Vec<_> = asked.into_iter().map(|k| (k.characteristic, k.min_value, k.max_value, k.word)).collect();
    assert_eq!(
        asked,
        vec![
            ("cpu_mhz".to_owned(), Some(2000.0), None, None),
            ("color".to_owned(), None, None, Some("silver".to_owned()))
        ]
    );
}
