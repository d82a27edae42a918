//! Operations: `/healthz` for load balancers and `/metrics` for Prometheus (request counts and
//! latencies from actix-web-prom, plus the state of the database pool).

use actix_web::{HttpResponse, web};
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntGauge, Opts};

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
