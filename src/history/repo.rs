//! The stores' tables: `sales`, `purchase_requests`, `request_constraints`.

use diesel::prelude::*;

use super::model::*;
use crate::db::schema::{purchase_requests, request_constraints, sales};
use crate::db::sql::Sql;
use crate::db::{DbConnection, on_backend};

pub fn insert_sales(conn: &mut DbConnection, rows: &[SaleRow]) -> QueryResult<usize> {
    // A multi-row INSERT: offered on each backend's connection, not on the enum.
    on_backend!(conn, c => diesel::insert_into(sales::table).values(rows).execute(c))
}

pub fn insert_request(conn: &mut DbConnection, row: &RequestRow) -> QueryResult<usize> {
    diesel::insert_into(purchase_requests::table).values(row).execute(conn)
}

pub fn insert_constraints(conn: &mut DbConnection, rows: &[ConstraintRow]) -> QueryResult<usize> {
    on_backend!(conn, c => diesel::insert_into(request_constraints::table).values(rows).execute(c))
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

pub fn sales_groups(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Vec<SalesGroup>> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    let mut q = Sql::new(
        "SELECT day, kind_id, product_id, unit_price, CAST(SUM(quantity) AS BIGINT), \
         CAST(SUM(CASE WHEN quantity > 0 THEN 1 ELSE -1 END) AS BIGINT) FROM sales",
    );
    scoped(&mut q, scope, "day", true);
    q.push(" GROUP BY day, kind_id, product_id, unit_price ORDER BY day, kind_id, product_id, unit_price");
    q.load_as::<(Timestamp, Text, Text, BigInt, BigInt, BigInt), SalesGroup>(conn)
}

pub fn request_groups(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Vec<RequestGroup>> {
    use diesel::sql_types::{BigInt, Bool, Nullable, Text};
    let mut q = Sql::new("SELECT kind_id, matches > 0, CAST(COUNT(*) AS BIGINT) FROM purchase_requests");
    scoped(&mut q, scope, "asked_hour", false);
    q.push(" GROUP BY kind_id, matches > 0 ORDER BY kind_id, matches > 0");
    q.load_as::<(Nullable<Text>, Bool, BigInt), RequestGroup>(conn)
}

pub fn constraint_groups(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Vec<ConstraintGroup>> {
    use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text};
    let mut q = Sql::new(
        "SELECT r.kind_id, r.matches > 0, c.characteristic, c.word, c.min_value, c.max_value, \
         CAST(COUNT(DISTINCT r.id) AS BIGINT) FROM purchase_requests r \
         JOIN request_constraints c ON c.request_id = r.id",
    );
    let mut scope = scope.clone();
    let kind = scope.kind.take();
    scoped(&mut q, &scope, "r.asked_hour", false);
    if let Some(kind) = kind {
        q.push(" AND r.kind_id = ").text(kind.as_str());
    }
    q.push(
        " GROUP BY r.kind_id, r.matches > 0, c.characteristic, c.word, c.min_value, c.max_value \
         ORDER BY r.kind_id, c.characteristic, c.word, c.min_value, c.max_value",
    );
    q.load_as::<(Nullable<Text>, Bool, Text, Nullable<Text>, Nullable<Double>, Nullable<Double>, BigInt), ConstraintGroup>(
        conn,
    )
}
