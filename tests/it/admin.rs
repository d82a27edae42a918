//! Roles: guards on every role's pages, and administrators granting and revoking roles.

use reqwest::StatusCode;
use shop::accounts::Role;

use crate::helpers::*;

#[tokio::test]
async fn a_shopper_is_refused_admin_pages() {
    let app = spawn_app().await;
    let person = app.shopper().await;
    let b = app.logged_in(&person).await;
    for path in ["/admin/users", "/admin", "/sell", "/maker", "/clerk", "/carrier", "/pickup"] {
        let page = b.get(path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(page.contains("Not allowed"));
    }
    // A POST by a shopper is refused too, with a valid CSRF token.
    let page = b.submit("/account", &format!("/admin/users/{}/roles", person.id), &[("role", "admin")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!b.get("/").await.contains("href=\"/admin\""), "the navigation does not offer what the roles do not reach");
}

#[tokio::test]
async fn visitors_are_sent_to_log_in() {
    let app = spawn_app().await;
    let page = app.browser().get("/admin/users?q=x").await;
    assert_eq!(page.path(), "/login?next=%2Fadmin%2Fusers%3Fq%3Dx");
}

#[tokio::test]
async fn an_admin_grants_a_role_and_the_user_then_reaches_its_page() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let person = app.create_user("Selma Seller", &[Role::Shopper]).await;
    let seller = app.logged_in(&person).await;
    assert_eq!(seller.get("/sell").await.status, StatusCode::FORBIDDEN);

    let a = app.logged_in(&admin).await;
    let found = a.get("/admin/users?q=selma").await;
    assert!(found.contains("Selma Seller"));
    assert!(found.contains(&format!("/admin/users/{}", person.id)));
    let user_page = format!("/admin/users/{}", person.id);
    let page = a.submit(&user_page, &format!("{user_page}/roles"), &[("role", "salesperson")]).await;
    assert!(page.contains("Role Salesperson granted."));
    assert!(page.contains("role_granted"), "the grant is in the history");

    let page = seller.get("/sell").await;
    assert_eq!(page.status, StatusCode::OK, "the change applies to the open session at once");
    assert!(page.contains("<h1>Salesperson</h1>"));
    assert!(page.contains("href=\"/sell\""), "the navigation now shows it");

    let page = a.submit(&user_page, &format!("{user_page}/roles/salesperson/revoke"), &[]).await;
    assert!(page.contains("Role Salesperson revoked."));
    assert_eq!(seller.get("/sell").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_role_reaches_its_own_page() {
    let app = spawn_app().await;
    // Each start page lists the sections the modules declare for the role, with their links.
    for (role, path, sections) in [
        (
            Role::Salesperson,
            "/sell",
            &["/sell/orders", "/sell/offers", "/sell/prices", "/sell/groups", "/sell/payments"][..],
        ),
        (Role::Maker, "/maker", &["/maker/approvals"]),
        (Role::Clerk, "/clerk", &[]),
        (Role::Carrier, "/carrier", &["/carrier/shipments"]),
        (Role::Pickup, "/pickup", &[]),
        (
            Role::Admin,
            "/admin",
            &[
                "/admin/makers",
                "/admin/kinds",
                "/admin/echeck",
                "/admin/echeck/offices",
                "/admin/users",
                "/admin/outbox",
            ],
        ),
    ] {
        let person = app.create_user("Role Holder", &[role]).await;
        let b = app.logged_in(&person).await;
        let page = b.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{role:?} on {path}");
        for href in sections {
            assert!(page.contains(&format!("class=\"tile\" href=\"{href}\"")), "{path} links {href}");
            assert_eq!(b.get(href).await.status, StatusCode::OK, "{role:?} reaches {href}");
        }
    }
    let shopper = app.logged_in(&app.shopper().await).await;
    let account = shopper.get("/account").await;
    for href in ["/cart", "/orders", "/account/equipment", "/consumables", "/echeck"] {
        assert!(account.contains(&format!("class=\"tile\" href=\"{href}\"")), "the account page links {href}");
    }
}

#[tokio::test]
async fn an_admin_cannot_lock_themself_out() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let a = app.logged_in(&admin).await;
    let me = format!("/admin/users/{}", admin.id);
    let page = a.submit(&me, &format!("{me}/roles/admin/revoke"), &[]).await;
    assert!(page.contains("You cannot take the administrator role from yourself."));
    let page = a.submit(&me, &format!("{me}/suspend"), &[("reason", "oops")]).await;
    assert!(page.contains("You cannot suspend yourself."));
    assert_eq!(a.get("/admin/users").await.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_admin_input_gets_clear_answers() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let person = app.shopper().await;
    let a = app.logged_in(&admin).await;
    assert_eq!(a.get("/admin/users/not-a-uuid").await.status, StatusCode::NOT_FOUND);
    assert_eq!(a.get(&format!("/admin/users/{}", uuid::Uuid::now_v7())).await.status, StatusCode::NOT_FOUND);
    assert_eq!(a.get("/admin/users?page=abc").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.get("/admin/users?page=99").await.status, StatusCode::NOT_FOUND);
    let page = a.get(&format!("/admin/users?q={}", "x".repeat(300))).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("The search is too long"));
    let user_page = format!("/admin/users/{}", person.id);
    let page = a.submit(&user_page, &format!("{user_page}/roles"), &[("role", "emperor")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let page = a.submit(&user_page, &format!("{user_page}/suspend"), &[("reason", "  ")]).await;
    assert!(page.contains("Give a reason"), "a suspension needs a reason");
    assert!(!page.contains("Suspended since"));
    // A search for LIKE wildcards finds them literally.
    assert!(a.get("/admin/users?q=%25").await.contains("No user matches"));
}
