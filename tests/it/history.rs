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

/// The stores read back as `analytics` asks them: grouped, narrowed to a scope, a sale taken back
/// counting minus one, requests counted once per group however many constraints they had.
#[tokio::test]
async fn the_stores_read_back_in_groups_within_a_scope() {
    use shop::catalog::{KindId, OfferId, ProductId};
    use shop::echeck::OfficeId;
    use shop::history::{ConstraintGroup, RequestGroup, Sale, Scope};
    let app = spawn_app().await;
    let (kind, other_kind) = (KindId::new(), KindId::new());
    let (product, office, other_office) = (ProductId::new(), OfficeId::new(), OfficeId::new());
    let sale = |kind: &KindId, office: &OfficeId, quantity: i64| Sale {
        channel: Channel::Order,
        kind: kind.clone(),
        product: product.clone(),
        offer: OfferId::new(),
        office: office.clone(),
        quantity,
        unit_price: 1_990,
        currency: "EUR".into(),
    };
    let day =
        |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, d).and_then(|d| d.and_hms_opt(15, 30, 0)).expect("day");
    let sales = vec![
        (sale(&kind, &office, 2), day(2)),
        (sale(&kind, &office, 1), day(2)),
        (sale(&kind, &office, -1), day(2)),
        (sale(&kind, &other_office, 5), day(2)),
        (sale(&other_kind, &office, 1), day(3)),
        (sale(&kind, &office, 7), day(9)),
    ];
    let requests: Vec<(PurchaseRequest, chrono::NaiveDateTime)> = vec![
        (request(&kind, 0, &["black", "silver"]), day(2)),
        (request(&kind, 0, &["black"]), day(2)),
        (request(&kind, 3, &["black"]), day(2)),
        (request(&other_kind, 1, &[]), day(3)),
    ];
    app.db
        .write(move |c| {
            for (s, at) in &sales {
                shop::history::record_sales(c, std::slice::from_ref(s), *at)?;
            }
            for (r, at) in &requests {
                shop::history::record_request(c, r, *at)?;
            }
            Ok::<_, shop::db::DbError>(())
        })
        .await
        .expect("stored");

    let scope = Scope { from: day(1), until: day(8), kind: Some(kind.clone()), office: Some(office.clone()) };
    let s = scope.clone();
    let groups = app
        .db
        .read(move |c| shop::history::sales_groups(c, &s, shop::history::SalesGrain::Product))
        .await
        .expect("sales");
    assert_eq!(groups.len(), 1, "one kind, one office, one week: {groups:?}");
    assert_eq!((groups[0].quantity, groups[0].sales), (2, 1), "2 + 1 − 1 units; three rows, one taken back");
    let all = Scope { office: None, kind: None, ..scope.clone() };
    let a = all.clone();
    let groups = app
        .db
        .read(move |c| shop::history::sales_groups(c, &a, shop::history::SalesGrain::Product))
        .await
        .expect("sales");
    assert_eq!(groups.iter().map(|g| g.sales).sum::<i64>(), 3, "market-wide: the other office's and kind's too");

    let a = all.clone();
    let asked = app.db.read(move |c| shop::history::request_groups(c, &a)).await.expect("requests");
    assert!(asked.contains(&RequestGroup { kind: Some(kind.clone()), matched: false, requests: 2 }), "{asked:?}");
    assert!(asked.contains(&RequestGroup { kind: Some(kind.clone()), matched: true, requests: 1 }));
    assert!(asked.contains(&RequestGroup { kind: Some(other_kind.clone()), matched: true, requests: 1 }));
    let s = scope.clone();
    let words = app.db.read(move |c| shop::history::constraint_groups(c, &s)).await.expect("constraints");
    let black_unmet = ConstraintGroup {
        kind: Some(kind.clone()),
        matched: false,
        characteristic: "color".into(),
        word: Some("black".into()),
        min: None,
        max: None,
        requests: 2,
    };
    assert!(words.contains(&black_unmet), "{words:?}");
    assert_eq!(words.len(), 3, "black unmet, silver unmet, black met: {words:?}");
}

fn request(kind: &shop::catalog::KindId, matches: i64, words: &[&str]) -> PurchaseRequest {
    PurchaseRequest {
        kind: Some(kind.clone()),
        maker: None,
        price_max: None,
        currency: "EUR".into(),
        constraints: words
            .iter()
            .map(|w| Constraint::Word { characteristic: "color".into(), word: (*w).into() })
            .collect(),
        matches,
    }
}

