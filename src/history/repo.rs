//! The stores' tables: `sales`, `purchase_requests`, `request_constraints`.

use diesel::prelude::*;

use super::model::*;
use crate::db::schema::{
    daily_constraints, daily_requests, daily_sales, monthly_constraints, purchase_requests, request_constraints, sales,
};
use crate::db::sql::{Bind, Sql};
use crate::db::{DbConnection, on_backend};

pub fn insert_sales(conn: &mut DbConnection, rows: &[SaleRow]) -> QueryResult<usize> {
    // A multi-row INSERT: offered on each backend's connection, not on the enum.
    on_backend!(conn, c => diesel::insert_into(sales::table).values(rows).execute(c))
}

pub fn insert_requests(conn: &mut DbConnection, rows: &[RequestRow]) -> QueryResult<usize> {
    on_backend!(conn, c => diesel::insert_into(purchase_requests::table).values(rows).execute(c))
}

pub fn insert_constraints(conn: &mut DbConnection, rows: &[ConstraintRow]) -> QueryResult<usize> {
    on_backend!(conn, c => diesel::insert_into(request_constraints::table).values(rows).execute(c))
}

// ---- the sums: added to in their key's order, so two writers never wait on each other in turn ----

/// Adds `rows` to a table of sums: a row whose key is there adds to it. PostgreSQL takes a
/// thousand rows a statement (the keys of one statement must differ); SQLite one, as diesel
/// offers no multi-row upsert there (and a statement costs it no round trip): written as `Sql`
/// there, kept prepared, where diesel's upsert is parsed again at every run.
macro_rules! add_up {
    ($conn:expr, $table:expr, $rows:expr, $key:expr, $set:expr, $sqlite:expr) => {{
        let mut n = 0;
        match $conn {
            DbConnection::Sqlite(_) => {
                for row in $rows {
                    n += $sqlite(row).execute($conn)?;
                }
            }
            DbConnection::Postgresql(c) => {
                for chunk in $rows.chunks(1000) {
                    n +=
                        diesel::insert_into($table).values(chunk).on_conflict($key).do_update().set($set).execute(c)?;
                }
            }
        }
        Ok(n)
    }};
}

/// One row added to a table of sums: `values` are the key's columns then the sums', in order.
fn add_one(table: &str, key: &[&str], sums: &[&str], values: Vec<Bind>) -> Sql {
    let columns = [key, sums].concat().join(", ");
    let mut q = Sql::new(&format!("INSERT INTO {table} ({columns}) VALUES ("));
    for (i, value) in values.into_iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.bind(value);
    }
    let set: Vec<String> = sums.iter().map(|s| format!("{s} = {table}.{s} + excluded.{s}")).collect();
    q.push(&format!(") ON CONFLICT ({}) DO UPDATE SET {}", key.join(", "), set.join(", ")));
    q
}

fn flag(b: bool) -> Bind {
    Bind::Int(i64::from(b))
}

pub fn add_sales_of_days(conn: &mut DbConnection, rows: &[SalesOfDay]) -> QueryResult<usize> {
    use daily_sales::dsl as t;
    use diesel::upsert::excluded;
    let key = ["day", "kind_id", "product_id", "unit_price", "office_id"];
    add_up!(
        conn,
        daily_sales::table,
        rows,
        (t::day, t::kind_id, t::product_id, t::unit_price, t::office_id),
        (t::quantity.eq(t::quantity + excluded(t::quantity)), t::sales.eq(t::sales + excluded(t::sales))),
        |r: &SalesOfDay| {
            let values = vec![
                Bind::Time(r.day),
                Bind::Text(r.kind_id.to_string()),
                Bind::Text(r.product_id.to_string()),
                Bind::Int(r.unit_price),
                Bind::Text(r.office_id.to_string()),
                Bind::Int(r.quantity),
                Bind::Int(r.sales),
            ];
            add_one("daily_sales", &key, &["quantity", "sales"], values)
        }
    )
}

