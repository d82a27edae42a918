//! A demo sales history and preference store at scale (`shop seed-demo --sales N --requests N`):
//! sales of the demo sellers' offers and purchase requests for the demo kinds, spread over the last
//! 365 days, written through `history`'s service. Deterministic, so benchmarks see the same data.

use chrono::{Duration, NaiveDateTime};

use super::Accounts;
use crate::accounts::UserId;
use crate::catalog::demo::{MAKERS, Rng, number, price};
use crate::catalog::{KindSpec, Offer};
use crate::db::{Db, DbError};
use crate::echeck::OfficeId;
use crate::history::{Channel, Constraint, PurchaseRequest, Sale};

/// Days the demo history covers, ending today.
const DAYS: i64 = 365;
/// Rows written per transaction.
const BATCH: usize = 20_000;

/// Adds `sales` sales and `requests` purchase requests; returns how many of each were written.
pub async fn seed_history(
    accounts: &Accounts,
    currency: &str,
    sales: usize,
    requests: usize,
) -> anyhow::Result<(usize, usize)> {
    let sellers = super::demo_sellers(accounts).await?;
    let db = accounts.db().clone();
    let currency = currency.to_owned();
    actix_web::web::block(move || seed_blocking(&db, &sellers, &currency, sales, requests))
        .await
        .map_err(|e| anyhow::anyhow!("seeding was cancelled: {e}"))?
}

fn seed_blocking(
    db: &Db,
    sellers: &[UserId],
    currency: &str,
    sales: usize,
    requests: usize,
) -> anyhow::Result<(usize, usize)> {
    let today = crate::history::rules::day_of(crate::db::now());
    let first_day = today - Duration::days(DAYS - 1);
    let mut rng = Rng::new(2026 ^ sales as u64 ^ (requests as u64).rotate_left(32));
    let mut sold = 0;
    if sales > 0 {
        let offers = offers_with_offices(db, sellers)?;
        anyhow::ensure!(!offers.is_empty(), "no demo offers to sell: seed the catalog first");
        while sold < sales {
            let n = (sales - sold).min(BATCH);
            let mut by_day: Vec<(NaiveDateTime, Sale)> =
                (0..n).map(|_| a_sale(&offers, first_day, &mut rng, currency)).collect();
            by_day.sort_by_key(|(day, _)| *day);
            db.write_blocking(|c| {
                for day in by_day.chunk_by(|a, b| a.0 == b.0) {
                    let of_day: Vec<Sale> = day.iter().map(|(_, s)| s.clone()).collect();
                    crate::history::record_sales(c, &of_day, day[0].0)?;
                }
                Ok::<_, DbError>(())
            })?;
            sold += n;
        }
    }
    let mut asked = 0;
    if requests > 0 {
        let specs = db.read_blocking(kind_specs)?;
        anyhow::ensure!(!specs.is_empty(), "no kinds to ask for: seed the catalog first");
        while asked < requests {
            let n = (requests - asked).min(BATCH);
            let batch: Vec<(PurchaseRequest, NaiveDateTime)> =
                (0..n).map(|_| a_request(&specs, first_day, &mut rng, currency)).collect();
            let refs: Vec<(&PurchaseRequest, NaiveDateTime)> = batch.iter().map(|(r, at)| (r, *at)).collect();
            db.write_blocking(|c| crate::history::record_requests(c, &refs).map(|_| ()))?;
            asked += n;
        }
    }
    if db.backend() == crate::db::Backend::Postgres {
        // Fresh statistics, or the planner guesses on a million new rows.
        diesel::connection::SimpleConnection::batch_execute(&mut *db.pool_connection()?, "ANALYZE")?;
    }
    Ok((sold, asked))
}

/// An offer on sale and the selling office behind it.
struct Selling {
    offer: Offer,
    office: OfficeId,
}

