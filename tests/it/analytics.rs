//! Paid analytics: what the analyses compute from the stores (the pages and payment come next).

use shop::analytics::analyses::Analysis;
use shop::analytics::rules::Granularity;
use shop::analytics::{self, Design};
use shop::catalog::{KindId, OfferId, ProductId};
use shop::echeck::OfficeId;
use shop::history::{Channel, Sale};

use crate::helpers::*;

#[tokio::test]
async fn an_analysis_reads_the_stores_and_suppresses_small_cells() {
    let app = spawn_app().await;
    app.kind("printer", &[]).await;
    let kind: KindId = app
        .query(|c| {
            use diesel::prelude::*;
            use shop::db::schema::kinds;
            kinds::table.filter(kinds::code.eq("printer")).select(kinds::id).first::<String>(c)
        })
        .parse()
        .expect("kind");
    let (office, other) = (OfficeId::new(), OfficeId::new());
    let sale = |office: &OfficeId| Sale {
        channel: Channel::Order,
        kind: kind.clone(),
        product: ProductId::new(),
        offer: OfferId::new(),
        office: office.clone(),
        quantity: 1,
        unit_price: 2_000,
        currency: "EUR".into(),
    };
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, d).expect("day");
    let mut sales: Vec<(Sale, chrono::NaiveDate)> = (0..6).map(|_| (sale(&office), day(2))).collect();
    sales.extend((0..4).map(|_| (sale(&office), day(16))));
    sales.push((sale(&other), day(16)));
    app.db
        .write(move |c| {
            for (s, d) in &sales {
                let at = d.and_hms_opt(10, 0, 0).expect("time");
                shop::history::record_sales(c, std::slice::from_ref(s), at)?;
            }
            Ok::<_, shop::db::DbError>(())
        })
        .await
        .expect("stored");

    let design = |office: Option<OfficeId>| Design {
        analysis: Analysis::Volume,
        kind: None,
        from: day(1),
        last: day(30),
        granularity: Granularity::Week,
        office,
    };
    let own = design(Some(office.clone()));
    let tables = app.db.read(move |c| analytics::compute(c, &own, 5, None, "EUR")).await.expect("computed");
    let t = &tables[0];
    assert_eq!(t.rows.len(), 1, "{t:?}");
    assert_eq!(t.rows[0].1, vec![Some(6), Some(6)], "six sales in the first week");
    assert_eq!((t.rows.len(), t.hidden_rows), (1, 1), "four in the third: fewer than 5, left out");
    assert_eq!((t.totals.clone(), t.suppressed), (vec![6, 6], 2));
    let market = design(None);
    let tables = app.db.read(move |c| analytics::compute(c, &market, 5, None, "EUR")).await.expect("computed");
    assert_eq!(tables[0].rows[1].1, vec![Some(5), Some(5)], "market-wide the third week has five");
    assert_eq!(tables[0].rows[0].0[0], "Kind printer", "kinds by their names");
}

fn office_account(app: &TestApp, office: &shop::echeck::Office) -> shop::echeck::LedgerAccount {
    let id = office.id.clone();
    app.echeck(move |c| {
        shop::echeck::open_account(c, shop::echeck::AccountKind::Office, id.as_str(), shop::echeck::now())
    })
    .expect("account")
}

async fn prepare(app: &TestApp, design: &Design) -> analytics::Prepared {
    let d = design.clone();
    app.db.read(move |c| analytics::prepare(c, &d)).await.expect("computed")
}

/// Computes the design, then buys it under the key, as the page does.
async fn buy(
    app: &TestApp,
    seller: &shop::accounts::UserId,
    design: &Design,
    key: String,
) -> analytics::Result<analytics::Report> {
    let prepared = prepare(app, design).await;
    let seller = seller.clone();
    app.db.write(move |c| analytics::buy(c, &seller, prepared, &key, shop::db::now())).await
}

