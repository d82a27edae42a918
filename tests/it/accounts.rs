//! Registering, logging in and out, sessions ending, passwords, throttling.

use diesel::prelude::*;
use reqwest::StatusCode;
use shop::accounts::Role;
use shop::db::schema::users;

use crate::helpers::*;

#[tokio::test]
async fn a_visitor_registers_logs_out_and_logs_in_again() {
    let app = spawn_app().await;
    let b = app.browser();

    let page = app.register(&b, "New@Example.com", PASSWORD, "Nora Newcomer").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.path(), "/account");
    assert!(page.contains("Welcome! Your account is ready."));
    assert!(page.contains("new@example.com"), "the e-mail is stored without case");
    assert!(page.contains("Nora Newcomer"));

    let page = b.log_out().await;
    assert_eq!(page.path(), "/");
    assert!(page.contains("Log in"));
    let page = b.get("/account").await;
    assert_eq!(page.path(), "/login?next=%2Faccount", "logged out: the account page asks for a login");

    let page = b.log_in("new@example.com", PASSWORD).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(b.get("/account").await.contains("Nora Newcomer"));
}

#[tokio::test]
async fn login_returns_to_the_page_that_asked_for_it() {
    let app = spawn_app().await;
    let person = app.shopper().await;
    let b = app.browser();
    let page = b.get("/account/password").await;
    assert_eq!(page.path(), "/login?next=%2Faccount%2Fpassword");
    let token = page.input_value("csrf_token").expect("token");
    let next = page.input_value("next").expect("next field");
    let page = b
        .post_raw(
            "/login",
            &[("csrf_token", &token), ("email", &person.email), ("password", PASSWORD), ("next", &next)],
        )
        .await;
    assert_eq!(page.path(), "/account/password");
    // A `next` that leads off the site is ignored.
    let b = app.browser();
    let page = b.get("/login?next=//evil.example/").await;
    let token = page.input_value("csrf_token").expect("token");
    let page = b
        .post_raw(
            "/login",
            &[("csrf_token", &token), ("email", &person.email), ("password", PASSWORD), ("next", "//evil.example/")],
        )
        .await;
    assert_eq!(page.path(), "/");
}

#[tokio::test]
async fn the_session_id_changes_at_login_and_the_old_one_is_worthless() {
    let app = spawn_app().await;
    let person = app.shopper().await;
    let b = app.browser();
    b.get("/login").await;
    let before = session_cookie(&b.cookies()).expect("the login form starts a session for its token");
    b.log_in(&person.email, &person.password).await;
    let after = session_cookie(&b.cookies()).expect("session after login");
    assert_ne!(before, after, "a new session ID at login");

    let thief = Browser::with_cookie(&app.base, &before);
    assert_eq!(thief.get("/account").await.path(), "/login?next=%2Faccount");
}

