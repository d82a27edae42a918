//! The catalog: kinds, offers, searching with filters, customer prices, equipment.

use diesel::prelude::*;
use reqwest::StatusCode;
use shop::accounts::Role;

use crate::helpers::*;

async fn seller(app: &TestApp) -> Person {
    app.create_user("Selma Seller", &[Role::Salesperson]).await
}

/// Five computers: three at exactly 2000 MHz (ties at the bound), one at 2500, one at 3000.
async fn computers(app: &TestApp) -> (Person, Vec<String>) {
    app.kind("pc", &[("cpu_mhz", true, ""), ("disk_gb", true, ""), ("color", false, "black\nsilver")]).await;
    let s = seller(app).await;
    let mut codes = Vec::new();
    for (model, cpu, disk, color, price) in [
        ("A1", "2000", "500", "black", "900"),
        ("A2", "2000", "1000", "silver", "1000"),
        ("A3", "2000", "250", "black", "1100"),
        ("B1", "2500", "500", "silver", "1200"),
        ("C1", "3000", "2000", "black", "1500"),
    ] {
        codes.push(
            app.offer(&s, "pc", "Acme", model, &[("cpu_mhz", cpu), ("disk_gb", disk), ("color", color)], price).await,
        );
    }
    (s, codes)
}

#[tokio::test]
async fn numeric_ranges_are_inclusive_and_keep_ties_at_the_bound() {
    let app = spawn_app().await;
    let (_, codes) = computers(&app).await;
    let b = app.browser();
    let page = b.get("/catalog?kind=pc&cpu_mhz_min=2000&cpu_mhz_max=2500").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(card_codes(&page), codes[..4], "all three at 2000 and the one at 2500, cheapest first");
    let page = b.get("/catalog?kind=pc&cpu_mhz_max=2000").await;
    assert_eq!(card_codes(&page), codes[..3]);
    let page = b.get("/catalog?kind=pc&cpu_mhz_min=2000.5").await;
    assert_eq!(card_codes(&page), codes[3..]);
}

#[tokio::test]
async fn filters_combine() {
    let app = spawn_app().await;
    let (_, codes) = computers(&app).await;
    let b = app.browser();
    let page = b.get("/catalog?kind=pc&cpu_mhz_min=2000&disk_gb_min=500&price_max=1200&color=black").await;
    assert_eq!(card_codes(&page), [codes[0].clone()]);
    let page = b.get("/catalog?kind=pc&color=black&color=silver&price_min=1000&price_max=1200").await;
    assert_eq!(card_codes(&page), codes[1..4]);
    let page = b.get("/catalog?kind=pc&q=acme+b1").await;
    assert_eq!(card_codes(&page), [codes[3].clone()], "every word of the text must match");
    let page = b.get("/catalog?q=A%25").await;
    assert!(card_codes(&page).is_empty(), "LIKE wildcards are taken literally");
    let page = b.get("/catalog?kind=pc&maker=Acme&maker=Nobody").await;
    assert_eq!(card_codes(&page).len(), 5);
    assert!(page.contains("Maker: Acme"), "active filters are shown");
}

#[tokio::test]
async fn sort_orders() {
    let app = spawn_app().await;
    let (_, codes) = computers(&app).await;
    use shop::db::schema::offers;
    for (i, code) in codes.iter().enumerate() {
        let sold = [5i64, 50, 1, 20, 7][i];
        let code = code.clone();
        app.query(move |c| {
            diesel::update(offers::table.filter(offers::code.eq(code))).set(offers::sold.eq(sold)).execute(c)
        });
    }
    let b = app.browser();
    let get = |sort: &'static str| {
        let b = &b;
        async move { card_codes(&b.get(&format!("/catalog?kind=pc&sort={sort}")).await) }
    };
    assert_eq!(get("price").await, codes);
    let mut desc = codes.clone();
    desc.reverse();
    assert_eq!(get("-price").await, desc);
    assert_eq!(get("newest").await, desc, "created one after the other");
    assert_eq!(get("best").await, [&codes[1], &codes[3], &codes[4], &codes[0], &codes[2]].map(String::clone));
}

#[tokio::test]
async fn pages_of_24_with_their_edges() {
    let app = spawn_app().await;
    app.kind("paper", &[("sheets", true, "")]).await;
    let s = seller(&app).await;
    for i in 0..25 {
        app.offer(&s, "paper", "Papyro", &format!("P{i:02}"), &[("sheets", "500")], &format!("{}", 10 + i)).await;
    }
    let b = app.browser();
    let first = b.get("/catalog?kind=paper").await;
    assert_eq!(card_codes(&first).len(), 24);
    assert!(first.contains("Products 1–24") && first.contains("Page 1"), "{}", first.body);
    let before_rel = first.body.split("rel=\"next\"").next().expect("a next link");
    let next = before_rel.rsplit("href=\"").next().and_then(|s| s.split('"').next()).expect("its address");
    assert_eq!(next, "/catalog?kind=paper&#38;page=2", "the link keeps the whole search");
    let second = b.get(&next.replace("&#38;", "&")).await;

    assert_eq!(card_codes(&second).len(), 1);
    assert_eq!(b.get("/catalog?kind=paper&page=3").await.status, StatusCode::NOT_FOUND);
    for bad in ["0", "-1", "abc", "1001", "99999999999999999999"] {
        let page = b.get(&format!("/catalog?kind=paper&page={bad}")).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "page={bad}");
        assert!(page.contains("The page must be a whole number from 1 to 1000."));
    }
}

