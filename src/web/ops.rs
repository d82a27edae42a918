//! Operations: `/healthz` for load balancers and `/metrics` for Prometheus (request counts and
//! latencies from actix-web-prom, plus the state of the database pool).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntGauge, Opts};
use subtle::ConstantTimeEq;

use super::State;
use crate::db::Db;

/// 200 when the database answers a query on the shop's own schema, 503 when not.
async fn healthz(state: State) -> HttpResponse {
    if state.db.ping().await {
        HttpResponse::Ok().content_type("text/plain").body("ok\n")
    } else {
        HttpResponse::ServiceUnavailable().content_type("text/plain").body("database unavailable\n")
    }
}

/// `/metrics` counts the requests of every page: for the operator only. With
/// `SHOP_METRICS_TOKEN`, a request must carry it as a bearer token; without, it must come from this
/// machine and through no proxy (a proxy on the same machine makes every visitor look local, and
/// says so in its forwarding headers). Others are told there is no such page.
pub async fn metrics_guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.path() == "/metrics" && !may_read_metrics(&req) {
        let refused = HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("not found\n");
        return Ok(req.into_response(refused));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

fn may_read_metrics(req: &ServiceRequest) -> bool {
    let token = req.app_data::<State>().and_then(|s| s.config.metrics_token.clone());
    match token {
        Some(token) => req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| bool::from(given.trim().as_bytes().ct_eq(token.as_bytes()))),
        None => {
            let local = req.peer_addr().is_some_and(|a| a.ip().is_loopback());
            let proxied = ["forwarded", "x-forwarded-for", "x-real-ip"].iter().any(|h| req.headers().contains_key(*h));
            local && !proxied
        }
    }
}

/// HEAD is GET without the body (RFC 9110): every page answers it, with the GET's status and
/// headers, instead of the router's 404.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let head = req.method() == Method::HEAD;
    if head {
        req.head_mut().method = Method::GET;
    }
    let res = next.call(req).await?;
    if !head {
        return Ok(res.map_into_boxed_body());
    }
    Ok(res.map_body(|_, _| BoxBody::new(())))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz));
}

/// The benchmark's reference page: fixed bytes through the whole middleware stack, no database.
pub fn configure_fixed_page(cfg: &mut web::ServiceConfig, page: Option<Vec<u8>>) {
    if let Some(page) = page {
        let page = actix_web::web::Bytes::from(page);
        cfg.route(
            "/_bench/fixed",
            web::get().to(move || {
                let page = page.clone();
                async move { HttpResponse::Ok().content_type("text/html; charset=utf-8").body(page) }
            }),
        );
    }
}

/// Reports the pool's connections at each scrape.
pub struct PoolCollector {
    db: Db,
    connections: IntGauge,
    idle: IntGauge,
}

impl PoolCollector {
    pub fn new(db: Db) -> prometheus::Result<Self> {
        Ok(Self {
            db,
            connections: IntGauge::with_opts(Opts::new(
                "shop_db_pool_connections",
                "Open database connections in the pool",
            ))?,
            idle: IntGauge::with_opts(Opts::new(
                "shop_db_pool_idle_connections",
                "Idle database connections in the pool",
            ))?,
        })
    }
}

impl Collector for PoolCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.connections.desc().into_iter().chain(self.idle.desc()).collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let state = self.db.pool_state();
        self.connections.set(i64::from(state.connections));
        self.idle.set(i64::from(state.idle_connections));
        self.connections.collect().into_iter().chain(self.idle.collect()).collect()
    }
}
