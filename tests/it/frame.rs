//! The web frame: CSRF, security headers, cookies, error pages, static files, operations.

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn a_post_without_or_with_a_wrong_csrf_token_is_refused() {
    let app = spawn_app().await;
    let person = app.shopper().await;
    let b = app.browser();
    b.get("/login").await;
    let page = b.post_raw("/login", &[("email", &person.email), ("password", PASSWORD)]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.contains("Form expired"));
    let page = b.post_raw("/login", &[("csrf_token", "0000"), ("email", &person.email), ("password", PASSWORD)]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(b.get("/account").await.path(), "/login?next=%2Faccount", "not logged in");

    // A logged-in user's POST needs the token too.
    let b = app.logged_in(&person).await;
    assert_eq!(b.post_raw("/logout", &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(b.get("/account").await.path(), "/account", "still logged in");
    // Another session's token does not fit this one.
    let other = app.browser();
    let foreign = other.get("/login").await.input_value("csrf_token").expect("token");
    assert_eq!(b.post_raw("/logout", &[("csrf_token", &foreign)]).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_cross_site_post_is_refused_even_with_the_token() {
    let app = spawn_app().await;
    let person = app.shopper().await;
    let b = app.logged_in(&person).await;
    let token = b.get("/account").await.input_value("csrf_token").expect("token");
    let evil = [("Origin", "http://evil.example")];
    let refused: [&[(&str, &str)]; 6] = [
        &evil,
        &[("Sec-Fetch-Site", "cross-site")],
        &[("Origin", "null")],
        // What the client says of the host it reached counts for nothing.
        &[("Origin", "http://evil.example"), ("Host", "evil.example")],
        &[("Origin", "http://evil.example"), ("X-Forwarded-Host", "evil.example")],
        &[("Origin", "http://evil.example"), ("Forwarded", "host=evil.example;proto=http")],
    ];
    for headers in refused {
        let mut request = b.client.post(format!("{}/logout", app.base)).form(&[("csrf_token", &token)]);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("POST");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{headers:?}");
    }
    // The origin of SHOP_PUBLIC_URL passes.
    let response = b
        .client
        .post(format!("{}/logout", app.base))
        .header("Origin", app.config.public_url.origin().ascii_serialization())
        .header("Sec-Fetch-Site", "same-origin")
        .form(&[("csrf_token", &token)])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.url().path(), "/");
}

#[tokio::test]
async fn pages_carry_security_headers() {
    let app = spawn_app().await;
    let page = app.browser().get("/").await;
    let header =
        |name: &str| page.headers.get(name).map(|v| v.to_str().unwrap_or_default().to_owned()).unwrap_or_default();
    let csp = header("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("referrer-policy"), "same-origin");
    assert!(header("permissions-policy").contains("camera=()"));
    assert_eq!(header("cache-control"), "no-store");
    // The one script is a file of the shop's own; no inline script anywhere.
    for script in page.body.split("<script").skip(1) {
        assert!(script.starts_with(" src=\"/static/app-") && script.contains("></script>"), "{script}");
        assert!(script.split("></script>").next().is_some_and(|tag| !tag.contains('>')), "{script}");
    }
}

#[tokio::test]
async fn the_script_is_embedded_cached_and_optional() {
    let app = spawn_app().await;
    let home = app.browser().get("/").await;
    let start = home.body.find("/static/app-").map(|_| home.body.find(".js\"").expect("script link")).expect("link");
    let href_start = home.body[..start].rfind('"').expect("quote") + 1;
    let href = &home.body[href_start..start + 3];
    let js = app.browser().get(href).await;
    assert_eq!(js.status, StatusCode::OK, "{href}");
    assert!(js.headers["content-type"].to_str().unwrap_or_default().starts_with("text/javascript"));
    assert!(js.headers["cache-control"].to_str().unwrap_or_default().contains("immutable"));
    assert!(js.contains("dataset.sending"), "it keeps a form from being sent twice");
}

#[tokio::test]
async fn the_stylesheet_is_embedded_and_cached() {
    let app = spawn_app().await;
    let home = app.browser().get("/").await;
    let start = home.body.find("/static/app-").expect("stylesheet link");
    let href = home.body[start..].split('"').next().expect("href");
    let css = app.browser().get(href).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers["content-type"].to_str().unwrap_or_default().starts_with("text/css"));
    assert!(css.headers["cache-control"].to_str().unwrap_or_default().contains("immutable"));
    assert!(css.contains("@media"), "it adapts to small screens");
    assert_eq!(app.browser().get("/static/app-000000000000.css").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site() {
    let app = spawn_app().await;
    let response = reqwest::get(format!("{}/login", app.base)).await.expect("GET");
    let cookie = response.headers()["set-cookie"].to_str().expect("ascii").to_owned();
    assert!(cookie.starts_with("shop_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP: a Secure cookie would never come back");
    // Pages without a form do not hand out sessions to visitors.
    let response = reqwest::get(format!("{}/", app.base)).await.expect("GET");
    assert!(response.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn over_https_the_cookie_is_secure_with_the_host_prefix() {
    let app = spawn_app_with(|s| s.public_url = Some("https://shop.test".into())).await;
    let response = reqwest::get(format!("{}/login", app.base)).await.expect("GET");
    let cookie = response.headers()["set-cookie"].to_str().expect("ascii").to_owned();
    assert!(cookie.starts_with("__Host-shop="), "{cookie}");
    assert!(cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Domain"), "{cookie}");
    assert!(response.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn error_pages_are_in_the_layout_and_leak_nothing() {
    let app = spawn_app().await;
    let b = app.browser();
    let page = b.get("/no/such/page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.contains("Page not found") && page.contains("<nav class=\"bar\""));
    // A method the route does not take.
    let page = b.client.put(format!("{}/login", app.base)).send().await.expect("PUT");
    assert_eq!(page.status(), StatusCode::FORBIDDEN, "an unsafe method without a token is refused first");

    // A database failure inside a request: a 500 page without SQL, table names or paths.
    let person = app.shopper().await;
    let logged_in = app.logged_in(&person).await;
    app.query(|c| diesel::sql_query("DROP TABLE account_events").execute(c));
    let page = logged_in
        .submit("/account", "/account", &[("full_name", "Sam"), ("postal_address", "1 Road"), ("phone", "+1 555 0100")])
        .await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(page.contains("Something went wrong") && page.contains("<nav class=\"bar\""));
    for leak in ["account_events", "SQL", "sql", "diesel", "src/", "panicked", "relation", "no such table"] {
        assert!(!page.contains(leak), "the 500 page shows {leak}");
    }
    assert!(logged_in.get("/account").await.contains("Sam Shopper"), "the failed change was rolled back");
}

#[tokio::test]
async fn bodies_beyond_the_limit_are_refused() {
    let app = spawn_app().await;
    let b = app.browser();
    let token = b.get("/login").await.input_value("csrf_token").expect("token");
    let big = "x".repeat(100 * 1024);
    let page = b.post_raw("/login", &[("csrf_token", &token), ("email", &big), ("password", "x")]).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.contains("Too much data"));
}

#[tokio::test]
async fn text_people_type_is_escaped_everywhere() {
    let app = spawn_app().await;
    let b = app.browser();
    let page = app.register(&b, "xss@example.com", PASSWORD, "<script>alert(1)</script>").await;
    assert_eq!(page.path(), "/account");
    assert!(!page.contains("<script>alert(1)</script>"));
    assert!(page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
}

#[tokio::test]
async fn health_and_metrics_answer() {
    let app = spawn_app().await;
    let b = app.browser();
    let page = b.get("/healthz").await;
    assert_eq!((page.status, page.body.as_str()), (StatusCode::OK, "ok\n"));
    b.get("/").await;
    let metrics = b.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(metrics.contains("shop_http_requests_total"), "{}", metrics.body);
    assert!(metrics.contains("shop_http_requests_duration_seconds_bucket"));
    assert!(metrics.contains("shop_db_pool_connections"));
    let gauge = |name: &str| -> i64 {
        let line = metrics.body.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap_or_default();
        line.rsplit(' ').next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{name}: {}", metrics.body))
    };
    assert!(gauge("shop_data_free_bytes") > 0);
    assert_eq!(gauge("shop_writes_paused"), 0);
    assert!(gauge("shop_db_pool_waits_total") >= 0 && gauge("shop_db_pool_failures_total") == 0);
    assert!(gauge("shop_outbox_backlog") >= 0);
    // The log's size on SQLite; -1 where there is none (PostgreSQL).
    let wal = gauge("shop_sqlite_wal_bytes");
    assert!(if postgres_url().is_some() { wal == -1 } else { wal >= 0 }, "{wal}");
    // Through a proxy (which makes everyone look local) there is no such page.
    let proxied = b.client.get(format!("{}/metrics", app.base)).header("X-Forwarded-For", "203.0.113.9");
    assert_eq!(proxied.send().await.expect("GET").status(), StatusCode::NOT_FOUND);
    // HEAD answers as GET, without the body.
    let head = b.client.head(format!("{}/login", app.base)).send().await.expect("HEAD");
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.headers().get("content-type").is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/html")));
    assert!(head.bytes().await.expect("body").is_empty());

    let tokened = spawn_app_with(|s| s.metrics_token = Some("a metrics token".into())).await;
    let get = |auth: Option<&str>| {
        let mut request = b.client.get(format!("{}/metrics", tokened.base));
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        request.send()
    };
    assert_eq!(get(None).await.expect("GET").status(), StatusCode::NOT_FOUND, "local, but no token");
    assert_eq!(get(Some("Bearer wrong")).await.expect("GET").status(), StatusCode::NOT_FOUND);
    assert_eq!(get(Some("Bearer a metrics token")).await.expect("GET").status(), StatusCode::OK);

    // A migration this version knows but the database lacks (a restored older copy, say).
    app.query(|c| {
        diesel::sql_query(
            "DELETE FROM __diesel_schema_migrations WHERE version = \
             (SELECT MAX(version) FROM __diesel_schema_migrations)",
        )
        .execute(c)
    });
    let page = b.get("/healthz").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.contains("1 migration is not applied"), "{}", page.body);
    // Without its schema the database does not count as answering.
    app.query(|c| diesel::sql_query("DROP TABLE app_meta").execute(c));
    let page = b.get("/healthz").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.contains("database: query failed"), "{}", page.body);
}

/// A failure outside any handler (here the session store, whose table is gone) is still the
/// layout's error page with its status, never an empty answer.
#[tokio::test]
async fn a_failing_session_store_answers_with_the_error_page() {
    let app = spawn_app().await;
    let b = app.browser();
    assert_eq!(b.get("/login").await.status, StatusCode::OK);
    app.query(|c| diesel::sql_query("DROP TABLE sessions").execute(c));
    let fresh = app.browser();
    for page in [fresh.get("/login").await, b.get("/login").await] {
        assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
        let kind = page.headers.get("content-type").map(|v| v.to_str().unwrap_or_default().to_owned());
        assert!(kind.is_some_and(|k| k.starts_with("text/html")), "{:?}", page.headers);
        assert!(page.contains("Something went wrong"), "{}", page.body);
    }
}

/// The disk reserve, crossed by a file another program writes into the data folder: changes are
/// refused with a page that says so (nothing half-done), pages that only read go on for shoppers
/// logged in or not, `/healthz` says why, and once the space is back the shop takes changes
/// again without a restart. The reserve applies to SQLite, so this runs on SQLite on either suite.
#[tokio::test]
async fn below_the_disk_reserve_changes_wait_pages_go_on_and_changes_come_back_by_themselves() {
    const MB: u64 = 1024 * 1024;
    let free = shop::db::free_bytes(&std::env::temp_dir()).expect("free space") / MB;
    assert!(free > 600, "this test writes 384 MB into the temporary folder; {free} MB free");
    // The reserve sits 128 MB under the free space of now; a 384 MB file takes it 256 MB under.
    let app = spawn_app_with(|s| {
        s.database_url = Some(s.data_dir.join("reserve.sqlite3").to_string_lossy().into_owned());
        s.min_free_mb = free - 128;
    })
    .await;
    let world = app.order_world().await;
    let offer = app.stocked_offer(&world.seller, "Inko", "P-1", "10.00", 5).await;
    let buyer = app.logged_in(&world.buyer).await;
    buyer.add_to_cart(&offer, "1").await;
    let checkout = buyer.get("/checkout").await;
    assert_eq!(app.browser().get("/healthz").await.status, StatusCode::OK);

    let ballast = app.config.data_dir.join("ballast");
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&ballast).expect("ballast");
        let chunk = vec![1u8; MB as usize];
        (0..384).for_each(|_| file.write_all(&chunk).expect("write ballast"));
        file.sync_all().expect("sync ballast");
    }
    let health = wait_for_health(&app, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(health.contains("disk:") && health.contains("changes are refused"), "{}", health.body);

    // A change is refused with the page that says so, and nothing of it is kept.
    let refused = buyer.check_out_from(&checkout, &[]).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE, "{}", refused.body);
    assert!(refused.contains("The shop cannot take changes right now"), "{}", refused.body);
    assert!(refused.headers.contains_key("retry-after"));
    assert_eq!(app.stock_of(&offer), 5, "no stock taken");
    assert!(app.outbox().is_empty(), "no e-mail written");
    // Pages that only read go on, for a logged-in shopper and for a new visitor.
    for page in ["/", "/catalog", "/cart", "/orders", "/account"] {
        assert_eq!(buyer.get(page).await.status, StatusCode::OK, "{page}");
    }
    let visitor = app.browser();
    let form = visitor.get("/register").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert_eq!(visitor.get("/catalog").await.status, StatusCode::OK);
    // A new visitor's form is told the same, not that it expired.
    let registering = visitor.register("late@example.com", PASSWORD, "Lena Late").await;
    assert_eq!(registering.status, StatusCode::SERVICE_UNAVAILABLE, "{}", registering.body);
    assert!(registering.contains("The shop cannot take changes right now"), "{}", registering.body);
    let stranger = app.browser();
    let login = stranger.log_in(&world.buyer.email, &world.buyer.password).await;
    assert_eq!(login.status, StatusCode::SERVICE_UNAVAILABLE, "a login is a change too: {}", login.body);

    // Space comes back: changes are taken again, no restart.
    std::fs::remove_file(&ballast).expect("remove ballast");
    wait_for_health(&app, StatusCode::OK).await;
    let placed = buyer.check_out(&[]).await;
    assert_eq!(placed.status, StatusCode::OK, "{}", placed.body);
    assert!(placed.path().starts_with("/orders/"), "{}", placed.path());
    assert_eq!(app.stock_of(&offer), 4);
    let registered = app.register(&app.browser(), "late@example.com", PASSWORD, "Lena Late").await;
    assert_eq!(registered.path(), "/account", "{}", registered.body);
}

/// Polls `/healthz` until it answers `status` (the reserve is read at most twice a second).
async fn wait_for_health(app: &TestApp, status: StatusCode) -> Page {
    let b = app.browser();
    for _ in 0..100 {
        let page = b.get("/healthz").await;
        if page.status == status {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("/healthz never answered {status}");
}