#[tokio::test]
async fn buying_pays_once_keeps_the_report_and_spends_the_privacy_budget() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let design = Design {
        analysis: Analysis::Conversion,
        kind: None,
        from: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("day"),
        last: chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("day"),
        granularity: Granularity::Month,
        office: None,
    };
    let prepare = || prepare(&app, &design);
    let buy = |key: String| buy(&app, &w.seller.id, &design, key);
    // Too little money: refused, nothing moved, nothing kept.
    let err = buy(shop::web::idempotency::IdempotencyKey::new().to_string()).await.expect_err("no money");
    assert!(err.to_string().starts_with("Not bought"), "{err}");
    let account = office_account(&app, &w.office);
    let m = shop::echeck::Movement {
        account: account.id.clone(),
        amount: 5_000,
        reason: "test deposit".into(),
        key: shop::web::idempotency::IdempotencyKey::new(),
    };
    app.echeck(move |c| shop::echeck::deposit(c, &m, None, shop::echeck::now())).expect("deposit");

    let key = shop::web::idempotency::IdempotencyKey::new().to_string();
    let (first, twin) = tokio::join!(buy(key.clone()), buy(key.clone()));
    let (first, twin) = (first.expect("bought"), twin.expect("the twin finds it"));
    assert_eq!(first.id, twin.id, "a double click buys once");
    assert_eq!(office_account(&app, &w.office).balance, 5_000 - analytics::STARTING_PRICE, "paid once");
    let (seller, id) = (w.seller.id.clone(), first.id.clone());
    let (again, tables) = app.db.read(move |c| analytics::report_of(c, &seller, &id)).await.expect("kept");
    assert_eq!((again.id, tables[0].title.as_str()), (first.id.clone(), "Conversion: requests against sales"));

    // With noise, each report spends ε from the month's budget; beyond it, refused before paying.
    app.db
        .write(|c| {
            let form = analytics::SettingsForm {
                k: "5".into(),
                noise: "yes".into(),
                epsilon: "0.5".into(),
                budget: "1".into(),
            };
            analytics::save_settings(c, &form, shop::db::now())
        })
        .await
        .expect("settings");
    // A twin submit spends the budget once: after it, one more report fits.
    let key = shop::web::idempotency::IdempotencyKey::new().to_string();
    let (a, b) = tokio::join!(buy(key.clone()), buy(key));
    assert_eq!(a.expect("within the budget").id, b.expect("the twin").id);
    let r = buy(shop::web::idempotency::IdempotencyKey::new().to_string()).await.expect("within the budget");
    assert_eq!(r.epsilon_milli, Some(500));
    let before = office_account(&app, &w.office).balance;
    // Computed under k = 5, bought after an admin set k = 3: refused, nothing paid or spent.
    let prepared = prepare().await;
    app.db
        .write(|c| {
            let form = analytics::SettingsForm {
                k: "3".into(),
                noise: "yes".into(),
                epsilon: "0.5".into(),
                budget: "1".into(),
            };
            analytics::save_settings(c, &form, shop::db::now())
        })
        .await
        .expect("settings");
    let (seller, key) = (w.seller.id.clone(), shop::web::idempotency::IdempotencyKey::new().to_string());
    let err = app
        .db
        .write(move |c| analytics::buy(c, &seller, prepared, &key, shop::db::now()))
        .await
        .expect_err("settings changed");
    assert!(err.to_string().contains("privacy settings changed"), "{err}");
    assert_eq!(office_account(&app, &w.office).balance, before, "nothing paid for a refused report");
    let err = buy(shop::web::idempotency::IdempotencyKey::new().to_string()).await.expect_err("budget used up");
    assert!(err.to_string().contains("privacy budget is used up"), "{err}");
    assert_eq!(office_account(&app, &w.office).balance, before, "nothing paid for a refused report");
    app.assert_books_balance();
}

#[tokio::test]
async fn a_salesperson_buys_views_again_and_downloads_through_the_pages() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let admin = app.logged_in(&app.admin().await).await;
    let bad = admin
        .submit("/admin/analytics", "/admin/analytics/settings", &[("k", "1"), ("epsilon", "0.5"), ("budget", "5")])
        .await;
    assert!(bad.field_error("k").is_some() && bad.input_value("k").as_deref() == Some("1"), "kept with the mistake");
    admin.submit("/admin/analytics", "/admin/analytics/prices", &[("analysis", "conversion"), ("price", "2.50")]).await;

    let account = office_account(&app, &w.office);
    let m = shop::echeck::Movement {
        account: account.id.clone(),
        amount: 1_000,
        reason: "test deposit".into(),
        key: shop::web::idempotency::IdempotencyKey::new(),
    };
    app.echeck(move |c| shop::echeck::deposit(c, &m, None, shop::echeck::now())).expect("deposit");
    let seller = app.logged_in(&w.seller).await;
    let page = seller.get("/sell/analytics").await;
    assert!(page.contains("Conversion: requests against sales · 2.50"), "the price before buying");
    let key = page.input_value("key").expect("key");
    let wrong = seller
        .submit(
            "/sell/analytics",
            "/sell/analytics",
            &[("analysis", "conversion"), ("from", "2026-11-30"), ("last", "2026-11-01"), ("key", &key)],
        )
        .await;
    assert!(wrong.field_error("last").is_some(), "{}", wrong.body);
    let fields = [
        ("analysis", "conversion"),
        ("from", "2026-11-01"),
        ("last", "2026-11-30"),
        ("granularity", "month"),
        ("scope", "market"),
        ("key", key.as_str()),
    ];
    let report = seller.submit("/sell/analytics", "/sell/analytics", &fields).await;
    assert!(
        report.path().starts_with("/sell/analytics/") && report.contains("Conversion: requests against sales"),
        "{}",
        report.body
    );
    let again = seller.submit("/sell/analytics", "/sell/analytics", &fields).await;
    assert_eq!(again.path(), report.path(), "the same form buys once");
    assert_eq!(office_account(&app, &w.office).balance, 750);
    let csv = seller.get(&format!("{}/csv", report.path())).await;
    assert!(csv.headers["content-type"].to_str().expect("type").starts_with("text/csv"));
    assert!(csv.body.starts_with("Conversion: requests against sales"), "{}", csv.body);
    let other = app.logged_in(&app.create_user("Other Seller", &[shop::accounts::Role::Salesperson]).await).await;
    assert_eq!(other.get(report.path().as_str()).await.status, reqwest::StatusCode::NOT_FOUND, "nobody else's");
}