pub fn add_requests_of_days(conn: &mut DbConnection, rows: &[RequestsOfDay]) -> QueryResult<usize> {
    use daily_requests::dsl as t;
    use diesel::upsert::excluded;
    add_up!(
        conn,
        daily_requests::table,
        rows,
        (t::day, t::kind_id, t::matched),
        t::requests.eq(t::requests + excluded(t::requests)),
        |r: &RequestsOfDay| {
            let values = vec![Bind::Time(r.day), Bind::Text(r.kind_id.clone()), flag(r.matched), Bind::Int(r.requests)];
            add_one("daily_requests", &["day", "kind_id", "matched"], &["requests"], values)
        }
    )
}

/// The key of a table of asked constraints after its first column (the day or the month).
const CONSTRAINT_KEY: [&str; 8] =
    ["kind_id", "matched", "characteristic", "word", "has_min", "min_value", "has_max", "max_value"];

#[allow(clippy::too_many_arguments)]
fn add_constraint(
    table: &str,
    first: &str,
    at: chrono::NaiveDateTime,
    kind_id: &str,
    matched: bool,
    characteristic: &str,
    word: &str,
    bounds: (bool, f64, bool, f64),
    requests: i64,
) -> Sql {
    let key: Vec<&str> = std::iter::once(first).chain(CONSTRAINT_KEY).collect();
    let values = vec![
        Bind::Time(at),
        Bind::Text(kind_id.to_owned()),
        flag(matched),
        Bind::Text(characteristic.to_owned()),
        Bind::Text(word.to_owned()),
        flag(bounds.0),
        Bind::Float(bounds.1),
        flag(bounds.2),
        Bind::Float(bounds.3),
        Bind::Int(requests),
    ];
    add_one(table, &key, &["requests"], values)
}

pub fn add_constraints_of_days(conn: &mut DbConnection, rows: &[ConstraintsOfDay]) -> QueryResult<usize> {
    use daily_constraints::dsl as t;
    use diesel::upsert::excluded;
    add_up!(
        conn,
        daily_constraints::table,
        rows,
        (
            t::day,
            t::kind_id,
            t::matched,
            t::characteristic,
            t::word,
            t::has_min,
            t::min_value,
            t::has_max,
            t::max_value
        ),
        t::requests.eq(t::requests + excluded(t::requests)),
        |r: &ConstraintsOfDay| {
            let bounds = (r.has_min, r.min_value, r.has_max, r.max_value);
            let (kind, matched, requests) = (&r.kind_id, r.matched, r.requests);
            add_constraint(
                "daily_constraints",
                "day",
                r.day,
                kind,
                matched,
                &r.characteristic,
                &r.word,
                bounds,
                requests,
            )
        }
    )
}

pub fn add_constraints_of_months(conn: &mut DbConnection, rows: &[ConstraintsOfMonth]) -> QueryResult<usize> {
    use diesel::upsert::excluded;
    use monthly_constraints::dsl as t;
    add_up!(
        conn,
        monthly_constraints::table,
        rows,
        (
            t::month,
            t::kind_id,
            t::matched,
            t::characteristic,
            t::word,
            t::has_min,
            t::min_value,
            t::has_max,
            t::max_value
        ),
        t::requests.eq(t::requests + excluded(t::requests)),
        |r: &ConstraintsOfMonth| {
            let bounds = (r.has_min, r.min_value, r.has_max, r.max_value);
            let (kind, matched, requests) = (&r.kind_id, r.matched, r.requests);
            let characteristic = &r.characteristic;
            add_constraint(
                "monthly_constraints",
                "month",
                r.month,
                kind,
                matched,
                characteristic,
                &r.word,
                bounds,
                requests,
            )
        }
    )
}

// ---- reading (what `analytics` asks) ----

/// `sql` narrowed to the scope: `time` is the column of the day or hour.
fn scoped(sql: &mut Sql, scope: &Scope, time: &str, with_office: bool) {
    sql.push(" WHERE ").push(time).push(" >= ").time(scope.from);
    sql.push(" AND ").push(time).push(" < ").time(scope.until);
    if let Some(kind) = &scope.kind {
        sql.push(" AND kind_id = ").text(kind.as_str());
    }
    if let (true, Some(office)) = (with_office, &scope.office) {
        sql.push(" AND office_id = ").text(office.as_str());
    }
}

