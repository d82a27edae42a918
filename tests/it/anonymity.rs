//! Anonymous purchase through the pages: the request, the pick, the private link and its payment
//! by prepaid card, the seller's desk, the carrier, the pickup counter, the admins' pickup points
//! and cards; bad input, races, the payment window and the keep period; and what is never kept
//! or shown.

use std::collections::{BTreeSet, VecDeque};

use diesel::prelude::*;
use reqwest::StatusCode;
use shop::accounts::Role;
use shop::anonymity::AnonState;

use crate::helpers::*;

/// Everything an anonymous purchase meets: a kind with characteristics and two offers, an office
/// with its seller, a carrier, a pickup point with its counter user, an admin, and prepaid cards.
struct AnonWorld {
    w: OrderWorld,
    admin: Person,
    counter: Person,
    cards: Vec<String>,
    /// The offer of 2,400 MHz for 999.00, 10 in stock.
    fast: String,
    slow: String,
}

/// The text between `start` and the next `end` after it.
fn between(body: &str, start: &str, end: &str) -> Option<String> {
    let at = body.find(start)? + start.len();
    Some(body[at..].split(end).next()?.to_owned())
}

impl TestApp {
    async fn anon_world(&self) -> AnonWorld {
        let w = self.order_world().await;
        self.kind("laptop", &[("cpu_mhz", true, ""), ("color", false, "black\nsilver")]).await;
        let fast =
            self.offer(&w.seller, "laptop", "Acme", "Fast", &[("cpu_mhz", "2400"), ("color", "black")], "999.00").await;
        let slow = self
            .offer(&w.seller, "laptop", "Bolt", "Slow", &[("cpu_mhz", "1200"), ("color", "silver")], "499.00")
            .await;
        let admin = self.admin().await;
        let counter = self.create_user("Paula Pickup", &[Role::Pickup]).await;
        let a = self.logged_in(&admin).await;
        // The admins' pages: a pickup point, its counter user, a batch of cards.
        let fields = [
            ("code", "corner"),
            ("name", "Corner Shop"),
            ("address", "7 Corner Row\nSampletown"),
            ("opening_hours", "Mon–Sat 8–20"),
        ];
        let page = a.submit("/admin/pickup-points", "/admin/pickup-points", &fields).await;
        assert_eq!(page.path(), "/admin/pickup-points/CORNER", "{}", page.body);
        let page = a.submit(&page.path(), "/admin/pickup-points/CORNER/staff", &[("email", &counter.email)]).await;
        assert!(page.contains("Paula Pickup"), "{}", page.body);
        let cards = issue_cards(&a, "3", "1000.00").await;
        AnonWorld { w, admin, counter, cards, fast, slow }
    }
}

/// Issues cards on the admins' page; returns the codes the page shows once.
async fn issue_cards(admin: &Browser, count: &str, value: &str) -> Vec<String> {
    let form = admin.get("/admin/prepaid").await;
    let (csrf, key) = (form.input_value("csrf_token").expect("csrf"), form.input_value("key").expect("key"));
    let page = admin
        .post_raw("/admin/prepaid", &[("csrf_token", &csrf), ("key", &key), ("count", count), ("face_value", value)])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let list = between(&page.body, "id=\"codes\">", "</ol>").expect("codes");
    list.split("<code>").skip(1).filter_map(|c| c.split("</code>").next()).map(str::to_owned).collect()
}

/// A buyer's state in the flow: the results page, then the private link.
struct Bought {
    link: String,
    code: String,
    pin: String,
    page: Page,
}

async fn ask(b: &Browser, fields: &[(&str, &str)]) -> Page {
    let mut all = vec![("kind", "laptop")];
    all.extend_from_slice(fields);
    b.submit("/anon?kind=laptop", "/anon", &all).await
}

/// Whether a page lists a request's results.
fn is_results(page: &Page) -> bool {
    page.status == StatusCode::OK && page.contains("<h1>Offers that match</h1>")
}

