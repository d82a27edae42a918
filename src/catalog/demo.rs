//! Demo catalog: eleven kinds with their characteristics, and a deterministic generator of
//! products and offers (300 on a first start; `shop seed-demo --products N` for benchmarks).

use std::collections::HashMap;

use chrono::Utc;

use super::model::*;
use super::repo;
use crate::db::{Db, DbConnection, DbError};

/// (code, name, characteristics: (name, label, unit, allowed words; empty words = number)).
type KindDef =
    (&'static str, &'static str, &'static [(&'static str, &'static str, &'static str, &'static [&'static str])]);

const KINDS: &[KindDef] = &[
    (
        "personal-computer",
        "Personal computers",
        &[
            ("cpu_mhz", "Processor speed", "MHz", &[]),
            ("ram_gb", "Memory", "GB", &[]),
            ("disk_gb", "Disk", "GB", &[]),
            ("color", "Colour", "", &["black", "silver", "white"]),
        ],
    ),
    (
        "notebook",
        "Notebooks",
        &[
            ("cpu_mhz", "Processor speed", "MHz", &[]),
            ("ram_gb", "Memory", "GB", &[]),
            ("disk_gb", "Disk", "GB", &[]),
            ("screen_inch", "Screen", "inch", &[]),
            ("weight_kg", "Weight", "kg", &[]),
            ("color", "Colour", "", &["black", "silver", "blue"]),
        ],
    ),
    (
        "printer",
        "Printers",
        &[
            ("pages_per_minute", "Speed", "pages/min", &[]),
            ("printing", "Printing", "", &["mono", "colour"]),
            ("duplex", "Two-sided", "", &["yes", "no"]),
        ],
    ),
    (
        "toner-cartridge",
        "Toner cartridges",
        &[("page_yield", "Page yield", "pages", &[]), ("color", "Colour", "", &["black", "cyan", "magenta", "yellow"])],
    ),
    (
        "ink-cartridge",
        "Ink cartridges",
        &[("volume_ml", "Volume", "ml", &[]), ("color", "Colour", "", &["black", "cyan", "magenta", "yellow"])],
    ),
    (
        "monitor",
        "Monitors",
        &[
            ("screen_inch", "Screen", "inch", &[]),
            ("refresh_hz", "Refresh rate", "Hz", &[]),
            ("resolution", "Resolution", "", &["1920x1080", "2560x1440", "3840x2160"]),
        ],
    ),
    (
        "smartphone",
        "Smartphones",
        &[
            ("storage_gb", "Storage", "GB", &[]),
            ("screen_inch", "Screen", "inch", &[]),
            ("color", "Colour", "", &["black", "white", "green", "red"]),
        ],
    ),
    (
        "business-suit",
        "Business suits",
        &[
            ("size", "Size", "", &[]),
            ("color", "Colour", "", &["navy", "grey", "charcoal", "black"]),
            ("fabric", "Fabric", "", &["wool", "cotton", "linen"]),
        ],
    ),
    (
        "office-chair",
        "Office chairs",
        &[("max_load_kg", "Maximum load", "kg", &[]), ("color", "Colour", "", &["black", "grey", "blue"])],
    ),
    (
        "camera",
        "Cameras",
        &[
            ("megapixels", "Resolution", "MP", &[]),
            ("weight_g", "Weight", "g", &[]),
            ("sensor", "Sensor", "", &["full frame", "APS-C", "micro four thirds"]),
        ],
    ),
    ("copy-paper", "Copy paper", &[("sheets", "Sheets", "", &[]), ("grammage_gsm", "Weight", "g/m²", &[])]),
];

pub const MAKERS: &[&str] = &["Acme", "Nordlicht", "Kawase", "Brightline", "Oakridge", "Veltro", "Sunaga", "Halden"];