/// A long period reads the whole months from the months' sums and the days around them from the
/// days' sums: every request counts once, whichever sum it is read from; and the coarser
/// groupings of sales add up to the finest.
#[tokio::test]
async fn a_long_period_reads_whole_months_and_the_days_around_them_alike() {
    use shop::catalog::{KindId, OfferId, ProductId};
    use shop::echeck::OfficeId;
    use shop::history::{Sale, SalesGrain, Scope};
    let app = spawn_app().await;
    let kind = KindId::new();
    let at =
        |m: u32, d: u32| chrono::NaiveDate::from_ymd_opt(2026, m, d).and_then(|d| d.and_hms_opt(9, 0, 0)).expect("day");
    // Before, inside and after the whole months (September, October) of 20 Aug – 10 Nov.
    let days = [at(8, 19), at(8, 20), at(8, 31), at(9, 1), at(9, 30), at(10, 15), at(11, 1), at(11, 9), at(11, 10)];
    let asked: Vec<(PurchaseRequest, chrono::NaiveDateTime)> =
        days.iter().map(|d| (request(&kind, 0, &["black", "black"]), *d)).collect();
    let (product, office) = (ProductId::new(), OfficeId::new());
    let sales: Vec<(Sale, chrono::NaiveDateTime)> = days
        .iter()
        .zip([100, 100, 200, 200, 300, 300, 100, 100, 100])
        .map(|(d, price)| {
            let sale = Sale {
                channel: Channel::Order,
                kind: kind.clone(),
                product: product.clone(),
                offer: OfferId::new(),
                office: office.clone(),
                quantity: 2,
                unit_price: price,
                currency: "EUR".into(),
            };
            (sale, *d)
        })
        .collect();
    app.db
        .write(move |c| {
            let refs: Vec<(&PurchaseRequest, chrono::NaiveDateTime)> = asked.iter().map(|(r, at)| (r, *at)).collect();
            shop::history::record_requests(c, &refs)?;
            for (s, at) in &sales {
                shop::history::record_sales(c, std::slice::from_ref(s), *at)?;
            }
            Ok::<_, shop::db::DbError>(())
        })
        .await
        .expect("stored");
    let day =
        |m: u32, d: u32| chrono::NaiveDate::from_ymd_opt(2026, m, d).and_then(|d| d.and_hms_opt(0, 0, 0)).expect("day");
    for (from, until, expected) in [
        (day(8, 20), day(11, 10), 7), // 20 Aug – 9 Nov: whole months and days around
        (day(9, 1), day(11, 1), 3),   // whole months only
        (day(8, 20), day(8, 31), 1),  // days of one month
        (day(8, 1), day(12, 1), 9),   // four whole months
    ] {
        let scope = Scope { from, until, kind: None, office: None };
        let s = scope.clone();
        let words = app.db.read(move |c| shop::history::constraint_groups(c, &s)).await.expect("constraints");
        let black: i64 = words.iter().filter(|w| w.word.as_deref() == Some("black")).map(|w| w.requests).sum();
        assert_eq!(black, expected, "{from} – {until}: each request once, though it asked black twice: {words:?}");
        let s = scope.clone();
        let requests = app.db.read(move |c| shop::history::request_groups(c, &s)).await.expect("requests");
        assert_eq!(requests.iter().map(|r| r.requests).sum::<i64>(), expected);
        let mut totals = Vec::new();
        for grain in [SalesGrain::Product, SalesGrain::Kind, SalesGrain::Price] {
            let s = scope.clone();
            let groups = app.db.read(move |c| shop::history::sales_groups(c, &s, grain)).await.expect("sales");
            totals.push((groups.iter().map(|g| g.sales).sum::<i64>(), groups.iter().map(|g| g.quantity).sum::<i64>()));
            if grain == SalesGrain::Price && expected == 9 {
                let mut prices: Vec<Option<i64>> = groups.iter().map(|g| g.unit_price).collect();
                prices.sort();
                assert_eq!(prices, vec![Some(100), Some(200), Some(300)], "one group per price, no day");
            }
        }
        assert_eq!(totals, vec![(expected, 2 * expected); 3], "{from} – {until}: every grain adds up the same");
    }
}