/// Picks `offer` on a results page.
async fn pick_on(b: &Browser, results: &Page, offer: &str, quantity: &str) -> Page {
    let action = format!(
        "/anon/results/{}/pick",
        between(&results.body, "action=\"/anon/results/", "/pick").expect("pick form")
    );
    let (csrf, key) = (results.input_value("csrf_token").expect("csrf"), results.input_value("key").expect("key"));
    b.post_raw(&action, &[("csrf_token", &csrf), ("key", &key), ("offer", offer), ("quantity", quantity)]).await
}

fn bought(page: Page) -> Bought {
    assert!(page.path().starts_with("/anon/orders/"), "not a private link: {} {}", page.path(), page.body);
    Bought {
        link: page.path().trim_start_matches("/anon/orders/").to_owned(),
        code: between(&page.body, "<h1>Order <code>", "</code>").expect("order ID"),
        pin: between(&page.body, "id=\"pin\">", "</strong>").expect("PIN"),
        page,
    }
}

/// Request → results → pick, as a visitor.
async fn buy(b: &Browser, offer: &str, quantity: &str) -> Bought {
    let results = ask(b, &[("cpu_mhz_min", "1000")]).await;
    assert!(is_results(&results), "{}", results.body);
    bought(pick_on(b, &results, offer, quantity).await)
}

/// Pays on the private link (with the session's form token: the link may show no form now).
async fn pay(b: &Browser, bought: &Bought, card: &str) -> Page {
    let path = format!("/anon/orders/{}/pay", bought.link);
    b.submit("/anon?kind=laptop", &path, &[("card", card), ("point", "CORNER")]).await
}

/// Runs the job that tells sellers of their anonymous orders; returns how many changes it told.
async fn tell_sellers(app: &TestApp) -> usize {
    app.db.write(|c| shop::anonymity::tell_sellers(c, shop::db::now())).await.expect("job")
}

fn state_of(app: &TestApp, code: &str) -> AnonState {
    use shop::db::schema::anon_orders;
    let code = code.to_owned();
    app.query(move |c| anon_orders::table.filter(anon_orders::code.eq(&code)).select(anon_orders::state).first(c))
}

fn sale_quantities(app: &TestApp) -> Vec<i64> {
    use shop::db::schema::sales;
    app.query(|c| sales::table.filter(sales::channel.eq("anonymous")).select(sales::quantity).load(c))
}

/// The money on a card, found by its code's last four characters.
fn card_balance(app: &TestApp, code: &str) -> (i64, i64) {
    use shop::db::schema::{ledger_accounts, prepaid_cards};
    let last4 = code[code.len() - 4..].to_owned();
    app.query(move |c| {
        let account: String =
            prepaid_cards::table.filter(prepaid_cards::last4.eq(&last4)).select(prepaid_cards::account_id).first(c)?;
        ledger_accounts::table
            .filter(ledger_accounts::id.eq(&account))
            .select((ledger_accounts::balance, ledger_accounts::held))
            .first(c)
    })
}