pub fn sales_groups(conn: &mut DbConnection, scope: &Scope, grain: SalesGrain) -> QueryResult<Vec<SalesGroup>> {
    use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
    // The groups follow the key (day, kind, product, unit price, office) where they can, so that
    // SQLite sums as it reads, without sorting. No reading here is ordered: the analyses order
    // their rows by their labels, and PostgreSQL sorting 200,000 rows of text took 400 ms.
    let (columns, groups) = match grain {
        // The day rows as they are, one per office: a market's (day, product, price) is nearly
        // always one office's, so summing here gained nothing and cost PostgreSQL a hash of
        // 200,000 rows spilling to disk (650 ms against a 70 ms scan).
        SalesGrain::Product => ("day, kind_id, product_id, unit_price, quantity, sales", None),
        SalesGrain::Kind => (
            "day, kind_id, CAST(NULL AS TEXT), CAST(NULL AS BIGINT), CAST(SUM(quantity) AS BIGINT), \
             CAST(SUM(sales) AS BIGINT)",
            Some("day, kind_id"),
        ),
        SalesGrain::Price => (
            "CAST(NULL AS TIMESTAMP), kind_id, CAST(NULL AS TEXT), unit_price, CAST(SUM(quantity) AS BIGINT), \
             CAST(SUM(sales) AS BIGINT)",
            Some("kind_id, unit_price"),
        ),
    };
    let mut q = Sql::new("SELECT ");
    q.push(columns).push(" FROM daily_sales");
    scoped(&mut q, scope, "day", true);
    if let Some(groups) = groups {
        q.push(" GROUP BY ").push(groups);
    }
    q.load_as::<(Nullable<Timestamp>, Text, Nullable<Text>, Nullable<BigInt>, BigInt, BigInt), SalesGroup>(conn)
}

pub fn request_groups(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Vec<RequestGroup>> {
    use diesel::sql_types::{BigInt, Bool, Nullable, Text};
    let mut q = Sql::new("SELECT NULLIF(kind_id, ''), matched, CAST(SUM(requests) AS BIGINT) FROM daily_requests");
    scoped(&mut q, scope, "day", false);
    q.push(" GROUP BY kind_id, matched");
    q.load_as::<(Nullable<Text>, Bool, BigInt), RequestGroup>(conn)
}

/// Read from the whole months' sums where the period holds whole months, and from the days'
/// sums for the days before and after them: three ranges of keys, one sort.
pub fn constraint_groups(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Vec<ConstraintGroup>> {
    use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text};
    const ASKED: &str = "kind_id, matched, characteristic, word, has_min, min_value, has_max, max_value";
    let mut q = Sql::new(
        "SELECT NULLIF(kind_id, ''), matched, characteristic, NULLIF(word, ''), \
         CASE WHEN has_min THEN min_value END, CASE WHEN has_max THEN max_value END, \
         CAST(SUM(requests) AS BIGINT) FROM (",
    );
    let part = |q: &mut Sql, table: &str, time: &str, from, until| {
        q.push("SELECT ").push(ASKED).push(", requests FROM ").push(table);
        scoped(q, &Scope { from, until, ..scope.clone() }, time, false);
    };
    match super::rules::whole_months(scope.from, scope.until) {
        Some((first, end)) => {
            part(&mut q, "daily_constraints", "day", scope.from, first);
            q.push(" UNION ALL ");
            part(&mut q, "monthly_constraints", "month", first, end);
            q.push(" UNION ALL ");
            part(&mut q, "daily_constraints", "day", end, scope.until);
        }
        None => part(&mut q, "daily_constraints", "day", scope.from, scope.until),
    }
    q.push(") asked GROUP BY ").push(ASKED);
    q.load_as::<(Nullable<Text>, Bool, Text, Nullable<Text>, Nullable<Double>, Nullable<Double>, BigInt), ConstraintGroup>(
        conn,
    )
}
