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
    let tables = app.db.read(move |c| analytics::compute(c, &own, 5, "EUR")).await.expect("computed");
    let t = &tables[0];
    assert_eq!(t.rows.len(), 2, "{t:?}");
    assert_eq!(t.rows[0].1, vec![Some(6), Some(6)], "six sales in the first week");
    assert_eq!(t.rows[1].1, vec![None, None], "four in the third: fewer than 5");
    assert_eq!((t.totals.clone(), t.suppressed), (vec![6, 6], 2));
    let market = design(None);
    let tables = app.db.read(move |c| analytics::compute(c, &market, 5, "EUR")).await.expect("computed");
    assert_eq!(tables[0].rows[1].1, vec![Some(5), Some(5)], "market-wide the third week has five");
    assert_eq!(tables[0].rows[0].0[0], "Kind printer", "kinds by their names");
}
