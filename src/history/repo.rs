//! The stores' tables: `sales`, `purchase_requests`, `request_constraints`.

use diesel::prelude::*;

use super::model::*;
use crate::db::schema::{purchase_requests, request_constraints, sales};
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