#[tokio::test]
async fn bad_searches_get_clear_answers() {
    let app = spawn_app().await;
    computers(&app).await;
    let b = app.browser();
    assert_eq!(b.get("/catalog?kind=spaceship").await.status, StatusCode::NOT_FOUND);
    let page = b.get("/catalog?kind=pc&warp_factor_min=9").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("no characteristic “warp_factor”"));
    assert_eq!(card_codes(&page).len(), 5, "the rest of the search still runs");
    let page = b.get("/catalog?kind=pc&cpu_mhz_min=fast&disk_gb_min=900&disk_gb_max=100&price_min=1.2345").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("must be a number"));
    assert!(page.contains("The highest disk gb is below the lowest."));
    assert!(page.contains("Use at most two decimals."));
    assert_eq!(page.input_value("cpu_mhz_min").as_deref(), Some("fast"), "the typed value stays in the form");
    let page = b.get("/catalog?cpu_mhz_min=2000").await;
    assert!(page.contains("Choose a kind of goods to filter by"));
    let page = b.get(&format!("/catalog?q={}", "x".repeat(3000))).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("This search is too long"));
    assert_eq!(b.get("/catalog/NOSUCH").await.status, StatusCode::NOT_FOUND);
    assert_eq!(b.get(&format!("/catalog/{}", "X".repeat(500))).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn nothing_found_suggests_the_filter_to_loosen() {
    let app = spawn_app().await;
    computers(&app).await;
    let page = app.browser().get("/catalog?kind=pc&cpu_mhz_min=2500&price_max=950").await;
    assert!(card_codes(&page).is_empty());
    assert!(page.contains("Nothing matches this search."));
    assert!(page.contains("Loosen the price range: without it, 2 offers would match."), "{}", page.body);
}

#[tokio::test]
async fn the_product_page_lists_every_offer_cheapest_first() {
    let app = spawn_app().await;
    let (s, codes) = computers(&app).await;
    let other = app.create_user("Otto Other", &[Role::Salesperson]).await;
    let b = app.logged_in(&other).await;
    assert!(
        b.get(&format!("/catalog/{}", codes[0])).await.contains(&format!("href=\"/sell/offers/add/{}\"", codes[0]))
    );
    assert!(
        !app.browser().get(&format!("/catalog/{}", codes[0])).await.contains("Offer it too"),
        "only for salespeople"
    );
    let page = b
        .submit(
            &format!("/sell/offers/add/{}", codes[0]),
            &format!("/sell/offers/add/{}", codes[0]),
            &[
                ("price", "850"),
                ("stock", "3"),
                ("guarantee_months", "24"),
                ("cooling_off_days", "14"),
                ("trade_in", "yes"),
            ],
        )
        .await;
    assert!(page.contains("is in the catalog"), "{}", page.body);
    let product = app.browser().get(&format!("/catalog/{}", codes[0])).await;
    assert!(product.contains("850.00 EUR") && product.contains("900.00 EUR"));
    assert!(product.body.find("850.00 EUR") < product.body.find("900.00 EUR"), "cheapest first");
    assert!(product.contains("cpu mhz") && product.contains("2000"));
    assert!(product.contains("trade-in"));
    let _ = s;

    // The catalog shows one card per product: the cheapest offer, "from" its price, and the count.
    let catalog = app.browser().get("/catalog?kind=pc").await;
    let cards = card_codes(&catalog);
    assert_eq!(cards.len(), codes.len(), "still one card per product: {cards:?}");
    assert!(!cards.contains(&codes[0]), "the dearer offer gives way to the cheaper one");
    assert!(catalog.contains("from</span> <b>850.00 EUR</b>") && catalog.contains("2 offers</a>"), "{}", catalog.body);
    // The price range reads the card's price, the lowest in stock (as price comparison sites
    // do): a product sold from 850 is not among those from 880 up.
    let dear = card_codes(&app.browser().get("/catalog?kind=pc&price_min=880").await);
    assert!(!dear.contains(&codes[0]) && !dear.iter().any(|c| !codes.contains(c)), "{dear:?}");
    assert_eq!(card_codes(&app.browser().get("/catalog?kind=pc&price_max=850").await).len(), 1);
}

/// The offers on sale, cheapest first, and which of them lead (are their product's card).
fn leads(app: &TestApp) -> Vec<(String, bool)> {
    use shop::db::schema::offers;
    app.query(|c| {
        offers::table
            .filter(offers::withdrawn_at.is_null())
            .order((offers::price, offers::code))
            .select((offers::code, offers::is_lead))
            .load::<(String, bool)>(c)
    })
}

#[tokio::test]
async fn the_card_follows_the_cheapest_offer_in_stock_as_stock_and_prices_change() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    let cheap = app.stocked_offer(&w.seller, "Inkjo", "P1", "100", 1).await;
    let seller = app.logged_in(&w.seller).await;
    let add = format!("/sell/offers/add/{cheap}");
    let fields = [("price", "120"), ("stock", "5"), ("guarantee_months", "12"), ("cooling_off_days", "14")];
    assert!(seller.submit(&add, &add, &fields).await.contains("is in the catalog"));
    let dear = leads(&app).into_iter().map(|(c, _)| c).find(|c| *c != cheap).expect("the second offer");
    let card = || async { card_codes(&app.browser().get("/catalog?kind=printer").await) };
    assert_eq!(card().await, vec![cheap.clone()]);
    let product = app.browser().get(&format!("/catalog/{cheap}")).await;
    assert!(product.contains(&w.office.name), "the product page names the selling office: {}", product.body);

    // The cheap one sells out: the dearer one in stock leads; the order cancelled, it is back.
    let shopper = app.logged_in(&w.buyer).await;
    shopper.add_to_cart(&cheap, "1").await;
    let number = order_number(&shopper.check_out(&[("payment", "cash")]).await);
    assert_eq!(card().await, vec![dear.clone()]);
    assert!(app.browser().get("/catalog?kind=printer").await.contains("from</span> <b>120.00 EUR</b>"));
    shopper.submit(&format!("/orders/{number}"), &format!("/orders/{number}/cancel"), &[]).await;
    assert_eq!(card().await, vec![cheap.clone()]);

    // Repriced above the other, it gives way; withdrawn, the other is the only one left.
    seller.submit("/sell/offers", &format!("/sell/offers/{cheap}"), &[("price", "130"), ("stock", "1")]).await;
    assert_eq!(card().await, vec![dear.clone()]);
    seller.submit("/sell/offers", &format!("/sell/offers/{dear}/withdraw"), &[]).await;
    assert_eq!(card().await, vec![cheap.clone()]);
    assert_eq!(leads(&app), vec![(cheap.clone(), true)]);

    // Every offer sold out: the cheapest still shows, as sold out.
    seller.submit("/sell/offers", &format!("/sell/offers/{cheap}"), &[("price", "130"), ("stock", "0")]).await;
    assert_eq!(card().await, vec![cheap.clone()]);
}

