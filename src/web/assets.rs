//! The stylesheet, compiled into the binary and served under a name that changes with its
//! content, so browsers may cache it for a year.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};

const CSS: &str = include_str!("../../static/app.css");

static CSS_PATH: LazyLock<String> = LazyLock::new(|| {
    let digest = hex::encode(Sha256::digest(CSS.as_bytes()));
    format!("/static/app-{}.css", &digest[..12])
});

pub fn css_path() -> &'static str {
    CSS_PATH.as_str()
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(CSS)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(css_path(), web::get().to(stylesheet));
}
