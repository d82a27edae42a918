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
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};

use subtle::ConstantTimeEq;

use super::State;
use crate::db::Db;

/// How long `/healthz` waits for the database before it says it does not answer.
const HEALTH_WAIT: std::time::Duration = std::time::Duration::from_millis(800);

/// 200 "ok" when the database answers a query on the shop's own schema, every migration is
/// applied and changes are taken; otherwise 503 with each reason on a line of its own. It answers
/// within a second whatever the database does (`Db::check`).
async fn healthz(state: State) -> HttpResponse {
    let mut reasons = Vec::new();
    if let Err(reason) = state.db.check(HEALTH_WAIT).await {
        reasons.push(format!("database: {reason}"));
    }
    if let Some(reserve) = state.db.reserve().filter(|_| state.db.writes_paused()) {
        reasons.push(format!(
            "disk: {} MB free, below the reserve of {} MB; changes are refused",
            reserve.free() / MB,
            reserve.min_free() / MB
        ));
    }
    if reasons.is_empty() {
        HttpResponse::Ok().content_type("text/plain").body("ok\n")
    } else {
        HttpResponse::ServiceUnavailable().content_type("text/plain").body(reasons.join("\n") + "\n")
    }
}

const MB: u64 = 1024 * 1024;

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

/// What the operator's gauges are read from.
struct Sources {
    db: Db,
    data_dir: PathBuf,
    outbox_backlog: Arc<AtomicI64>,
}

fn whole(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// How a gauge is read.
type Read = fn(&Sources) -> i64;

/// Each gauge: its name, its help, how to read it.
const GAUGES: [(&str, &str, Read); 9] = [
    ("shop_db_pool_connections", "Open database connections in the pool", |s| i64::from(s.db.pool_state().connections)),
    ("shop_db_pool_idle_connections", "Idle database connections in the pool", |s| {
        i64::from(s.db.pool_state().idle_connections)
    }),
    ("shop_db_pool_waits_total", "Checkouts of a pooled connection that had to wait", |s| {
        whole(s.db.pool_waits().waited.load(Relaxed))
    }),
    ("shop_db_pool_wait_microseconds_total", "Time spent waiting for pooled connections", |s| {
        whole(s.db.pool_waits().waited_micros.load(Relaxed))
    }),
    ("shop_db_pool_failures_total", "Checkouts that got no connection (timeout or database down)", |s| {
        whole(s.db.pool_waits().failed.load(Relaxed))
    }),
    ("shop_data_free_bytes", "Free space of the data folder's file system", |s| {
        crate::db::free_bytes(&s.data_dir).map_or(-1, whole)
    }),
    ("shop_sqlite_wal_bytes", "Size of SQLite's write-ahead log (-1 on PostgreSQL)", |s| {
        s.db.log_bytes().map_or(-1, whole)
    }),
    ("shop_writes_paused", "1 while changes are refused for want of disk space", |s| i64::from(s.db.writes_paused())),
    ("shop_outbox_backlog", "E-mails not sent yet (waiting or given up)", |s| s.outbox_backlog.load(Relaxed)),
];

/// The operator's gauges, read at each scrape: the database pool, how often pages waited for it,
/// the data folder's free space, SQLite's log, whether changes are paused, the outbox backlog.
pub struct OpsCollector {
    sources: Sources,
    gauges: Vec<(IntGauge, Read)>,
}

impl OpsCollector {
    /// `outbox_backlog` is kept up to date by a job (counting needs the database, a scrape must not).
    pub fn new(db: Db, data_dir: PathBuf, outbox_backlog: Arc<AtomicI64>) -> prometheus::Result<Self> {
        let gauges = GAUGES
            .iter()
            .map(|(name, help, read)| Ok((IntGauge::with_opts(Opts::new(*name, *help))?, *read)))
            .collect::<prometheus::Result<_>>()?;
        Ok(Self { sources: Sources { db, data_dir, outbox_backlog }, gauges })
    }
}

impl Collector for OpsCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.gauges.iter().flat_map(|(gauge, _)| gauge.desc()).collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        self.gauges
            .iter()
            .flat_map(|(gauge, read)| {
                gauge.set(read(&self.sources));
                gauge.collect()
            })
            .collect()
    }
}