fn offers_with_offices(db: &Db, sellers: &[UserId]) -> anyhow::Result<Vec<Selling>> {
    db.read_blocking(|c| {
        let mut all = Vec::new();
        for seller in sellers {
            let Ok(office) = crate::echeck::office_for(c, seller) else { continue };
            let offers = crate::catalog::offers_of_seller(c, seller)?;
            all.extend(offers.into_iter().map(|(offer, _)| Selling { offer, office: office.id.clone() }));
        }
        Ok(all)
    })
}

fn kind_specs(conn: &mut crate::db::DbConnection) -> anyhow::Result<Vec<KindSpec>> {
    let mut specs = Vec::new();
    for kind in crate::catalog::kinds(conn)? {
        specs.extend(crate::catalog::kind_spec(conn, &kind.code)?);
    }
    Ok(specs)
}

/// Some offers sell far more than others: the index is skewed towards the first ones.
fn popular<'a, T>(items: &'a [T], rng: &mut Rng) -> &'a T {
    let n = items.len() as u64;
    &items[(rng.below(n) * rng.below(n) / n.max(1)) as usize]
}

fn a_sale(offers: &[Selling], first_day: NaiveDateTime, rng: &mut Rng, currency: &str) -> (NaiveDateTime, Sale) {
    let s = popular(offers, rng);
    let day = first_day + Duration::days(rng.below(DAYS as u64) as i64);
    let quantity = match rng.below(100) {
        0..80 => 1,
        80..95 => 2,
        _ => 3 + rng.below(3) as i64,
    };
    // Some buyers pay an agreed price (10% off); a few anonymous parcels go back uncollected.
    let unit_price = if rng.below(10) == 0 { s.offer.price * 9 / 10 } else { s.offer.price };
    let channel = if rng.below(10) == 0 { Channel::Anonymous } else { Channel::Order };
    let taken_back = channel == Channel::Anonymous && rng.below(20) == 0;
    let sale = Sale {
        channel,
        kind: s.offer.kind_id.clone(),
        product: s.offer.product_id.clone(),
        offer: s.offer.id.clone(),
        office: s.office.clone(),
        quantity: if taken_back { -quantity } else { quantity },
        unit_price,
        currency: currency.to_owned(),
    };
    (day, sale)
}

fn a_request(
    specs: &[KindSpec],
    first_day: NaiveDateTime,
    rng: &mut Rng,
    currency: &str,
) -> (PurchaseRequest, NaiveDateTime) {
    let at = first_day + Duration::hours(rng.below(DAYS as u64 * 24) as i64);
    let spec = popular(specs, rng);
    let code = spec.kind.code.as_str();
    let mut constraints = Vec::new();
    let mut chars: Vec<_> = spec.characteristics.iter().collect();
    for _ in 0..1 + rng.below(3) {
        if chars.is_empty() {
            break;
        }
        let c = chars.swap_remove(rng.below(chars.len() as u64) as usize);
        let words: Vec<&str> = c.allowed_words.lines().filter(|w| !w.is_empty()).collect();
        constraints.push(if !c.is_number && !words.is_empty() {
            Constraint::Word { characteristic: c.name.clone(), word: (*rng.pick(&words)).to_owned() }
        } else {
            let (a, b) = (number(code, &c.name, rng), number(code, &c.name, rng));
            let (min, max) = match rng.below(10) {
                0..5 => (Some(a), None),
                5..7 => (None, Some(a)),
                _ => (Some(a.min(b)), Some(a.max(b))),
            };
            Constraint::Range { characteristic: c.name.clone(), min, max }
        });
    }
    // Some ask for anything at all, under a price.
    let kind = (rng.below(20) != 0).then(|| spec.kind.id.clone());
    if kind.is_none() {
        constraints.clear();
    }
    let request = PurchaseRequest {
        kind,
        maker: (rng.below(5) == 0).then(|| (*rng.pick(MAKERS)).to_owned()),
        price_max: (rng.below(10) < 4).then(|| price(code, rng)),
        currency: currency.to_owned(),
        matches: if rng.below(5) == 0 { 0 } else { 1 + rng.below(30) as i64 },
        constraints,
    };
    (request, at)
}