#[tokio::test]
async fn many_buyers_at_once_leave_each_product_exactly_one_lead() {
    let app = spawn_app().await;
    let w = app.order_world().await;
    // Three offers of one product, one unit each at the cheapest two: buyers race for them.
    let first = app.stocked_offer(&w.seller, "Inkjo", "P2", "100", 2).await;
    let seller = app.logged_in(&w.seller).await;
    let add = format!("/sell/offers/add/{first}");
    for (price, stock) in [("110", "2"), ("120", "50")] {
        let fields = [("price", price), ("stock", stock), ("guarantee_months", "0"), ("cooling_off_days", "0")];
        assert!(seller.submit(&add, &add, &fields).await.contains("is in the catalog"));
    }
    let codes: Vec<String> = leads(&app).into_iter().map(|(c, _)| c).collect();
    let mut buyers = Vec::new();
    for i in 0..12 {
        let person = app.create_user(&format!("Buyer {i}"), &[Role::Shopper]).await;
        let b = app.logged_in(&person).await;
        // Each buyer puts one of every offer in the cart; some find the cheap ones gone.
        for code in &codes {
            b.add_to_cart(code, "1").await;
        }
        buyers.push(b);
    }
    let placed = futures_util::future::join_all(buyers.iter().map(|b| b.check_out(&[("payment", "cash")]))).await;
    let ok = placed.iter().filter(|p| p.path().starts_with("/orders/")).count();
    assert_eq!(ok, 2, "two buyers get one of every offer; the others find the cheap ones gone");
    let leads = leads(&app);
    assert_eq!(leads.iter().filter(|(_, lead)| *lead).count(), 1, "{leads:?}");
    let stocks: Vec<i64> = codes.iter().map(|c| app.stock_of(c)).collect();
    let lead = &leads.iter().find(|(_, l)| *l).expect("a lead").0;
    let expected = codes.iter().zip(&stocks).find(|(_, s)| **s > 0).map(|(c, _)| c).unwrap_or(&codes[0]);
    assert_eq!(lead, expected, "the cheapest in stock leads: stocks {stocks:?}");
}

