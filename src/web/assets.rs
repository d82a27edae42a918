//! The stylesheet and the one small script, compiled into the binary and served under names that
//! change with their content, so browsers may cache them for a year.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};

const CSS: &str = include_str!("../../static/app.css");
/// Pages work without it: it only keeps a form from being sent twice and says it is under way.
const JS: &str = include_str!("../../static/app.js");

/// `/static/<stem>-<first 12 hex digits of the content's SHA-256>.<ext>`.
pub fn hashed_path(stem: &str, ext: &str, content: &[u8]) -> String {
    let digest = hex::encode(Sha256::digest(content));
    format!("/static/{stem}-{}.{ext}", &digest[..12])
}

static CSS_PATH: LazyLock<String> = LazyLock::new(|| hashed_path("app", "css", CSS.as_bytes()));
static JS_PATH: LazyLock<String> = LazyLock::new(|| hashed_path("app", "js", JS.as_bytes()));

pub fn css_path() -> &'static str {
    CSS_PATH.as_str()
}

pub fn js_path() -> &'static str {
    JS_PATH.as_str()
}

/// A response for content whose address changes with it: cached for a year.
pub fn immutable(content_type: &'static str, body: impl actix_web::body::MessageBody + 'static) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(body)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(css_path(), web::get().to(|| async { immutable("text/css; charset=utf-8", CSS) }))
        .route(js_path(), web::get().to(|| async { immutable("text/javascript; charset=utf-8", JS) }));
}