/// A small deterministic generator (SplitMix64): the same seed gives the same catalog.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A plausible value for a numeric characteristic of a kind.
pub fn number(kind: &str, name: &str, rng: &mut Rng) -> f64 {
    let steps = |lo: u64, hi: u64, step: u64, rng: &mut Rng| (lo + rng.below((hi - lo) / step + 1) * step) as f64;
    match name {
        "cpu_mhz" => steps(1200, 5200, 100, rng),
        "ram_gb" => *rng.pick(&[4.0, 8.0, 16.0, 32.0, 64.0]),
        "disk_gb" => *rng.pick(&[128.0, 256.0, 500.0, 512.0, 1000.0, 2000.0]),
        "screen_inch" => match kind {
            "smartphone" => *rng.pick(&[5.8, 6.1, 6.4, 6.7]),
            "notebook" => *rng.pick(&[13.3, 14.0, 15.6, 16.0, 17.3]),
            _ => *rng.pick(&[21.5, 24.0, 27.0, 32.0, 34.0]),
        },
        "weight_kg" => steps(9, 30, 1, rng) / 10.0,
        "pages_per_minute" => steps(15, 60, 5, rng),
        "page_yield" => steps(1000, 12000, 500, rng),
        "volume_ml" => steps(5, 70, 5, rng),
        "refresh_hz" => *rng.pick(&[60.0, 75.0, 120.0, 144.0, 165.0]),
        "storage_gb" => *rng.pick(&[64.0, 128.0, 256.0, 512.0]),
        "size" => steps(44, 60, 2, rng),
        "max_load_kg" => steps(100, 180, 10, rng),
        "megapixels" => steps(12, 60, 2, rng),
        "weight_g" => steps(300, 1200, 10, rng),
        "sheets" => *rng.pick(&[500.0, 2500.0]),
        "grammage_gsm" => *rng.pick(&[70.0, 80.0, 90.0, 100.0]),
        _ => steps(1, 100, 1, rng),
    }
}

/// A list price in minor units for a product of a kind.
pub fn price(kind: &str, rng: &mut Rng) -> i64 {
    let (lo, hi): (u64, u64) = match kind {
        "personal-computer" => (40_000, 250_000),
        "notebook" => (50_000, 300_000),
        "printer" => (8_000, 90_000),
        "toner-cartridge" => (3_000, 18_000),
        "ink-cartridge" => (900, 6_000),
        "monitor" => (12_000, 120_000),
        "smartphone" => (15_000, 160_000),
        "business-suit" => (15_000, 90_000),
        "office-chair" => (9_000, 80_000),
        "camera" => (40_000, 400_000),
        _ => (400, 4_000),
    };
    // Prices end in .00, .50 or .99, as shops price.
    let base = (lo + rng.below(hi - lo)) / 100 * 100;
    (base + *rng.pick(&[0, 50, 99])) as i64
}

/// Creates the demo kinds that are missing; returns every demo kind with its characteristics.
pub fn ensure_kinds(conn: &mut DbConnection) -> Result<Vec<KindSpec>, DbError> {
    let mut specs = Vec::new();
    for (code, name, chars) in KINDS {
        if repo::kind_by_code(conn, code)?.is_none() {
            let kind = Kind {
                id: KindId::new(),
                code: (*code).into(),
                name: (*name).into(),
                created_at: Utc::now().naive_utc(),
            };
            repo::insert_kind(conn, &kind)?;
            for (i, (ch, label, unit, words)) in chars.iter().enumerate() {
                repo::insert_characteristic(
                    conn,
                    &Characteristic {
                        id: CharacteristicId::new(),
                        kind_id: kind.id.clone(),
                        name: (*ch).into(),
                        label: (*label).into(),
                        unit: (*unit).into(),
                        is_number: words.is_empty(),
                        allowed_words: words.join("\n"),
                        position: i as i32 + 1,
                    },
                )?;
            }
        }
        let kind = repo::kind_by_code(conn, code)?.ok_or(DbError::Query(diesel::result::Error::NotFound))?;
        let characteristics = repo::characteristics_of(conn, &kind.id)?;
        specs.push(KindSpec { kind, characteristics });
    }
    Ok(specs)
}

/// What a batch of generated products adds.
#[derive(Default)]
struct Batch {
    products: Vec<Product>,
    numbers: Vec<(ProductId, CharacteristicId, f64)>,
    words: Vec<(ProductId, CharacteristicId, String)>,
    fits: Vec<(ProductId, String, String)>,
    offers: Vec<Offer>,
}