#[tokio::test]
async fn product_text_is_escaped() {
    let app = spawn_app().await;
    app.kind("misc", &[]).await;
    let s = seller(&app).await;
    let code = app.offer(&s, "misc", "<script>alert(1)</script>", "X<b>1</b>", &[], "5").await;
    for path in [format!("/catalog/{code}"), "/catalog?kind=misc".to_owned(), "/".to_owned()] {
        let page = app.browser().get(&path).await;
        assert!(!page.contains("<script>alert(1)</script>"), "{path}");
        assert!(page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{path}");
    }
}

#[tokio::test]
async fn an_admin_manages_kinds_through_the_pages() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let a = app.logged_in(&admin).await;
    let page = a.submit("/admin/kinds", "/admin/kinds", &[("name", "Printers"), ("code", "Printer Kind")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("code").is_some());
    assert_eq!(page.input_value("name").as_deref(), Some("Printers"), "the name typed stays");
    let page = a.submit("/admin/kinds", "/admin/kinds", &[("name", "Printers"), ("code", "printer")]).await;
    assert_eq!(page.path(), "/admin/kinds/printer");
    let page = a
        .submit(
            "/admin/kinds/printer",
            "/admin/kinds/printer/characteristics",
            &[("label", "Speed"), ("name", "ppm"), ("value_type", "number"), ("unit", "pages/min")],
        )
        .await;
    assert!(page.contains("Characteristic added."));
    let page = a
        .submit(
            "/admin/kinds/printer",
            "/admin/kinds/printer/characteristics",
            &[("label", "Price"), ("name", "price_min"), ("value_type", "number")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("name").expect("message").contains("used by the search"));
    let page = a
        .submit(
            "/admin/kinds/printer",
            "/admin/kinds/printer/characteristics",
            &[("label", "Colour"), ("name", "printing"), ("value_type", "word"), ("words", "mono, colour")],
        )
        .await;
    assert!(page.contains("mono, colour"));
    let shopper = app.shopper().await;
    assert_eq!(app.logged_in(&shopper).await.get("/admin/kinds").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_salesperson_puts_a_product_in_the_catalog_and_bad_values_come_back() {
    let app = spawn_app().await;
    app.kind("pc", &[("cpu_mhz", true, ""), ("color", false, "black\nsilver")]).await;
    let s = seller(&app).await;
    let b = app.logged_in(&s).await;
    let fields = |cpu: &'static str, color: &'static str, price: &'static str| {
        vec![
            ("maker", "Acme"),
            ("model", "Z9"),
            ("name", "Acme Z9"),
            ("value_cpu_mhz", cpu),
            ("value_color", color),
            ("price", price),
            ("stock", "4"),
            ("guarantee_months", "12"),
            ("cooling_off_days", "14"),
        ]
    };
    let page = b.submit("/sell/offers/new/pc", "/sell/offers/new/pc", &fields("fast", "purple", "-5")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("cpu mhz must be a number"));
    assert!(page.contains("color must be one of: black, silver."));
    assert_eq!(page.field_error("price").as_deref(), Some("The amount cannot be negative."));
    assert_eq!(page.input_value("value_cpu_mhz").as_deref(), Some("fast"));
    assert_eq!(page.input_value("model").as_deref(), Some("Z9"));
    // "1,500" could be fifteen hundred or one and a half: it comes back with the question.
    let page = b.submit("/sell/offers/new/pc", "/sell/offers/new/pc", &fields("2400", "silver", "1,500")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("price").expect("a message").contains("decimal or a thousands separator"));
    assert_eq!(page.input_value("price").as_deref(), Some("1,500"));
    let page = b.submit("/sell/offers/new/pc", "/sell/offers/new/pc", &fields("2400", "silver", "1,299.50")).await;
    assert_eq!(page.path(), "/sell/offers");
    assert!(page.contains("is in the catalog") && page.contains("1299.50"));
    let page = app.browser().get("/catalog?kind=pc&cpu_mhz_min=2400&color=silver").await;
    assert_eq!(card_codes(&page).len(), 1);
    assert!(page.contains("1,299.50 EUR"));
    let page = b.submit("/sell/offers/new/pc", "/sell/offers/new/pc", &fields("2400", "silver", "1000")).await;
    assert!(page.field_error("model").expect("duplicate").contains("in the catalog already"));
    // A decimal comma is read as one: 1.499,90 is the price shown as 1,499.90.
    let mut other = fields("2400", "silver", "1.499,90");
    other[1] = ("model", "Z10");
    let page = b.submit("/sell/offers/new/pc", "/sell/offers/new/pc", &other).await;
    assert_eq!(page.path(), "/sell/offers");
    assert!(page.contains("1499.90"), "{}", page.body);
}

#[tokio::test]
async fn only_the_owner_changes_or_withdraws_an_offer() {
    let app = spawn_app().await;
    let (owner, codes) = computers(&app).await;
    let intruder = app.create_user("Ivo Intruder", &[Role::Salesperson]).await;
    let i = app.logged_in(&intruder).await;
    let page = i.submit("/sell/offers", &format!("/sell/offers/{}", codes[0]), &[("price", "1"), ("stock", "0")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = i.submit("/sell/offers", &format!("/sell/offers/{}/withdraw", codes[0]), &[]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let shopper = app.shopper().await;
    let page = app
        .logged_in(&shopper)
        .await
        .submit("/account", &format!("/sell/offers/{}", codes[0]), &[("price", "1"), ("stock", "0")])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(app.browser().get(&format!("/catalog/{}", codes[0])).await.contains("900.00 EUR"), "unchanged");

    let o = app.logged_in(&owner).await;
    let page =
        o.submit("/sell/offers", &format!("/sell/offers/{}", codes[0]), &[("price", "abc"), ("stock", "5")]).await;
    assert!(page.contains("was not changed"));
    let page =
        o.submit("/sell/offers", &format!("/sell/offers/{}", codes[0]), &[("price", "875"), ("stock", "5")]).await;
    assert!(page.contains("updated"));
    assert!(app.browser().get(&format!("/catalog/{}", codes[0])).await.contains("875.00 EUR"));
    o.submit("/sell/offers", &format!("/sell/offers/{}/withdraw", codes[0]), &[]).await;
    assert_eq!(card_codes(&app.browser().get("/catalog?kind=pc").await).len(), 4, "withdrawn offers leave the catalog");
}

#[tokio::test]
async fn a_customer_price_shows_struck_through_within_its_window() {
    let app = spawn_app().await;
    let (s, codes) = computers(&app).await;
    let customer = app.shopper().await;
    let stranger = app.shopper().await;
    let seller_browser = app.logged_in(&s).await;
    let page = seller_browser
        .submit(
            "/sell/prices",
            "/sell/prices",
            &[("offer", &codes[0]), ("customer_email", "nobody@example.com"), ("label", "X"), ("price", "800")],
        )
        .await;
    assert!(page.field_error("customer_email").is_some());
    assert_eq!(page.input_value("label").as_deref(), Some("X"));
    let page = seller_browser
        .submit(
            "/sell/prices",
            "/sell/prices",
            &[("offer", &codes[0]), ("customer_email", &customer.email), ("label", "Framework 2026"), ("price", "800")],
        )
        .await;
    assert!(page.contains("The agreed price is in place."), "{}", page.body);
    assert!(page.contains("Framework 2026"));
    assert!(!page.contains(&customer.email), "the list shows the seller's label, not the customer's data");
    let masked = format!("{}…@example.com", &customer.email[..1]);
    assert!(page.contains(&masked), "but tells the customer apart, masked: {}", page.body);

    let c = app.logged_in(&customer).await;
    let listing = c.get("/catalog?kind=pc").await;
    assert!(listing.contains("<s>900.00 EUR</s> <b>800.00 EUR</b>"), "{}", listing.body);
    assert!(c.get(&format!("/catalog/{}", codes[0])).await.contains("<s>900.00 EUR</s> <b>800.00 EUR</b>"));
    assert!(!app.logged_in(&stranger).await.get("/catalog?kind=pc").await.contains("800.00 EUR"));
    assert!(!app.browser().get("/catalog?kind=pc").await.contains("800.00 EUR"));

    // A price that starts tomorrow does not apply today; one that ended yesterday no longer does.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    seller_browser
        .submit(
            "/sell/prices",
            "/sell/prices",
            &[
                ("offer", &codes[1]),
                ("customer_email", &customer.email),
                ("label", "Later"),
                ("price", "700"),
                ("valid_from", &tomorrow),
            ],
        )
        .await;
    seller_browser
        .submit(
            "/sell/prices",
            "/sell/prices",
            &[
                ("offer", &codes[2]),
                ("customer_email", &customer.email),
                ("label", "Past"),
                ("price", "600"),
                ("valid_until", &yesterday),
            ],
        )
        .await;
    let listing = c.get("/catalog?kind=pc").await;
    assert!(!listing.contains("700.00 EUR") && !listing.contains("600.00 EUR"));
    let page = seller_browser
        .submit(
            "/sell/prices",
            "/sell/prices",
            &[
                ("offer", &codes[1]),
                ("customer_email", &customer.email),
                ("label", "Bad"),
                ("price", "700"),
                ("valid_from", &tomorrow),
                ("valid_until", &yesterday),
            ],
        )
        .await;
    assert_eq!(page.field_error("valid_until").as_deref(), Some("The last day is before the first."));
}

#[tokio::test]
async fn consumables_show_only_what_fits_registered_equipment() {
    let app = spawn_app().await;
    app.kind("toner", &[("color", false, "black\ncyan")]).await;
    let s = seller(&app).await;
    let b = app.logged_in(&s).await;
    for (model, fits) in [("T1", "Acme P100"), ("T2", "Acme P200\nOther X1"), ("T3", "Brand Z")] {
        let page = b
            .submit(
                "/sell/offers/new/toner",
                "/sell/offers/new/toner",
                &[
                    ("maker", "Acme"),
                    ("model", model),
                    ("name", &format!("Toner {model}")),
                    ("value_color", "black"),
                    ("is_consumable", "yes"),
                    ("fits", fits),
                    ("price", "30"),
                    ("stock", "9"),
                    ("guarantee_months", "0"),
                    ("cooling_off_days", "0"),
                ],
            )
            .await;
        assert!(page.contains("is in the catalog"), "{}", page.body);
    }
    let shopper = app.shopper().await;
    let c = app.logged_in(&shopper).await;
    assert!(c.get("/consumables").await.contains("Register the equipment you own"));
    let page = c.submit("/account/equipment", "/account/equipment", &[("maker", "Acme"), ("model", "")]).await;
    assert_eq!(page.field_error("model").as_deref(), Some("Enter the model (at most 80 characters)."));
    c.submit("/account/equipment", "/account/equipment", &[("maker", "Acme"), ("model", "P200")]).await;
    c.submit("/account/equipment", "/account/equipment", &[("maker", "Other"), ("model", "X1")]).await;
    let page = c.get("/consumables").await;
    assert_eq!(card_codes(&page).len(), 2, "T2 under each of the two printers it fits");
    assert!(page.contains("Toner T2") && !page.contains("Toner T1") && !page.contains("Toner T3"));
    assert!(page.contains("<h2>Acme P200</h2>") && page.contains("<h2>Other X1</h2>"));
    assert_eq!(app.browser().get("/consumables").await.path(), "/login?next=%2Fconsumables");

    // A refused addition is said on the consumables page, not on a page of its own.
    let code = card_codes(&page)[0].clone();
    assert!(page.contains("name=\"back\" value=\"/consumables\""));
    let back =
        c.submit("/consumables", "/cart/add", &[("offer", &code), ("quantity", "0"), ("back", "/consumables")]).await;
    assert_eq!(back.path(), "/consumables", "{}", back.body);
    assert!(back.contains("Not added to your cart") && back.contains("flash error"), "{}", back.body);
    // A way back that leaves the site is not followed.
    let other = c
        .submit("/consumables", "/cart/add", &[("offer", &code), ("quantity", "0"), ("back", "//evil.example/")])
        .await;
    assert_eq!(other.path(), "/cart/add");
    assert_eq!(other.status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_group_price_applies_to_its_members_only() {
    let app = spawn_app().await;
    let (s, codes) = computers(&app).await;
    let member = app.shopper().await;
    let outsider = app.shopper().await;
    let sb = app.logged_in(&s).await;
    let page = sb.submit("/sell/groups", "/sell/groups", &[("name", "ACME buyers")]).await;
    assert!(page.contains("Group created"), "{}", page.body);
    let group_path = page.path();
    let group_id = group_path.trim_start_matches("/sell/groups/").to_owned();
    let page = sb
        .submit(
            &group_path,
            &format!("{group_path}/members"),
            &[("customer_email", "nobody@example.com"), ("label", "X")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("customer_email").is_some());
    let page = sb
        .submit(
            &group_path,
            &format!("{group_path}/members"),
            &[("customer_email", &member.email), ("label", "Anna at ACME")],
        )
        .await;
    assert!(page.contains("Member added") && page.contains("Anna at ACME"));
    assert!(!page.contains(&member.email), "the member list shows the seller's label only");
    let list = sb.get("/sell/groups").await;
    assert!(list.contains("ACME buyers") && list.contains("1 member<"), "{}", list.body);
    let page = sb
        .submit(
            "/sell/prices",
            "/sell/prices",
            &[("offer", &codes[4]), ("group", &group_id), ("label", "ACME 2026"), ("price", "1400")],
        )
        .await;
    assert!(page.contains("The agreed price is in place.") && page.contains("group ACME buyers"), "{}", page.body);

    let m = app.logged_in(&member).await;
    assert!(m.get("/catalog?kind=pc").await.contains("<s>1,500.00 EUR</s> <b>1,400.00 EUR</b>"));
    assert!(!app.logged_in(&outsider).await.get("/catalog?kind=pc").await.contains("1,400.00 EUR"));

    // Another salesperson cannot see or change the group, nor price for it.
    let other = app.create_user("Otto Other", &[Role::Salesperson]).await;
    let ob = app.logged_in(&other).await;
    assert_eq!(ob.get(&group_path).await.status, StatusCode::NOT_FOUND);
    let own = app.offer(&other, "pc", "Other", "O1", &[("cpu_mhz", "2000")], "100").await;
    let page = ob
        .submit(
            "/sell/prices",
            "/sell/prices",
            &[("offer", &own), ("group", &group_id), ("label", "Steal"), ("price", "1")],
        )
        .await;
    assert_eq!(page.field_error("group").as_deref(), Some("Choose one of your own groups."));

    let page = sb.submit(&group_path, &format!("{group_path}/members/{}/remove", member.id), &[]).await;
    assert!(page.contains("Member removed"));
    assert!(!m.get("/catalog?kind=pc").await.contains("1,400.00 EUR"), "leaving the group ends its prices");
}

#[tokio::test]
async fn a_shopper_reaches_the_catalog_equipment_and_consumables_by_links() {
    let app = spawn_app().await;
    let shopper = app.shopper().await;
    let b = app.logged_in(&shopper).await;
    let home = b.get("/").await;
    assert!(home.contains("href=\"/catalog\""), "the navigation leads to the catalog");
    let account = b.get("/account").await;
    assert!(account.contains("href=\"/account/equipment\"") && account.contains("href=\"/consumables\""));
    assert!(app.browser().get("/").await.contains("href=\"/catalog\""), "visitors too");
}

/// Each instance keeps kinds and product facts in memory; a change made anywhere (through another
/// instance's pages or the service) shows on the next page everywhere.
#[tokio::test]
async fn facts_kept_in_memory_follow_changes_made_through_any_instance() {
    let app = spawn_app().await;
    let (s, codes) = computers(&app).await;
    let other = app.another_instance(|_| {}).await;
    let visitor = other.browser();
    let product = format!("/catalog/{}", codes[0]);
    assert!(visitor.get(&product).await.contains("disk gb"));
    let search = visitor.get("/catalog?kind=pc").await;
    assert!(search.contains("name=\"disk_gb_min\"") && search.contains("value=\"Acme\""));
    assert!(!search.contains("value=\"Bolt\""));
    assert!(!visitor.get("/").await.contains("Kind printer"));

    // A new maker, through the first instance's pages.
    let seller = app.logged_in(&s).await;
    let fields = [
        ("maker", "Bolt"),
        ("model", "B7"),
        ("name", "Bolt B7"),
        ("value_cpu_mhz", "2200"),
        ("value_disk_gb", "750"),
        ("value_color", "silver"),
        ("price", "700"),
        ("stock", "2"),
        ("guarantee_months", "12"),
        ("cooling_off_days", "14"),
    ];
    assert_eq!(seller.submit("/sell/offers/new/pc", "/sell/offers/new/pc", &fields).await.path(), "/sell/offers");
    assert!(visitor.get("/catalog?kind=pc").await.contains("value=\"Bolt\""));

    // A characteristic removed and a kind added by the admin on the first instance.
    let admin = app.logged_in(&app.admin().await).await;
    let page = admin.submit("/admin/kinds/pc", "/admin/kinds/pc/characteristics/disk_gb/remove", &[]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    admin.submit("/admin/kinds", "/admin/kinds", &[("name", "Kind printer"), ("code", "printer")]).await;
    let page = visitor.get(&product).await;
    assert!(page.contains("cpu mhz") && !page.contains("disk gb"), "{}", page.body);
    assert!(!visitor.get("/catalog?kind=pc").await.contains("name=\"disk_gb_min\""));
    assert!(visitor.get("/").await.contains("Kind printer"));

    // Prices, stock and withdrawals are never kept: they show at once.
    seller.submit("/sell/offers", &format!("/sell/offers/{}/withdraw", codes[0]), &[]).await;
    let page = visitor.get(&product).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("not on offer at the moment"), "{}", page.body);
    assert_eq!(visitor.get("/catalog/ZZZZZZZ").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_salesperson_searches_sorts_and_pages_their_offers() {
    let app = spawn_app().await;
    app.kind("paper", &[("sheets", true, "")]).await;
    let s = seller(&app).await;
    for i in 0..30 {
        let model = format!("{}{i:02}", if i % 10 == 0 { "Gloss" } else { "Matt" });
        app.offer(&s, "paper", "Papyro", &model, &[("sheets", "500")], &format!("{}", 40 - i)).await;
    }
    let b = app.logged_in(&s).await;
    let first = b.get("/sell/offers").await;
    assert!(first.contains("30 offers"), "{}", first.body);
    let rows = |p: &Page| p.body.matches("<td class=\"first\">").count();
    assert_eq!(rows(&first), 25, "a page of 25");
    assert!(first.contains("rel=\"next\""));
    let second = b.get("/sell/offers?q=&sort=newest&page=2").await;
    assert_eq!(rows(&second), 5);

    let found = b.get("/sell/offers?q=gloss").await;
    assert!(found.contains("3 offers") && found.contains("matching “gloss”"), "{}", found.body);
    assert_eq!(rows(&found), 3);

    // Sorted by price: the cheapest (11.00, the last made) first; the header's link reverses it.
    let cheap = b.get("/sell/offers?sort=price").await;
    let at = |p: &Page, text: &str| p.body.find(text).unwrap_or(usize::MAX);
    assert!(at(&cheap, "value=\"11.00\"") < at(&cheap, "value=\"12.00\""), "{}", cheap.body);
    assert!(cheap.contains("aria-sort=\"ascending\""));
    assert!(cheap.contains("href=\"/sell/offers?q=&#38;sort=-price\""), "{}", cheap.body);

    // "Agree a price" opens the prices form with the offer filled in.
    let code = card_codes(&app.browser().get("/catalog?kind=paper&sort=price").await)[0].clone();
    let prices = b.get(&format!("/sell/prices?offer={code}")).await;
    assert_eq!(prices.input_value("offer").as_deref(), Some(code.as_str()));
    assert!(prices.contains("<datalist id=\"offer-choices\">"), "a search, not a long list");
}

/// A PNG of `w`×`h` pixels, made here.
fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(w, h, image::Rgb([30, 120, 200])));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).expect("png");
    out
}

/// Uploads a file from the pictures page's form, as a browser sends it.
async fn upload(b: &Browser, code: &str, bytes: Vec<u8>, alt: &str) -> Page {
    let page = b.get(&format!("/sell/offers/{code}/pictures")).await;
    let action = page.body.split("enctype=\"multipart/form-data\"").next().and_then(|s| s.rsplit("action=\"").next());
    let action = action.and_then(|a| a.split('"').next()).expect("the upload form").replace("&#38;", "&");
    let form = reqwest::multipart::Form::new()
        .text("alt", alt.to_owned())
        .part("picture", reqwest::multipart::Part::bytes(bytes).file_name("photo.png"));
    Browser::page(b.client.post(format!("{}{action}", b.base)).multipart(form).send().await.expect("POST")).await
}

#[tokio::test]
async fn a_salesperson_adds_pictures_that_cards_and_product_pages_show() {
    let app = spawn_app().await;
    let (s, codes) = computers(&app).await;
    let b = app.logged_in(&s).await;
    // Another instance keeps the product's facts, pictures among them, from a first visit.
    let other = app.another_instance(|_| {}).await;
    assert!(!other.browser().get(&format!("/catalog/{}", codes[0])).await.contains("The front, lid open"));
    let page = upload(&b, &codes[0], png(1600, 1200), "The front, lid open").await;
    assert_eq!(page.path(), format!("/sell/offers/{}/pictures", codes[0]), "{}", page.body);
    assert!(page.contains("alt=\"The front, lid open\""));
    assert!(
        other.browser().get(&format!("/catalog/{}", codes[0])).await.contains("alt=\"The front, lid open\""),
        "a picture added through one instance shows on every instance's next page"
    );

    // The card and the product page show it; its bytes come with a year's cache.
    let catalog = app.browser().get("/catalog?kind=pc").await;
    let start = catalog.body.find("<img class=\"thumb\" src=\"").expect("a picture on a card") + 24;
    let src = catalog.body[start..].split('"').next().expect("src").to_owned();
    assert!(src.starts_with("/pictures/") && src.ends_with("/thumb.jpg"), "{src}");
    let thumb = app.browser().get(&src).await;
    assert_eq!(thumb.status, StatusCode::OK);
    assert_eq!(thumb.headers["content-type"], "image/jpeg");
    assert!(thumb.headers["cache-control"].to_str().unwrap_or_default().contains("immutable"));
    let product = app.browser().get(&format!("/catalog/{}", codes[0])).await;
    assert!(product.contains(&src.replace("thumb.jpg", "page.jpg")) && product.contains("alt=\"The front, lid open\""));
    assert_eq!(
        app.browser().get("/pictures/00000000000000000000000000000000/thumb.jpg").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.browser().get(&src.replace("thumb.jpg", "x.gif")).await.status, StatusCode::NOT_FOUND);

    // What is not a picture comes back with the reason next to the field, the description kept.
    let bad = upload(&b, &codes[0], b"not a picture at all".to_vec(), "Side view").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.field_error("picture").as_deref(), Some("Choose a JPEG, PNG or WebP picture."));
    assert_eq!(bad.input_value("alt").as_deref(), Some("Side view"));

    // An upload over 8 MB is refused without reading it all.
    let huge = upload(&b, &codes[0], vec![0u8; 9 * 1024 * 1024], "Huge").await;
    assert_eq!(huge.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(huge.field_error("picture").as_deref(), Some("The picture is larger than 8 MB."));
    assert_eq!(huge.input_value("alt").as_deref(), Some("Huge"), "the description stays");

    // Another salesperson's offer is not theirs to picture; an upload without the token is refused.
    let other = app.create_user("Otto Other", &[Role::Salesperson]).await;
    let o = app.logged_in(&other).await;
    assert_eq!(o.get(&format!("/sell/offers/{}/pictures", codes[0])).await.status, StatusCode::FORBIDDEN);
    let form = reqwest::multipart::Form::new().part("picture", reqwest::multipart::Part::bytes(png(10, 10)));
    let forged = b.client.post(format!("{}/sell/offers/{}/pictures", b.base, codes[0])).multipart(form).send().await;
    assert_eq!(forged.expect("POST").status(), StatusCode::FORBIDDEN);

    // Removed, it is gone from the offer.
    let removed = b
        .submit(
            &format!("/sell/offers/{}/pictures", codes[0]),
            &format!("/sell/offers/{}/pictures/0/remove", codes[0]),
            &[],
        )
        .await;
    assert!(removed.contains("No pictures yet."), "{}", removed.body);
}

/// Whether an e-mail address has an account is not a salesperson's to probe at will: unknown
/// addresses on the customer forms count per salesperson, and after ten each lookup waits.
#[tokio::test]
async fn a_salesperson_probing_addresses_for_accounts_is_slowed_down() {
    let app = spawn_app().await;
    let (s, codes) = computers(&app).await;
    let customer = app.shopper().await;
    let seller = app.logged_in(&s).await;
    let price_for = |email: String| {
        let (seller, offer) = (&seller, codes[0].clone());
        async move {
            seller
                .submit(
                    "/sell/prices",
                    "/sell/prices",
                    &[("offer", &offer), ("customer_email", &email), ("label", "Probe"), ("price", "800")],
                )
                .await
        }
    };
    // A known customer does not count against the salesperson.
    assert!(price_for(customer.email.clone()).await.contains("The agreed price is in place"));
    for n in 0..10 {
        let page = price_for(format!("guess{n}@example.com")).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "unknown address {n}");
        assert!(page.field_error("customer_email").is_some(), "unknown address {n}");
    }
    let page = price_for("guess10@example.com".into()).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
    assert!(page.contains("Wait"), "{}", page.body);
    let page = price_for(customer.email.clone()).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "the wait holds for any address");
}
