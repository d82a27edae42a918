//! Embedded migrations, one folder per dialect with the same names in both (a test checks that).

use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbConnection;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

type MigrationResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// An arbitrary constant: instances starting together on one PostgreSQL take turns migrating.
const PG_MIGRATION_LOCK: i64 = 0x054f_504d_4947;

/// Applies every pending migration; returns the versions applied.
pub fn run_pending(conn: &mut DbConnection) -> MigrationResult<Vec<String>> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE)?.iter().map(|v| v.to_string()).collect(),
        DbConnection::Postgresql(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({PG_MIGRATION_LOCK})"))?;
            let result = c.run_pending_migrations(POSTGRES).map(|vs| vs.iter().map(|v| v.to_string()).collect());
            c.batch_execute(&format!("SELECT pg_advisory_unlock({PG_MIGRATION_LOCK})"))?;
            result?
        }
    };
    Ok(applied)
}

/// Of the versions a database has applied, those this version of the shop does not know (the
/// database was migrated by a newer one).
pub fn unknown(applied: &[String]) -> Vec<String> {
    use diesel::migration::MigrationSource;
    let known: Vec<String> = MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE)
        .map(|all| all.iter().map(|m| m.name().version().to_string()).collect())
        .unwrap_or_default();
    applied.iter().filter(|v| !known.contains(v)).cloned().collect()
}

/// How many of this version's migrations the database has not applied.
pub fn pending(conn: &mut DbConnection) -> MigrationResult<usize> {
    Ok(match conn {
        DbConnection::Sqlite(c) => c.pending_migrations(SQLITE)?.len(),
        DbConnection::Postgresql(c) => c.pending_migrations(POSTGRES)?.len(),
    })
}

/// Runs every `down.sql`, newest first: the test of the down migrations, and a full reset.
pub fn revert_all(conn: &mut DbConnection) -> MigrationResult<Vec<String>> {
    let reverted = match conn {
        DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE)?,
        DbConnection::Postgresql(c) => c.revert_all_migrations(POSTGRES)?,
    };
    Ok(reverted.iter().map(|v| v.to_string()).collect())
}

/// Versions already applied to this database.
pub fn applied(conn: &mut DbConnection) -> MigrationResult<Vec<String>> {
    let versions = match conn {
        DbConnection::Sqlite(c) => c.applied_migrations()?,
        DbConnection::Postgresql(c) => c.applied_migrations()?,
    };
    Ok(versions.iter().map(|v| v.to_string()).collect())
}