/// Generates `count` products (numbered from `first`), each offered by one to three of `sellers`.
/// Cartridges fit printers generated earlier in the same run.
fn generate(
    specs: &[KindSpec],
    sellers: &[UserId],
    first: usize,
    count: usize,
    rng: &mut Rng,
    currency: &str,
    printers: &mut Vec<(String, String)>,
) -> Batch {
    let mut batch = Batch::default();
    let now = Utc::now().naive_utc();
    for n in first..first + count {
        let spec = &specs[n % specs.len()];
        let code = spec.kind.code.as_str();
        let maker = (*rng.pick(MAKERS)).to_owned();
        let model = format!("{}{}-{:05}", &code[..2].to_uppercase(), rng.below(9) + 1, n);
        let name = format!("{maker} {} {}", spec.kind.name.trim_end_matches('s'), &model[..3]);
        let id = ProductId::new();
        let mut shown = Vec::new();
        for ch in &spec.characteristics {
            let value = if ch.is_number {
                let n = number(code, &ch.name, rng);
                batch.numbers.push((id.clone(), ch.id.clone(), n));
                Value::Number(n)
            } else {
                let word = (*rng.pick(&ch.words())).to_owned();
                batch.words.push((id.clone(), ch.id.clone(), word.clone()));
                Value::Word(word)
            };
            shown.push(super::rules::shown(ch.rule(), &value));
        }
        let consumable = matches!(code, "toner-cartridge" | "ink-cartridge" | "copy-paper");
        if code == "printer" {
            printers.push((maker.clone(), model.clone()));
        }
        if matches!(code, "toner-cartridge" | "ink-cartridge") && !printers.is_empty() {
            for _ in 0..=rng.below(2) {
                let (pm, pmodel) = rng.pick(printers).clone();
                if !batch.fits.iter().any(|(p, m, o)| *p == id && *m == pm && *o == pmodel) {
                    batch.fits.push((id.clone(), pm, pmodel));
                }
            }
        }
        let list = price(code, rng);
        // One seller for 60% of products, two for 30%, three for 10%: 1.5 offers per product.
        let competing = match rng.below(10) {
            0..=5 => 1,
            6..=8 => 2,
            _ => 3,
        };
        for s in 0..competing.min(sellers.len()) {
            let seller = &sellers[(n + s) % sellers.len()];
            batch.offers.push(Offer {
                id: OfferId::new(),
                code: String::new(),
                product_id: id.clone(),
                kind_id: spec.kind.id.clone(),
                seller_id: seller.clone(),
                price: list + (s as i64) * 500,
                currency: currency.to_owned(),
                stock: rng.below(60) as i64,
                guarantee_months: *rng.pick(&[6, 12, 24, 36]),
                onsite_service: rng.below(4) == 0,
                trade_in: rng.below(3) == 0,
                cooling_off_days: *rng.pick(&[0, 7, 14, 30]),
                sold: rng.below(500) as i64,
                withdrawn_at: None,
                created_at: now - chrono::Duration::minutes(rng.below(60 * 24 * 90) as i64),
                updated_at: now,
                is_lead: false,
            });
        }
        let description = {
            let one = spec.kind.name.to_lowercase().trim_end_matches('s').to_owned();
            let article = if crate::web::text::article(&one) == "an" { "An" } else { "A" };
            format!("{article} {one} from {maker}'s current range.")
        };
        batch.products.push(Product {
            id,
            kind_id: spec.kind.id.clone(),
            search_text: super::rules::search_text(&name, &maker, &model),
            summary: super::rules::summary(&shown),

            maker,
            model,
            name,
            description,
            is_consumable: consumable,
            created_at: now,
            picture_hash: None,
        });
    }
    batch
}

/// Offer codes for a batch: the generator's own sequence, unique within the run and, with the
/// prefix from the offer count, across runs.
fn number_offers(batch: &mut Batch, next: &mut u64) {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    for offer in &mut batch.offers {
        let mut n = *next;
        *next += 1;
        let mut code = String::new();
        for _ in 0..7 {
            code.push(char::from(ALPHABET[(n % ALPHABET.len() as u64) as usize]));
            n /= ALPHABET.len() as u64;
        }
        offer.code = code.chars().rev().collect();
    }
}