#[tokio::test]
async fn the_whole_anonymous_path_works_through_the_pages_and_no_staff_page_shows_a_secret() {
    let app = spawn_app().await;
    let aw = app.anon_world().await;
    let buyer = app.browser();

    // The request: kind, a range and a word; the results come from the catalog at list prices.
    let results = ask(&buyer, &[("cpu_mhz_min", "2000"), ("color", "black"), ("price_max", "1500")]).await;
    assert!(is_results(&results), "{}", results.body);
    assert!(results.contains("Acme Fast") && results.contains("999.00"), "{}", results.body);
    assert!(!results.contains("Bolt Slow"), "only what matches");

    let b = bought(pick_on(&buyer, &results, &aw.fast, "1").await);
    assert!(b.page.contains("Keep the order ID, the PIN and this page"), "{}", b.page.body);
    assert_eq!(b.pin.len(), 8);
    assert!(b.link.len() >= 32, "at least 128 bits: {}", b.link);
    assert_eq!(app.stock_of(&aw.fast), 9, "held for the payment window");

    // The seller sees the pair (order ID, commodity) at once, and gets an e-mail when the job
    // that tells sellers runs next (every two seconds).
    let seller = app.logged_in(&aw.w.seller).await;
    let desk = seller.get("/sell/anon").await;
    assert!(
        desk.contains(&b.code) && desk.contains("Acme Fast") && desk.contains("waiting for payment"),
        "{}",
        desk.body
    );
    assert_eq!(tell_sellers(&app).await, 1);
    let mails = app.outbox();
    let made = format!("Anonymous order {}: Acme Fast", b.code);
    assert!(
        mails.iter().any(|m| m.recipient == aw.w.seller.email && m.subject == made && m.body.contains(&b.code)),
        "{mails:?}"
    );
    assert_eq!(tell_sellers(&app).await, 0, "told once");

    // Settlement: a prepaid card pays exactly the price, held for the office.
    let paid = pay(&buyer, &b, &aw.cards[0]).await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.body);
    assert!(paid.contains("Paid.") && paid.contains("Corner Shop"), "{}", paid.body);
    assert_eq!(card_balance(&app, &aw.cards[0]), (100_000, 99_900), "held, not yet posted");
    assert_eq!(sale_quantities(&app), vec![1], "the sale is in the history when paid");
    assert_eq!(tell_sellers(&app).await, 1);
    assert!(app.outbox().iter().any(|m| m.subject.contains("paid") && m.body.contains("Corner Shop")));

    // The seller prints the label and hands the parcel to the carrier.
    let label = seller.get(&format!("/sell/anon/{}/label", b.code)).await;
    assert!(label.contains(&b.code) && label.contains("7 Corner Row"), "{}", label.body);
    let sent = seller
        .submit("/sell/anon", &format!("/sell/anon/{}/dispatch", b.code), &[("carrier", &aw.w.carrier.code)])
        .await;
    assert!(sent.contains("on its way"), "{}", sent.body);

    // The carrier sees the pickup point's address, never a person, and delivers.
    let courier = app.logged_in(&aw.w.courier).await;
    let parcels = courier.get("/carrier/shipments").await;
    assert!(parcels.contains(&b.code) && parcels.contains("7 Corner Row"), "{}", parcels.body);
    assert!(parcels.contains(&format!("action=\"/carrier/parcels/{}/delivered\"", b.code)), "{}", parcels.body);
    let done = courier.submit("/carrier/shipments", &format!("/carrier/parcels/{}/delivered", b.code), &[]).await;
    assert_eq!(done.path(), "/carrier/shipments");
    assert!(done.contains(&format!("Parcel {} delivered to the pickup point", b.code)), "{}", done.body);
    assert!(!done.contains("Delivered to the pickup point</button>"), "no longer to deliver: {}", done.body);
    assert_eq!(state_of(&app, &b.code), AnonState::Arrived);
    let private = buyer.get(&format!("/anon/orders/{}", b.link)).await;
    assert!(private.contains("at the pickup point") && private.contains("Mon–Sat 8–20"), "{}", private.body);

    // The counter hands over on order ID and PIN; a wrong PIN is refused first.
    let counter = app.logged_in(&aw.counter).await;
    let desk = counter.get("/pickup").await;
    assert!(desk.contains(&b.code), "{}", desk.body);
    let wrong = if b.pin == "00000000" { "11111111" } else { "00000000" };
    let page = counter.submit("/pickup", "/pickup/handover", &[("code", &b.code), ("pin", wrong)]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("pin").is_some_and(|e| e.contains("Wrong PIN")), "{}", page.body);
    assert_eq!(page.input_value("code").as_deref(), Some(b.code.as_str()), "the order ID is kept");
    let page =
        counter.submit("/pickup", "/pickup/handover", &[("code", &b.code.to_lowercase()), ("pin", &b.pin)]).await;
    assert!(page.contains("collected"), "{}", page.body);
    assert_eq!(state_of(&app, &b.code), AnonState::Collected);
    assert_eq!(card_balance(&app, &aw.cards[0]), (100, 0), "posted to the seller");
    let office = app.echeck(|c| shop::echeck::account_of_office(c, &aw.w.office.id)).expect("office").expect("account");
    assert_eq!(office.balance, 99_900);
    app.assert_books_balance();
    let private = buyer.get(&format!("/anon/orders/{}", b.link)).await;
    assert!(private.contains("collected") && !private.contains(&b.pin), "no PIN after collection");

    // No page the staff can reach shows the PIN, the link's secret or a card code.
    let secrets = [b.pin.as_str(), b.link.as_str(), aw.cards[0].as_str(), aw.cards[1].as_str()];
    let admin = app.logged_in(&aw.admin).await;
    for (who, start) in [
        (&seller, vec!["/", "/sell", "/sell/anon"]),
        (&courier, vec!["/", "/carrier", "/carrier/shipments"]),
        (&counter, vec!["/", "/pickup"]),
        (
            &admin,
            vec!["/", "/admin", "/admin/prepaid", "/admin/pickup-points", "/admin/outbox", "/admin/echeck/ledger"],
        ),
    ] {
        crawl(who, &start, &secrets).await;
    }
}

