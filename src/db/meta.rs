//! Facts about the installation itself (when it was first set up), in the `app_meta` table;
//! `/healthz` reads it to tell that the shop's schema is in place.

use diesel::prelude::*;

use super::DbConnection;
use super::schema::app_meta;

/// Records `key` once. Returns false when it was already there (another instance got there first).
pub fn insert_once(conn: &mut DbConnection, key: &str, value: &str) -> QueryResult<bool> {
    match diesel::insert_into(app_meta::table).values((app_meta::key.eq(key), app_meta::value.eq(value))).execute(conn)
    {
        Ok(_) => Ok(true),
        Err(e) if super::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}