fn insert(conn: &mut DbConnection, batch: &Batch, pictures: &HashMap<KindId, String>) -> Result<(), DbError> {
    // Chunks keep every statement under SQLite's and PostgreSQL's limits on bound values.
    for chunk in batch.products.chunks(500) {
        repo::insert_products(conn, chunk)?;
    }
    for chunk in batch.numbers.chunks(2000) {
        repo::insert_numbers(conn, chunk)?;
    }
    for chunk in batch.words.chunks(2000) {
        repo::insert_words(conn, chunk)?;
    }
    for chunk in batch.fits.chunks(2000) {
        repo::insert_fits(conn, chunk)?;
    }
    for chunk in batch.offers.chunks(500) {
        repo::insert_offers(conn, chunk)?;
    }
    // Each offer shows its kind's demo picture, described by the product's name.
    let names: HashMap<&ProductId, &str> = batch.products.iter().map(|p| (&p.id, p.name.as_str())).collect();
    let links: Vec<OfferPicture> = batch
        .offers
        .iter()
        .filter_map(|o| {
            Some(OfferPicture {
                offer_id: o.id.clone(),
                position: 0,
                product_id: o.product_id.clone(),
                picture_hash: pictures.get(&o.kind_id)?.clone(),
                alt: names.get(&o.product_id).map(|n| (*n).to_owned()).unwrap_or_default(),
                created_at: o.created_at,
            })
        })
        .collect();
    for chunk in links.chunks(500) {
        repo::insert_offer_pictures(conn, chunk)?;
    }
    Ok(())
}

/// A picture per kind, made by the program and stored once: its hash by kind.
fn demo_pictures(db: &Db, specs: &[KindSpec]) -> Result<HashMap<KindId, String>, DbError> {
    let mut hashes = HashMap::new();
    for spec in specs {
        let Ok(prepared) = super::pictures::from_image(&super::pictures::demo_picture(&spec.kind.code)) else {
            continue;
        };
        db.write_blocking(|c| {
            super::service::store_picture(c, &prepared).map_err(|e| match e {
                super::service::CatalogError::Db(e) => e,
                other => DbError::Query(diesel::result::Error::QueryBuilderError(other.to_string().into())),
            })
        })?;
        hashes.insert(spec.kind.id.clone(), prepared.hash);
    }
    Ok(hashes)
}

/// Adds `count` generated products with their offers, in transactions of 1000 products.
/// Returns (products, offers) added.
pub fn seed_products(
    db: &Db,
    sellers: &[UserId],
    count: usize,
    seed: u64,
    currency: &str,
) -> Result<(usize, usize), DbError> {
    use diesel::prelude::*;
    let specs = db.write_blocking(ensure_kinds)?;
    let pictures = demo_pictures(db, &specs)?;
    let (existing, offers_before): (i64, i64) = db.read_blocking(|c| {
        let p = crate::db::schema::products::table.count().get_result(c)?;
        let o = crate::db::schema::offers::table.count().get_result(c)?;
        Ok::<_, DbError>((p, o))
    })?;
    let mut rng = Rng::new(seed ^ existing as u64);
    let mut printers = Vec::new();
    let mut next_code = 1_000_000 + offers_before as u64;
    let mut offers = 0;
    let mut done = 0;
    while done < count {
        let n = (count - done).min(1000);
        let mut batch = generate(&specs, sellers, existing as usize + done, n, &mut rng, currency, &mut printers);
        number_offers(&mut batch, &mut next_code);
        offers += batch.offers.len();
        db.write_blocking(|c| insert(c, &batch, &pictures))?;
        done += n;
    }
    db.write_blocking(|c| repo::refresh_all_cards(c).map_err(DbError::from))?;
    // PostgreSQL plans by its statistics, and until autovacuum next looks (a minute or more) the
    // freshly loaded tables have none: product pages then scanned the whole search index (measured:
    // 110 pages/s instead of thousands). SQLite's plans need none.
    if db.backend() == crate::db::Backend::Postgres {
        diesel::connection::SimpleConnection::batch_execute(&mut *db.pool_connection()?, "ANALYZE")?;
    }
    Ok((count, offers))
}

/// A printer model from the demo catalog that some cartridge fits, for a demo shopper's equipment.
pub fn a_fitted_printer(conn: &mut DbConnection) -> Result<Option<(String, String)>, DbError> {
    use crate::db::schema::product_fits;
    use diesel::prelude::*;
    Ok(product_fits::table
        .select((product_fits::maker, product_fits::model))
        .order(product_fits::model)
        .first(conn)
        .optional()?)
}