/// Follows every same-site link from `start` (GET only, at most 150 pages) and asserts no page
/// holds any of `secrets`.
async fn crawl(b: &Browser, start: &[&str], secrets: &[&str]) {
    let mut queue: VecDeque<String> = start.iter().map(|s| s.to_string()).collect();
    let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
    let mut pages = 0;
    while let Some(path) = queue.pop_front() {
        if pages >= 150 {
            break;
        }
        pages += 1;
        let page = b.get(&path).await;
        assert!(!page.status.is_server_error(), "{path}: {}", page.status);
        for secret in secrets {
            assert!(!page.body.contains(secret), "{path} shows a secret ({secret})");
        }
        for part in page.body.split("href=\"").skip(1) {
            let href = part.split('"').next().unwrap_or_default().replace("&amp;", "&");
            let skip = !href.starts_with('/') || href.starts_with("//") || href.starts_with("/static");
            if skip || href.contains("logout") || href.contains("/pictures/") {
                continue;
            }
            if seen.insert(href.clone()) {
                queue.push_back(href);
            }
        }
    }
    assert!(pages > start.len(), "the crawl followed links");
}

#[tokio::test]
async fn every_request_goes_to_the_preference_store_and_nothing_matching_says_what_to_loosen() {
    let app = spawn_app().await;
    let _aw = app.anon_world().await;
    let buyer = app.browser();
    let page = ask(&buyer, &[("cpu_mhz_min", "5000"), ("color", "silver")]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("Nothing matches; change your request"), "{}", page.body);
    assert!(page.contains("Without cpu mhz, 1 product would match"), "{}", page.body);
    assert_eq!(page.input_value("cpu_mhz_min").as_deref(), Some("5000"), "the form is kept");
    ask(&buyer, &[("cpu_mhz_min", "1000")]).await;

    use shop::db::schema::{purchase_requests, request_constraints};
    let mut matches: Vec<i64> = app.query(|c| purchase_requests::table.select(purchase_requests::matches).load(c));
    matches.sort();
    assert_eq!(matches, vec![0, 2], "matched or not, every request is kept");
    let words: Vec<Option<String>> =
        app.query(|c| request_constraints::table.select(request_constraints::word).load(c));
    assert!(words.contains(&Some("silver".into())));
}

