//! SQL written by hand that diesel still keeps prepared. Diesel re-parses every UPDATE, every
//! `sql_query` and every `sql()` literal on each execution (it marks them unsafe to cache); the
//! SQLite parser and planner then cost more than running the statement. `Sql` holds fixed text
//! with real bind parameters, written in each backend's own placeholder syntax, so diesel caches
//! it by its text: one prepared statement per distinct text.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Double, Text, Timestamp};

use super::DbConnection;

/// A value bound to a parameter.
pub enum Bind {
    Text(String),
    Int(i64),
    Float(f64),
    Time(NaiveDateTime),
}

enum Part {
    Sql(String),
    Bind(Bind),
}

#[derive(Default)]
pub struct Sql {
    parts: Vec<Part>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        let mut sql = Self::default();
        sql.push(text);
        sql
    }

    /// Appends SQL text. Never user input: values go through `bind`.
    pub fn push(&mut self, s: &str) -> &mut Self {
        match self.parts.last_mut() {
            Some(Part::Sql(text)) => text.push_str(s),
            _ => self.parts.push(Part::Sql(s.to_owned())),
        }
        self
    }

    pub fn bind(&mut self, b: Bind) -> &mut Self {
        self.parts.push(Part::Bind(b));
        self
    }

    pub fn text(&mut self, v: impl Into<String>) -> &mut Self {
        self.bind(Bind::Text(v.into()))
    }

    pub fn int(&mut self, v: i64) -> &mut Self {
        self.bind(Bind::Int(v))
    }

    pub fn time(&mut self, v: NaiveDateTime) -> &mut Self {
        self.bind(Bind::Time(v))
    }

    /// On PostgreSQL, locks the rows selected and skips those another transaction holds, so
    /// workers on several instances never take the same row; SQLite has one writer anyway.
    pub fn skip_locked(&mut self, conn: &DbConnection) -> &mut Self {
        if matches!(conn, DbConnection::Postgresql(_)) {
            self.push(" FOR UPDATE SKIP LOCKED");
        }
        self
    }

    /// Runs a statement that returns rows.
    pub fn load<T>(self, conn: &mut DbConnection) -> QueryResult<Vec<T>>
    where
        T: diesel::deserialize::QueryableByName<diesel::sqlite::Sqlite>
            + diesel::deserialize::QueryableByName<diesel::pg::Pg>
            + 'static,
    {
        crate::db::load_on_backend!(conn, self)
    }

    /// Runs a statement that returns rows of the SQL types `ST`, read by position into a type
    /// deriving `Queryable`: no lookup of each field by its column's name, which `load` pays per
    /// field and row (12% of a catalog search's instructions).
    pub fn load_as<ST, T>(self, conn: &mut DbConnection) -> QueryResult<Vec<T>>
    where
        ST: 'static,
        T: 'static,
        Rows<ST>: for<'q> diesel::query_dsl::LoadQuery<'q, diesel::SqliteConnection, T>
            + for<'q> diesel::query_dsl::LoadQuery<'q, diesel::PgConnection, T>,
    {
        crate::db::load_on_backend!(conn, Rows::<ST> { sql: self, row: std::marker::PhantomData })
    }

    /// Runs a statement; returns the number of rows it changed.
    pub fn execute(self, conn: &mut DbConnection) -> QueryResult<usize> {
        crate::db::on_backend!(conn, c => diesel::RunQueryDsl::execute(self, c))
    }
}

impl<DB> QueryFragment<DB> for Sql
where
    DB: diesel::backend::Backend
        + diesel::sql_types::HasSqlType<Text>
        + diesel::sql_types::HasSqlType<BigInt>
        + diesel::sql_types::HasSqlType<Double>
        + diesel::sql_types::HasSqlType<Timestamp>,
    String: diesel::serialize::ToSql<Text, DB>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
    f64: diesel::serialize::ToSql<Double, DB>,
    NaiveDateTime: diesel::serialize::ToSql<Timestamp, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        for part in &self.parts {
            match part {
                Part::Sql(text) => out.push_sql(text),
                Part::Bind(Bind::Text(v)) => out.push_bind_param::<Text, String>(v)?,
                Part::Bind(Bind::Int(v)) => out.push_bind_param::<BigInt, i64>(v)?,
                Part::Bind(Bind::Float(v)) => out.push_bind_param::<Double, f64>(v)?,
                Part::Bind(Bind::Time(v)) => out.push_bind_param::<Timestamp, NaiveDateTime>(v)?,
            }
        }
        Ok(())
    }
}

impl QueryId for Sql {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Sql {
    type SqlType = diesel::sql_types::Untyped;
}

impl<Conn> RunQueryDsl<Conn> for Sql {}

/// `Sql` typed by its rows: see `Sql::load_as`.
pub struct Rows<ST> {
    sql: Sql,
    row: std::marker::PhantomData<ST>,
}

impl<ST, DB> QueryFragment<DB> for Rows<ST>
where
    DB: diesel::backend::Backend,
    Sql: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.sql.walk_ast(out)
    }
}

impl<ST> QueryId for Rows<ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST> Query for Rows<ST> {
    type SqlType = ST;
}

impl<ST, Conn> RunQueryDsl<Conn> for Rows<ST> {}