#[tokio::test]
async fn an_old_session_cookie_is_refused_after_logout() {
    let app = spawn_app().await;
    let person = app.shopper().await;
    let b = app.logged_in(&person).await;
    let cookie = session_cookie(&b.cookies()).expect("session");
    let copy = Browser::with_cookie(&app.base, &cookie);
    assert_eq!(copy.get("/account").await.path(), "/account", "the copy works while the session lives");

    b.log_out().await;
    assert_eq!(copy.get("/account").await.path(), "/login?next=%2Faccount");
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session() {
    let app = spawn_app().await;
    let person = app.shopper().await;
    let laptop = app.logged_in(&person).await;
    let phone = app.logged_in(&person).await;
    let old_laptop_cookie = session_cookie(&laptop.cookies()).expect("session");

    let page = laptop
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new passphrase"),
                ("new_password_again", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(page.path(), "/account");
    assert!(page.contains("Your password was changed"));
    assert_eq!(laptop.get("/account").await.path(), "/account", "the browser that changed it stays logged in");
    assert_eq!(phone.get("/account").await.path(), "/login?next=%2Faccount", "other devices are logged out");
    let replay = Browser::with_cookie(&app.base, &old_laptop_cookie);
    assert_eq!(replay.get("/account").await.path(), "/login?next=%2Faccount", "the old cookie is worthless");

    assert_eq!(app.browser().log_in(&person.email, PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.browser().log_in(&person.email, "a brand new passphrase").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_current_password_changes_nothing() {
    let app = spawn_app().await;
    let person = app.shopper().await;
    let b = app.logged_in(&person).await;
    let page = b
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current_password", "not my password"),
                ("new_password", "another passphrase"),
                ("new_password_again", "another passphrase"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(page.field_error("current_password").as_deref(), Some("This is not your current password."));
    assert_eq!(app.browser().log_in(&person.email, PASSWORD).await.status, StatusCode::OK);
}

/// The registration form does not tell who has an account: a taken address gets the very page a
/// new one gets, and the e-mail says the rest (log in, or choose a new password). No account is
/// made without the link, a link works once, and registering is limited per address.
#[tokio::test]
async fn registering_answers_alike_for_taken_and_new_addresses() {
    let app = spawn_app().await;
    let person = app.shopper().await;
    let taken = app.browser().register(&person.email.to_uppercase(), PASSWORD, "Someone Else").await;
    let new = app.browser().register("fresh@example.com", PASSWORD, "Fay Fresh").await;
    assert_eq!((taken.status, new.status), (StatusCode::OK, StatusCode::OK));
    let main = |p: &Page| {
        let body = p.body.split("<main").nth(1).unwrap_or_default().split("</main>").next().unwrap_or_default();
        body.replace(&person.email, "ADDRESS").replace("fresh@example.com", "ADDRESS")
    };
    assert_eq!(main(&taken), main(&new), "the two answers differ only in the address typed");
    let note = app.outbox().into_iter().find(|m| m.recipient == person.email).expect("a note to the owner");
    assert!(note.body.contains("/login") && note.body.contains("/password/forgot"), "{}", note.body);
    assert!(app.mailed_link(&person.email, "/register/confirm/").is_none(), "no link for a taken address");
    // Nothing is made until the link is used; the link makes the account once.
    let count = |email: &'static str| {
        app.query(move |c| users::table.filter(users::email.eq(email)).count().get_result::<i64>(c))
    };
    assert_eq!(count("fresh@example.com"), 0);
    let link = app.mailed_link("fresh@example.com", "/register/confirm/").expect("link");
    let b = app.browser();
    let confirm = b.get(&link).await;
    assert!(confirm.contains("fresh@example.com") && confirm.contains("Make my account"), "{}", confirm.body);
    assert_eq!(count("fresh@example.com"), 0, "opening the link (a GET) makes nothing");
    let made = b.submit(&link, &link, &[]).await;
    assert_eq!(made.path(), "/account");
    assert!(made.contains("Welcome! Your account is ready.") && made.contains("Fay Fresh"));
    assert_eq!(count("fresh@example.com"), 1);
    let again = app.browser().get(&link).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.contains("expired or has been used"));
    // Three e-mails an hour to one address, then the form asks to wait (the values kept).
    for _ in 0..2 {
        assert_eq!(app.browser().register("flood@example.com", PASSWORD, "Flo Od").await.status, StatusCode::OK);
    }
    assert_eq!(app.browser().register("flood@example.com", PASSWORD, "Flo Od").await.status, StatusCode::OK);
    let limited = app.browser().register("flood@example.com", PASSWORD, "Flo Od").await;
    assert_eq!(limited.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", limited.body);
    assert!(limited.field_error("email").is_some_and(|e| e.contains("Wait")), "{}", limited.body);
    assert_eq!(limited.input_value("full_name").as_deref(), Some("Flo Od"));
}

#[tokio::test]
async fn a_bad_form_comes_back_with_values_and_messages_but_no_password() {
    let app = spawn_app().await;
    let b = app.browser();
    let page = b
        .submit(
            "/register",
            "/register",
            &[
                ("email", "not-an-email"),
                ("password", "short"),
                ("password_again", "short"),
                ("full_name", "Rita <b>Bold</b>"),
                ("postal_address", "4 Long Road"),
                ("phone", "abc"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("email").is_some());
    assert_eq!(page.field_error("password").as_deref(), Some("Use at least 10 characters."));
    assert!(page.field_error("phone").is_some());
    assert!(page.field_error("full_name").is_none());
    assert_eq!(page.input_value("email").as_deref(), Some("not-an-email"));
    assert_eq!(page.input_value("full_name").as_deref(), Some("Rita &#60;b&#62;Bold&#60;/b&#62;"), "kept, and escaped");
    assert!(page.contains(">4 Long Road</textarea>"));
    assert_eq!(page.input_value("password").as_deref(), Some(""), "passwords are never sent back");
    assert!(!page.contains("value=\"short\""));
    assert_eq!(app.query(|c| users::table.count().get_result::<i64>(c)), 0, "nothing was stored");
}

#[tokio::test]
async fn profile_changes_are_saved_and_bad_ones_come_back() {
    let app = spawn_app().await;
    let person = app.shopper().await;
    let b = app.logged_in(&person).await;
    let page = b
        .submit(
            "/account",
            "/account",
            &[("full_name", "Sam Renamed"), ("postal_address", "9 New Road"), ("phone", "+1 555 0199")],
        )
        .await;
    assert!(page.contains("Your details were saved."));
    assert_eq!(page.input_value("full_name").as_deref(), Some("Sam Renamed"));
    let page =
        b.submit("/account", "/account", &[("full_name", ""), ("postal_address", "9 New Road"), ("phone", "12")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(page.field_error("full_name").as_deref(), Some("Enter your full name."));
    assert!(page.field_error("phone").is_some());
    assert_eq!(page.input_value("phone").as_deref(), Some("12"), "the typed value is kept");
    assert!(b.get("/account").await.contains("Sam Renamed"), "the bad form changed nothing");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    let person = app.shopper().await;
    let b = app.browser();
    let wrong = b.log_in(&person.email, "not the password").await;
    let unknown = b.log_in("nobody@example.com", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, wrong.status);
    assert!(wrong.contains(shop::accounts::BAD_LOGIN));
    // The pages differ only in the e-mail typed, which is kept in the form.
    assert_eq!(wrong.body.replace(&person.email, "E"), unknown.body.replace("nobody@example.com", "E"));
}

#[tokio::test]
async fn repeated_failures_for_one_account_are_throttled() {
    let app = spawn_app().await;
    let person = app.shopper().await;
    let b = app.browser();
    for _ in 0..5 {
        assert_eq!(b.log_in(&person.email, "guess").await.status, StatusCode::UNAUTHORIZED);
    }
    let page = b.log_in(&person.email, PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits now");
    assert!(page.contains("Too many attempts. Wait 30 seconds"), "{}", page.body);
    // An unknown address is throttled in the same way: no difference to learn from.
    for _ in 0..5 {
        b.log_in("nobody@example.com", "guess").await;
    }
    assert_eq!(b.log_in("nobody@example.com", "guess").await.status, StatusCode::TOO_MANY_REQUESTS);
    // Other accounts are not locked by it.
    let other = app.shopper().await;
    assert_eq!(app.browser().log_in(&other.email, PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_limit_on_an_account_holds_across_instances_and_concurrent_guesses_and_lifts_after_its_wait() {
    let app = spawn_app().await;
    let other = app.another_instance(|_| {}).await;
    let person = app.shopper().await;
    // Twenty guesses at once, half through each instance: five are checked, the rest wait.
    let guesses = (0..20).map(|i| {
        let base = if i % 2 == 0 { app.base.clone() } else { other.base.clone() };
        let email = person.email.clone();
        async move { Browser::new(&base).log_in(&email, "guess").await.status }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let waiting = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((checked, waiting), (5, 15), "{statuses:?}");
    assert_eq!(other.browser().log_in(&person.email, PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);

    // Once the wait has passed (moved into the past here), the right password works and the
    // account's count starts again.
    use shop::db::schema::attempts;
    let before_the_wait = shop::db::now() - chrono::Duration::seconds(31);
    app.query(|c| diesel::update(attempts::table).set(attempts::last_at.eq(before_the_wait)).execute(c));
    assert_eq!(app.browser().log_in(&person.email, PASSWORD).await.status, StatusCode::OK);
    let left: i64 = app.query(|c| attempts::table.count().get_result(c));
    assert_eq!(left, 0, "a right password clears the account's failures");
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_throttled() {
    let app = spawn_app_with(|s| s.login_attempts_per_address = 8).await;
    let b = app.browser();
    for i in 0..8 {
        let page = b.log_in(&format!("guess{i}@example.com"), "guess").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    let person = app.shopper().await;
    assert_eq!(b.log_in(&person.email, PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_hashes_never_in_clear() {
    let app = spawn_app().await;
    app.register(&app.browser(), "hash@example.com", PASSWORD, "Hal Hash").await;
    let stored: String =
        app.query(|c| users::table.filter(users::email.eq("hash@example.com")).select(users::password_hash).first(c));
    assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
    assert!(!stored.contains(PASSWORD));
}

#[tokio::test]
async fn a_suspended_user_is_logged_out_everywhere_and_cannot_log_in() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let person = app.shopper().await;
    let victim = app.logged_in(&person).await;
    let cookie = session_cookie(&victim.cookies()).expect("session");

    let a = app.logged_in(&admin).await;
    let page = a
        .submit(
            &format!("/admin/users/{}", person.id),
            &format!("/admin/users/{}/suspend", person.id),
            &[("reason", "fraud check")],
        )
        .await;
    assert!(page.contains("Account suspended"), "{}", page.body);
    assert!(page.contains("Suspended since"));

    assert_eq!(victim.get("/account").await.path(), "/login?next=%2Faccount");
    assert_eq!(Browser::with_cookie(&app.base, &cookie).get("/account").await.path(), "/login?next=%2Faccount");
    let page = app.browser().log_in(&person.email, PASSWORD).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.contains("This account is suspended"));

    a.submit(
        &format!("/admin/users/{}", person.id),
        &format!("/admin/users/{}/reinstate", person.id),
        &[("reason", "cleared")],
    )
    .await;
    assert_eq!(app.browser().log_in(&person.email, PASSWORD).await.status, StatusCode::OK);
}

/// Moves the times of every session back, as if `minutes` had passed.
fn age_sessions(app: &TestApp, last_seen_minutes: i64, created_minutes: i64) {
    use shop::db::schema::sessions;
    let now = chrono::Utc::now().naive_utc();
    app.query(|c| {
        diesel::update(sessions::table)
            .set((
                sessions::last_seen_at.eq(now - chrono::Duration::minutes(last_seen_minutes)),
                sessions::created_at.eq(now - chrono::Duration::minutes(created_minutes)),
            ))
            .execute(c)
    });
}

#[tokio::test]
async fn an_idle_session_ends_after_the_idle_timeout() {
    let app = spawn_app().await;
    let person = app.shopper().await;
    let b = app.logged_in(&person).await;
    age_sessions(&app, 29, 29);
    assert_eq!(b.get("/account").await.path(), "/account", "29 idle minutes of 30: still in");
    age_sessions(&app, 31, 31);
    assert_eq!(b.get("/account").await.path(), "/login?next=%2Faccount");
}

#[tokio::test]
async fn an_active_session_ends_after_the_absolute_timeout() {
    let app = spawn_app().await;
    let person = app.shopper().await;
    let b = app.logged_in(&person).await;
    age_sessions(&app, 1, 12 * 60 - 1);
    assert_eq!(b.get("/account").await.path(), "/account");
    age_sessions(&app, 1, 12 * 60 + 1);
    assert_eq!(b.get("/account").await.path(), "/login?next=%2Faccount");
}

#[tokio::test]
async fn expired_sessions_are_purged_from_the_table() {
    use shop::db::schema::sessions;
    let app = spawn_app().await;
    let person = app.shopper().await;
    let _b = app.logged_in(&person).await;
    let _c = app.logged_in(&person).await;
    let (idle, absolute) = (app.config.session_idle, app.config.session_absolute);
    let purge = |app: &TestApp| {
        app.db.write_blocking(|c| shop::accounts::purge_expired_sessions(c, idle, absolute)).expect("purge")
    };
    assert_eq!(purge(&app), 0);
    age_sessions(&app, 31, 31);
    assert_eq!(purge(&app), 2);
    assert_eq!(app.query(|c| sessions::table.count().get_result::<i64>(c)), 0);
}

#[tokio::test]
async fn session_rows_keep_only_a_hash_of_the_cookie_key() {
    use shop::db::schema::sessions;
    let app = spawn_app().await;
    let person = app.shopper().await;
    let b = app.logged_in(&person).await;
    let cookie = session_cookie(&b.cookies()).expect("session");
    let rows: Vec<(String, Option<String>)> =
        app.query(|c| sessions::table.select((sessions::id_hash, sessions::user_id)).load(c));
    assert_eq!(rows.len(), 1, "the session started for the login form was replaced, not kept");
    assert_eq!(rows[0].1.as_deref(), Some(person.id.as_str()));
    assert_eq!(rows[0].0.len(), 64);
    assert!(!cookie.contains(&rows[0].0));
}

#[tokio::test]
async fn registering_or_logging_in_returns_where_the_user_was() {
    let app = spawn_app().await;
    let b = app.browser();
    // The cart's "register" link carries the way back to the checkout.
    let form = b.get("/register?next=/checkout").await;
    assert_eq!(form.input_value("next").as_deref(), Some("/checkout"));
    assert!(form.contains("href=\"/login?next=%2Fcheckout\""), "the login link keeps it too");
    let token = form.input_value("csrf_token").expect("token");
    let page = b
        .post_raw(
            "/register",
            &[
                ("csrf_token", &token),
                ("email", "back@example.com"),
                ("password", PASSWORD),
                ("password_again", PASSWORD),
                ("full_name", "Bea Back"),
                ("postal_address", "1 Road"),
                ("phone", "+1 555 0100 300"),
                ("next", "/checkout"),
            ],
        )
        .await;
    assert!(page.contains("Check your e-mail"), "{}", page.body);
    let link = app.mailed_link("back@example.com", "/register/confirm/").expect("link");
    let page = b.submit(&link, &link, &[]).await;
    assert_eq!(page.path(), "/checkout", "{}", page.body);

    // A "Log in" link on any page comes back to that page.
    let visitor = app.browser();
    let catalog = visitor.get("/catalog?q=chair").await;
    assert!(catalog.contains("href=\"/login?next=%2Fcatalog%3Fq%3Dchair\""), "{}", catalog.body);
    // A way back that leaves the site is refused at registration too.
    let form = visitor.get("/register?next=//evil.example/").await;
    assert_eq!(form.input_value("next").as_deref(), Some(""));
}

#[tokio::test]
async fn staff_land_on_their_dashboard_and_shoppers_on_the_shop() {
    let app = spawn_app().await;
    let seller = app.create_user("Sal Seller", &[Role::Salesperson]).await;
    assert_eq!(app.browser().log_in(&seller.email, &seller.password).await.path(), "/sell");
    let admin = app.admin().await;
    assert_eq!(app.browser().log_in(&admin.email, &admin.password).await.path(), "/admin");
    let shopper = app.shopper().await;
    assert_eq!(app.browser().log_in(&shopper.email, &shopper.password).await.path(), "/");
}

/// The link in the newest reset e-mail to `to`.
fn reset_link(app: &TestApp, to: &str) -> String {
    let mail = app.outbox().into_iter().rev().find(|m| m.recipient == to && m.topic == "account").expect("reset mail");
    let start = mail.body.find("/password/reset/").expect("link");
    mail.body[start..].split_whitespace().next().expect("path").to_owned()
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_a_link_that_works_once() {
    let app = spawn_app().await;
    let person = app.shopper().await;
    let elsewhere = app.logged_in(&person).await;
    let b = app.browser();
    assert!(b.get("/login").await.contains("href=\"/password/forgot\""), "the login page offers it");

    // The same answer for an account and for an address nobody has; a mail only for the account.
    let known = b.submit("/password/forgot", "/password/forgot", &[("email", &person.email.to_uppercase())]).await;
    let unknown = b.submit("/password/forgot", "/password/forgot", &[("email", "nobody@example.com")]).await;
    assert_eq!((known.status, unknown.status), (StatusCode::OK, StatusCode::OK));
    let answer = |p: &Page, email: &str| p.body.replace(email, "X").replace(&email.to_uppercase(), "X");
    let strip = |s: String| {
        s.split("id=\"sent\"").nth(1).unwrap_or_default().split("</section>").next().unwrap_or_default().to_owned()
    };
    assert_eq!(strip(answer(&known, &person.email)), strip(answer(&unknown, "nobody@example.com")));
    assert!(app.outbox().iter().all(|m| m.recipient != "nobody@example.com"));
    let link = reset_link(&app, &person.email);
    let token = link.trim_start_matches("/password/reset/");
    assert_eq!(token.len(), 32, "128 random bits");
    let stored: Vec<String> = app.query(|c| {
        shop::db::schema::password_resets::table.select(shop::db::schema::password_resets::token_hash).load(c)
    });
    assert!(!stored.iter().any(|h| h == token), "kept hashed");

    // A weak password comes back next to its field; a good one is set and ends every session.
    let weak = b.submit(&link, &link, &[("new_password", "short"), ("new_password_again", "short")]).await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.field_error("new_password").is_some());
    let new = "a-brand-new-passphrase";
    let done = b.submit(&link, &link, &[("new_password", new), ("new_password_again", new)]).await;
    assert_eq!(done.path(), "/login?changed=1", "{}", done.body);
    assert!(done.contains("Your password is changed"));
    assert_eq!(elsewhere.get("/account").await.path(), "/login?next=%2Faccount", "every session ended");
    assert_eq!(app.browser().log_in(&person.email, &person.password).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.browser().log_in(&person.email, new).await.status, StatusCode::OK);

    // Used once: the link is closed now.
    let again = b.get(&link).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.contains("Ask for a new one"));
}

#[tokio::test]
async fn an_expired_reset_link_is_refused_and_requests_are_limited() {
    use shop::db::schema::password_resets;
    let app = spawn_app().await;
    let person = app.shopper().await;
    let b = app.browser();
    b.submit("/password/forgot", "/password/forgot", &[("email", &person.email)]).await;
    let link = reset_link(&app, &person.email);
    let past = shop::db::now() - chrono::Duration::minutes(1);
    app.query(|c| diesel::update(password_resets::table).set(password_resets::expires_at.eq(past)).execute(c));
    assert_eq!(b.get(&link).await.status, StatusCode::GONE, "an hour, not more");
    let late = b
        .submit("/login", &link, &[("new_password", "another-long-one"), ("new_password_again", "another-long-one")])
        .await;
    assert_eq!(late.status, StatusCode::GONE);
    assert_eq!(app.browser().log_in(&person.email, &person.password).await.status, StatusCode::OK, "unchanged");

    // Three links an hour for one address (two more here), then a wait, said next to the field.
    for _ in 0..2 {
        let page = b.submit("/password/forgot", "/password/forgot", &[("email", &person.email)]).await;
        assert_eq!(page.status, StatusCode::OK);
    }
    let limited = b.submit("/password/forgot", "/password/forgot", &[("email", &person.email)]).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.field_error("email").is_some_and(|e| e.contains("Wait")), "{}", limited.body);
    assert_eq!(limited.input_value("email").as_deref(), Some(person.email.as_str()), "the address stays");
    assert_eq!(app.outbox().iter().filter(|m| m.recipient == person.email).count(), 3);
}