#[tokio::test]
async fn bad_input_comes_back_with_a_clear_message_and_the_form_kept() {
    let app = spawn_app().await;
    let aw = app.anon_world().await;
    let buyer = app.browser();

    let page = buyer.submit("/anon?kind=laptop", "/anon", &[("kind", "spaceship")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
    assert!(page.field_error("kind").is_some_and(|e| e.contains("no such kind")), "{}", page.body);
    let page = buyer.get("/anon?kind=spaceship").await;
    assert!(page.field_error("kind").is_some(), "{}", page.body);

    let page = ask(&buyer, &[("wings", "2")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("kind").is_some_and(|e| e.contains("wings")), "{}", page.body);

    let page = ask(&buyer, &[("cpu_mhz_min", "3000"), ("cpu_mhz_max", "2000")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("is below the lowest"), "{}", page.body);
    assert_eq!(page.input_value("cpu_mhz_min").as_deref(), Some("3000"));

    let page = ask(&buyer, &[("cpu_mhz_min", "fast")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("must be a number"), "{}", page.body);
    let page = ask(&buyer, &[("price_max", "cheap")]).await;
    assert!(page.field_error("price_max").is_some(), "{}", page.body);

    // A stale or forged token, a pick that was not among the results.
    let page = buyer.get(&format!("/anon/results/{}", "ab".repeat(16))).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.contains("out of date"), "{}", page.body);
    let page = buyer.get("/anon/results/..%2F..%2Fetc").await;
    assert!(!page.status.is_server_error());
    let results = ask(&buyer, &[("cpu_mhz_min", "2000")]).await;
    let page = pick_on(&buyer, &results, &aw.slow, "1").await;
    assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.body);
    assert!(page.contains("not among your results"), "{}", page.body);
    let page = pick_on(&buyer, &results, &aw.fast, "many").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Type a whole number"), "{}", page.body);
    assert_eq!(app.stock_of(&aw.fast), 10, "nothing taken");

    // Malformed and wrong card codes, a missing pickup point.
    let b = bought(pick_on(&buyer, &results, &aw.fast, "1").await);
    let path = format!("/anon/orders/{}", b.link);
    let page = buyer.submit(&path, &format!("{path}/pay"), &[("card", "12"), ("point", "CORNER")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("card").is_some_and(|e| e.contains("16 letters")), "{}", page.body);
    assert_eq!(page.input_value("card").as_deref(), Some("12"), "kept");
    let page = pay(&buyer, &b, "ABCD-EFGH-JKMN-PQRS").await;
    assert!(page.field_error("card").is_some_and(|e| e.contains("No card")), "{}", page.body);
    let page = buyer.submit(&path, &format!("{path}/pay"), &[("card", &aw.cards[0])]).await;
    assert!(page.body.contains("Choose a pickup point"), "{}", page.body);
    assert_eq!(state_of(&app, &b.code), AnonState::AwaitingPayment);
    // Both fields wrong at once: both are marked.
    let page = buyer.submit(&path, &format!("{path}/pay"), &[("card", "ABCD-EFGH-JKMN-PQRS")]).await;
    assert!(page.field_error("card").is_some_and(|e| e.contains("No card")), "{}", page.body);
    assert!(page.field_error("point").is_some_and(|e| e.contains("Choose a pickup point")), "{}", page.body);
    assert_eq!(buyer.get("/anon/orders/not-a-link").await.status, StatusCode::NOT_FOUND);
    assert_eq!(buyer.get(&format!("/anon/orders/{}", "0".repeat(40))).await.status, StatusCode::NOT_FOUND);

    // A card whose balance is short pays nothing, and says so.
    let a = app.logged_in(&aw.admin).await;
    let small = issue_cards(&a, "1", "10.00").await;
    let page = pay(&buyer, &b, &small[0]).await;
    assert!(page.field_error("card").is_some_and(|e| e.contains("nothing was paid")), "{}", page.body);
    assert_eq!(card_balance(&app, &small[0]), (1_000, 0));
    // A blocked card cannot pay.
    let batch = a.get("/admin/prepaid").await;
    let number = between(&batch.body, "<a href=\"/admin/prepaid/", "\"").expect("batch");
    let cards = a.get(&format!("/admin/prepaid/{number}")).await;
    let card_id = between(&cards.body, "action=\"/admin/prepaid/cards/", "/block").expect("card");
    a.submit(&format!("/admin/prepaid/{number}"), &format!("/admin/prepaid/cards/{card_id}/block"), &[]).await;
    let page = pay(&buyer, &b, &small[0]).await;
    assert!(page.field_error("card").is_some_and(|e| e.contains("blocked")), "{}", page.body);
}

#[tokio::test]
async fn one_order_per_pick_and_one_payment_per_order_however_many_submit_at_once() {
    let app = spawn_app().await;
    let aw = app.anon_world().await;
    // Twin submits of one pick: one order, both on its link.
    let buyer = app.browser();
    let results = ask(&buyer, &[("cpu_mhz_min", "1000")]).await;
    let (one, two) = tokio::join!(pick_on(&buyer, &results, &aw.fast, "1"), pick_on(&buyer, &results, &aw.fast, "1"));
    assert_eq!(one.path(), two.path(), "{} / {}", one.body, two.body);
    assert_eq!(app.stock_of(&aw.fast), 9);
    let b = bought(one);

    // Two cards paying one order at once, and a twin submit: one payment.
    let (x, y, z) =
        tokio::join!(pay(&buyer, &b, &aw.cards[0]), pay(&buyer, &b, &aw.cards[1]), pay(&buyer, &b, &aw.cards[1]));
    for page in [&x, &y, &z] {
        assert!(!page.status.is_server_error(), "{}", page.body);
    }
    let held: Vec<i64> = aw.cards.iter().take(2).map(|c| card_balance(&app, c).0 - card_balance(&app, c).1).collect();
    let mut held = held;
    held.sort();
    assert_eq!(held, vec![100, 100_000], "one card paid, once");
    assert_eq!(sale_quantities(&app), vec![1]);
    app.assert_books_balance();

    // Buyers racing for the last unit: one order.
    let offer = app.offer(&aw.w.seller, "laptop", "Cobra", "Last", &[("cpu_mhz", "3000")], "50.00").await;
    let (s, c) = (aw.w.seller.id.clone(), offer.clone());
    app.db.write(move |conn| shop::catalog::change_offer(conn, &s, &c, "50.00", "1")).await.expect("stock");
    let buyers: Vec<Browser> = (0..8).map(|_| app.browser()).collect();
    let mut pages = Vec::new();
    for b in &buyers {
        pages.push(ask(b, &[("cpu_mhz_min", "2900")]).await);
    }
    let picks =
        futures_util::future::join_all(buyers.iter().zip(&pages).map(|(b, p)| pick_on(b, p, &offer, "1"))).await;
    let made = picks.iter().filter(|p| p.path().starts_with("/anon/orders/")).count();
    assert_eq!(made, 1, "{:?}", picks.iter().map(|p| p.status).collect::<Vec<_>>());
    assert!(picks.iter().all(|p| !p.status.is_server_error()));
    assert!(picks.iter().filter(|p| p.status == StatusCode::CONFLICT).all(|p| p.contains("Sold out")));
    assert_eq!(app.stock_of(&offer), 0);

    // The seller is told of all of it in one e-mail: two orders made (whatever the twins did),
    // one paid.
    let before = app.outbox().len();
    assert_eq!(tell_sellers(&app).await, 3);
    let mails = app.outbox();
    assert_eq!(mails.len(), before + 1, "one e-mail for the office's one salesperson: {mails:?}");
    let digest = mails.last().expect("digest");
    assert_eq!(digest.recipient, aw.w.seller.email);
    assert_eq!(digest.subject, "3 anonymous orders: 2 new, 1 paid");
    assert_eq!(digest.body.matches(&b.code).count(), 2, "{}", digest.body);
    assert!(digest.body.contains("Send it to the pickup point") && digest.body.contains("Corner Shop"));
}

#[tokio::test]
async fn an_unpaid_order_gives_its_stock_back_and_cannot_be_paid_after_the_window() {
    let app = spawn_app().await;
    let aw = app.anon_world().await;
    let buyer = app.browser();
    let b = buy(&buyer, &aw.fast, "2").await;
    assert_eq!(app.stock_of(&aw.fast), 8);

    // Paying late, before the job ran: refused, and the stock goes back there and then.
    let terms = shop::anon_terms(&app.config);
    let (link, card) = (b.link.clone(), aw.cards[0].clone());
    let later = shop::db::now() + chrono::Duration::minutes(61);
    let t = terms.clone();
    let paid = app.db.write(move |c| shop::anonymity::pay(c, &t, &link, &card, "CORNER", later)).await.expect("pay");
    assert_eq!(paid, shop::anonymity::Payment::TooLate);
    assert_eq!(app.stock_of(&aw.fast), 10);
    assert_eq!(state_of(&app, &b.code), AnonState::Expired);
    let page = pay(&buyer, &b, &aw.cards[0]).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.contains("payment window closed"), "{}", page.body);
    assert_eq!(card_balance(&app, &aw.cards[0]), (100_000, 0));

    // The job releases the others.
    let other = buy(&buyer, &aw.slow, "1").await;
    let n = app.db.write(move |c| shop::anonymity::expire_unpaid(c, later, 100)).await.expect("job");
    assert_eq!(n, 1);
    assert_eq!(state_of(&app, &other.code), AnonState::Expired);
    assert_eq!(app.stock_of(&aw.slow), 10);
}

/// A paid parcel of the fast laptop, dispatched and received at the counter (as the counter says).
async fn at_the_counter(app: &TestApp, aw: &AnonWorld, buyer: &Browser) -> (Bought, Browser) {
    let b = buy(buyer, &aw.fast, "1").await;
    pay(buyer, &b, &aw.cards[0]).await;
    let seller = app.logged_in(&aw.w.seller).await;
    seller.submit("/sell/anon", &format!("/sell/anon/{}/dispatch", b.code), &[("carrier", &aw.w.carrier.code)]).await;
    let counter = app.logged_in(&aw.counter).await;
    let page = counter.submit("/pickup", &format!("/pickup/parcels/{}/arrived", b.code), &[]).await;
    assert!(page.contains("is here"), "{}", page.body);
    (b, counter)
}

#[tokio::test]
async fn an_uncollected_parcel_goes_back_and_the_card_is_refunded() {
    let app = spawn_app().await;
    let aw = app.anon_world().await;
    let buyer = app.browser();
    let (b, counter) = at_the_counter(&app, &aw, &buyer).await;

    let later = shop::db::now() + chrono::Duration::days(8);
    let n = app.db.write(move |c| shop::anonymity::return_uncollected(c, 7, later, 100)).await.expect("job");
    assert_eq!(n, 1);
    assert_eq!(state_of(&app, &b.code), AnonState::Returned);
    assert_eq!(card_balance(&app, &aw.cards[0]), (100_000, 0), "refunded");
    let mut sales = sale_quantities(&app);
    sales.sort();
    assert_eq!(sales, vec![-1, 1], "the sale is taken back");
    assert_eq!(app.stock_of(&aw.fast), 10);
    let private = buyer.get(&format!("/anon/orders/{}", b.link)).await;
    assert!(private.contains("card refunded"), "{}", private.body);
    let desk = counter.get("/pickup").await;
    assert!(desk.contains(&format!("return-{}", b.code)), "{}", desk.body);
    let page = counter.submit("/pickup", &format!("/pickup/parcels/{}/sent-back", b.code), &[]).await;
    assert!(page.contains("given back"), "{}", page.body);
    app.assert_books_balance();
}

#[tokio::test]
async fn five_wrong_pins_lock_the_parcel_until_the_private_link_shows_a_new_pin() {
    let app = spawn_app().await;
    let aw = app.anon_world().await;
    let buyer = app.browser();
    let (b, counter) = at_the_counter(&app, &aw, &buyer).await;

    let wrong = if b.pin == "00000000" { "11111111" } else { "00000000" };
    for _ in 0..5 {
        let page = counter.submit("/pickup", "/pickup/handover", &[("code", &b.code), ("pin", wrong)]).await;
        assert!(page.field_error("pin").is_some(), "{}", page.body);
    }
    let page = counter.submit("/pickup", "/pickup/handover", &[("code", &b.code), ("pin", &b.pin)]).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.contains("locked after 5 wrong PINs"), "{}", page.body);
    let desk = counter.get("/pickup").await;
    assert!(desk.contains("locked: the buyer must get a new PIN"), "{}", desk.body);
    let private = buyer.get(&format!("/anon/orders/{}", b.link)).await;
    assert!(private.contains("id=\"locked\""), "{}", private.body);

    let path = format!("/anon/orders/{}", b.link);
    let fresh = bought(buyer.submit(&path, &format!("{path}/pin"), &[]).await);
    assert_ne!(fresh.pin, b.pin);
    let page = counter.submit("/pickup", "/pickup/handover", &[("code", &b.code), ("pin", &b.pin)]).await;
    assert!(page.field_error("pin").is_some(), "the old PIN no longer works: {}", page.body);
    let page = counter.submit("/pickup", "/pickup/handover", &[("code", &b.code), ("pin", &fresh.pin)]).await;
    assert!(page.contains("collected"), "{}", page.body);
}

/// Every text column of every table, for a search of the whole database.
fn all_text(app: &TestApp) -> Vec<(String, String)> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    #[derive(QueryableByName)]
    struct Cell {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        v: Option<String>,
    }
    app.query(|c| {
        let postgres = matches!(c, shop::db::DbConnection::Postgresql(_));
        let tables: Vec<Name> = if postgres {
            diesel::sql_query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()").load(c)?
        } else {
            diesel::sql_query("SELECT name FROM sqlite_master WHERE type = 'table'").load(c)?
        };
        let mut out = Vec::new();
        for t in tables {
            let columns: Vec<Name> = if postgres {
                diesel::sql_query(format!(
                    "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{}'",
                    t.name
                ))
                .load(c)?
            } else {
                diesel::sql_query(format!("SELECT name FROM pragma_table_info('{}')", t.name)).load(c)?
            };
            for col in columns {
                let cast = format!("CAST(\"{}\" AS TEXT)", col.name);
                let cells: Vec<Cell> = diesel::sql_query(format!("SELECT {cast} AS v FROM \"{}\"", t.name)).load(c)?;
                out.extend(cells.into_iter().filter_map(|cell| Some((format!("{}.{}", t.name, col.name), cell.v?))));
            }
        }
        Ok(out)
    })
}

#[tokio::test]
async fn a_logged_in_shopper_who_buys_anonymously_leaves_nothing_that_names_them() {
    let app = spawn_app().await;
    let aw = app.anon_world().await;
    let shopper = app.logged_in(&aw.w.buyer).await;
    let b = buy(&shopper, &aw.fast, "1").await;
    pay(&shopper, &b, &aw.cards[0]).await;

    // The account's own tables (and its sessions) name the user; nothing else does.
    let accounts_tables =
        ["users.", "user_roles.", "account_events.", "sessions.", "delivery_addresses.", "password_resets."];
    let marks = [aw.w.buyer.id.as_str(), aw.w.buyer.email.as_str(), aw.w.buyer.name.as_str(), "+1 555 0100"];
    for (column, value) in all_text(&app) {
        if accounts_tables.iter().any(|t| column.starts_with(t)) {
            continue;
        }
        for mark in marks {
            assert!(!value.contains(mark), "{column} names the buyer ({mark}): {value}");
        }
        for secret in [b.pin.as_str(), b.link.as_str(), aw.cards[0].as_str()] {
            assert!(!value.contains(secret), "{column} holds a secret in the clear");
        }
    }

    // The module's tables of orders and cards have no place for a person, a session or a client.
    let columns: Vec<String> = all_text(&app).into_iter().map(|(c, _)| c).collect();
    for column in columns.iter().filter(|c| c.starts_with("anon_") || c.starts_with("prepaid_")) {
        for word in ["user", "session", "email", "agent", "client", "ip_", "address"] {
            assert!(!column.contains(word), "{column}");
        }
    }
}
