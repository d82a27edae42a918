//! CSRF protection on every POST: a random token kept in the server-side session must come back
//! in the form's `csrf_token` field (compared in constant time), and a browser's `Origin` /
//! `Sec-Fetch-Site` headers must say the form came from this site. It runs as middleware, so no
//! handler can forget it. (The actix CSRF crates are unmaintained or not production-ready; this
//! is small enough to own, as DESIGN.md says.)

use actix_session::{Session, SessionExt};
use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes, BytesMut};
use futures_util::StreamExt;
use subtle::ConstantTimeEq;

use super::{AppState, FORM_LIMIT};
use crate::error::AppError;

const KEY: &str = "csrf";
/// The name of the hidden field in every form.
pub const FIELD: &str = "csrf_token";

/// The session's token, created on first use (128 random bits and more).
pub fn token(session: &Session) -> Result<String, AppError> {
    if let Ok(Some(token)) = session.get::<String>(KEY) {
        return Ok(token);
    }
    rotate(session)
}

/// The session's token if it has one, else "" (no session is started for it).
pub fn existing(session: &Session) -> String {
    session.get::<String>(KEY).ok().flatten().unwrap_or_default()
}

/// A new token (at login).
pub fn rotate(session: &Session) -> Result<String, AppError> {
    let token = hex::encode(rand::random::<[u8; 32]>());
    session.insert(KEY, &token)?;
    Ok(token)
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The browser's word on where the request came from. Requests without these headers (older
/// browsers, scripts) still need the token.
fn same_origin(req: &ServiceRequest, public: &url::Url) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site")
        && !matches!(site.to_str(), Ok("same-origin") | Ok("none"))
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else { return true };
    let Ok(origin) = origin.to_str().map(url::Url::parse) else { return false };
    let Ok(origin) = origin else { return false };
    origin.origin() == public.origin() || both_loopback(&origin, public)
}

/// A shop on its own machine (SHOP_PUBLIC_URL on 127.0.0.1, ::1 or localhost) is the same site
/// under any of those names at its port. Nothing the client sends (Host, X-Forwarded-Host,
/// Forwarded) can make another origin count as the shop's own.
fn both_loopback(origin: &url::Url, public: &url::Url) -> bool {
    let loopback = |u: &url::Url| match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    loopback(origin)
        && loopback(public)
        && origin.scheme() == public.scheme()
        && origin.port_or_known_default() == public.port_or_known_default()
}

fn submitted_token(body: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(body).find(|(k, _)| k == FIELD).map(|(_, v)| v.into_owned())
}

async fn read_body(payload: &mut Payload) -> Result<Bytes, AppError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::BadRequest("The form did not arrive whole.".into()))?;
        if body.len() + chunk.len() > FORM_LIMIT {
            return Err(AppError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn is_upload(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

async fn check(req: &mut ServiceRequest) -> Result<(), AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
    let public = &state.config.public_url;
    if !same_origin(req, public) {
        return Err(AppError::Csrf);
    }
    let expected = req.get_session().get::<String>(KEY).ok().flatten();
    // A file upload is too large to read twice: its form carries the token in its address.
    let submitted = if is_upload(req) {
        submitted_token(req.query_string().as_bytes())
    } else {
        let body = read_body(&mut req.take_payload()).await?;
        let submitted = submitted_token(&body);
        req.set_payload(Payload::from(body));
        submitted
    };
    match (expected, submitted) {
        (Some(expected), Some(submitted)) if bool::from(expected.as_bytes().ct_eq(submitted.as_bytes())) => Ok(()),
        // While changes are paused a new visitor's session (and its token) could not be kept:
        // the form was refused for want of disk space, not because it is stale.
        _ if state.db.writes_paused() => Err(AppError::WritesPaused),
        _ => Err(AppError::Csrf),
    }
}

/// The middleware: every request that can change something must pass `check`.
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if !is_safe(req.method())
        && let Err(refusal) = check(&mut req).await
    {
        tracing::info!(path = req.path(), reason = %refusal, "refused a POST");
        return Ok(req.error_response(refusal).map_into_right_body());
    }

    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::{both_loopback, submitted_token};

    #[test]
    fn a_local_shop_is_one_site_under_each_loopback_name_at_its_port() {
        let url = |s: &str| url::Url::parse(s).expect("a URL");
        let public = url("http://127.0.0.1:8080/");
        assert!(both_loopback(&url("http://localhost:8080"), &public));
        assert!(both_loopback(&url("http://[::1]:8080"), &public));
        assert!(!both_loopback(&url("http://localhost:8081"), &public), "another port is another site");
        assert!(!both_loopback(&url("https://localhost:8080"), &public));
        assert!(!both_loopback(&url("http://evil.example:8080"), &public));
        assert!(!both_loopback(&url("http://localhost:8080"), &url("https://shop.example/")), "a public shop");
    }

    #[test]
    fn finds_the_token_among_the_fields() {
        assert_eq!(submitted_token(b"a=1&csrf_token=abc%2B&b=2").as_deref(), Some("abc+"));
        assert_eq!(submitted_token(b"a=1"), None);
    }
}
