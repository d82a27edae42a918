//! Backups of a SQLite shop while it runs, and restoring one into a shop that does not run.
//!
//! `backup` writes `VACUUM INTO` a folder only the owner may enter, checks the copy and moves it
//! to its name: a consistent copy of one moment (a read transaction), taken while the shop goes
//! on writing, never readable by others, never half-written under its final name. `restore`
//! refuses while any process has the database open (each holds a shared lock on `<file>.lock`,
//! see `ShopLock`), checks the copy first, keeps the replaced files beside it, and puts the copy
//! in place by a rename. PostgreSQL has its own tools (`pg_dump`, README.md).

use std::fs::File;
use std::path::{Path, PathBuf};

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::{DbConnection, folder_of, migrations, with_suffix};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("backups of a PostgreSQL shop are made with pg_dump and restored with pg_restore (see README.md)")]
    Postgres,
    #[error("{0} exists already; name a new file")]
    Exists(PathBuf),
    #[error("a shop (or another command) has this database open; stop it first")]
    InUse,
    #[error("{0} is not a usable copy: {1}")]
    BadCopy(PathBuf, String),
    #[error("{what} {path}: {source}")]
    Io { what: &'static str, path: PathBuf, source: std::io::Error },
    #[error("database: {0}")]
    Db(String),
}

type Result<T> = std::result::Result<T, BackupError>;

fn io<'p>(what: &'static str, path: &'p Path) -> impl FnOnce(std::io::Error) -> BackupError + 'p {
    move |source| BackupError::Io { what, path: path.to_path_buf(), source }
}

/// The database file a URL names, or why there is none to copy.
fn sqlite_file(url: &str) -> Result<&Path> {
    match super::Backend::of_url(url) {
        super::Backend::Postgres => Err(BackupError::Postgres),
        super::Backend::Sqlite => Ok(Path::new(url.strip_prefix("sqlite://").unwrap_or(url))),
    }
}

/// A lock every process that opens a SQLite database holds (shared) for as long as it has it
/// open; `restore` takes it alone. It is a file of its own beside the database, which a restore
/// never replaces (SQLite's own locks are on the files it does replace).
#[derive(Debug)]
pub struct ShopLock {
    _file: File,
}

impl ShopLock {
    fn take(database: &Path, operation: rustix::fs::FlockOperation) -> Result<ShopLock> {
        let path = with_suffix(database, ".lock");
        let file = private_file(&path, false).map_err(io("cannot open the lock file", &path))?;
        match rustix::fs::flock(&file, operation) {
            Ok(()) => Ok(ShopLock { _file: file }),
            Err(rustix::io::Errno::WOULDBLOCK) => Err(BackupError::InUse),
            Err(e) => Err(BackupError::Io { what: "cannot lock", path, source: e.into() }),
        }
    }

    /// Held by every process that opens the database (see `Db::connect`).
    pub fn shared(database: &Path) -> Result<ShopLock> {
        Self::take(database, rustix::fs::FlockOperation::NonBlockingLockShared).map_err(|e| match e {
            BackupError::InUse => BackupError::Db("a restore of this database is under way".into()),
            other => other,
        })
    }

    fn alone(database: &Path) -> Result<ShopLock> {
        Self::take(database, rustix::fs::FlockOperation::NonBlockingLockExclusive)
    }
}

/// Creates a new folder only its owner may enter.
fn private_folder(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

/// Opens (creating if need be) a file only its owner may read.
fn private_file(path: &Path, create_new: bool) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true);
    if create_new {
        options.create_new(true)
    } else {
        options.create(true)
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// What was checked of a copy.
#[derive(Debug)]
pub struct CopyFacts {
    pub bytes: u64,
    /// Migrations the copy has applied.
    pub migrations: usize,
}

/// Writes a consistent copy of the running database at `url` to `target` (which must not exist),
/// readable by its owner only, and checks it.
pub fn backup(url: &str, target: &Path) -> Result<CopyFacts> {
    let source = sqlite_file(url)?;
    if target.exists() {
        return Err(BackupError::Exists(target.to_path_buf()));
    }
    let folder = folder_of(target);
    let staging = folder.join(format!(".shop-backup-{}", hex::encode(rand::random::<[u8; 6]>())));
    private_folder(&staging).map_err(io("cannot create", &staging))?;
    let written = staging.join("copy.sqlite3");
    let result = (|| {
        let mut conn = open(source)?;
        let into = written.to_string_lossy().replace('\'', "''");
        conn.batch_execute(&format!("VACUUM INTO '{into}'")).map_err(|e| BackupError::Db(e.to_string()))?;
        drop(conn);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&written, std::fs::Permissions::from_mode(0o600))
                .map_err(io("cannot narrow", &written))?;
        }
        let facts = check_copy(&written)?;
        File::open(&written).and_then(|f| f.sync_all()).map_err(io("cannot sync", &written))?;
        // A hard link fails if the name was taken meanwhile, where a rename would replace it.
        std::fs::hard_link(&written, target).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => BackupError::Exists(target.to_path_buf()),
            _ => BackupError::Io { what: "cannot write", path: target.to_path_buf(), source: e },
        })?;
        sync_folder(folder);
        Ok(facts)
    })();
    let _ = std::fs::remove_dir_all(&staging);
    result
}

fn open(path: &Path) -> Result<diesel::SqliteConnection> {
    let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())
        .map_err(|e| BackupError::Db(format!("{}: {e}", path.display())))?;
    conn.batch_execute("PRAGMA busy_timeout = 5000;").map_err(|e| BackupError::Db(e.to_string()))?;
    Ok(conn)
}

#[derive(diesel::QueryableByName)]
struct IntegrityLine {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

/// A copy is usable when SQLite finds it whole and it has no migration this version does not know.
pub fn check_copy(path: &Path) -> Result<CopyFacts> {
    let bad = |why: String| BackupError::BadCopy(path.to_path_buf(), why);
    let bytes = std::fs::metadata(path).map_err(|e| bad(e.to_string()))?.len();
    let conn = diesel::SqliteConnection::establish(&format!("file:{}?mode=ro", path.display()))
        .map_err(|e| bad(e.to_string()))?;
    let mut conn = DbConnection::Sqlite(conn);
    let lines: Vec<IntegrityLine> = match &mut conn {
        DbConnection::Sqlite(c) => diesel::sql_query("PRAGMA integrity_check").load(c),
        DbConnection::Postgresql(_) => Ok(Vec::new()),
    }
    .map_err(|e| bad(format!("not a SQLite database ({e})")))?;
    let report: Vec<String> = lines.into_iter().map(|l| l.integrity_check).collect();
    if report != ["ok"] {
        return Err(bad(format!("integrity check: {}", report.join("; "))));
    }
    let applied = migrations::applied(&mut conn).map_err(|e| bad(format!("not a shop database ({e})")))?;
    let unknown = migrations::unknown(&applied);
    if !unknown.is_empty() {
        return Err(bad(format!("made by a newer version of the shop (migrations {})", unknown.join(", "))));
    }
    Ok(CopyFacts { bytes, migrations: applied.len() })
}

/// Where a restore put the files it replaced.
#[derive(Debug)]
pub struct Restored {
    pub facts: CopyFacts,
    pub kept: Option<PathBuf>,
}

/// Replaces the database at `url` with the copy `from`, unless anything has the database open.
/// The replaced database (with its log) is kept as `<file>.before-restore-<time>`.
pub fn restore(url: &str, from: &Path) -> Result<Restored> {
    let target = sqlite_file(url)?;
    let facts = check_copy(from)?;
    let folder = folder_of(target);
    std::fs::create_dir_all(folder).map_err(io("cannot create", folder))?;
    let _alone = ShopLock::alone(target)?;
    let incoming = with_suffix(target, ".restoring");
    let _ = std::fs::remove_file(&incoming);
    {
        let mut out = private_file(&incoming, true).map_err(io("cannot create", &incoming))?;
        let mut copy = File::open(from).map_err(io("cannot read", from))?;
        std::io::copy(&mut copy, &mut out).map_err(io("cannot write", &incoming))?;
        out.sync_all().map_err(io("cannot sync", &incoming))?;
    }
    let kept = if target.exists() {
        let kept = with_suffix(target, &format!(".before-restore-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S")));
        for suffix in ["", "-wal", "-shm"] {
            let file = with_suffix(target, suffix);
            if file.exists() {
                let to = with_suffix(&kept, suffix);
                std::fs::rename(&file, &to).map_err(io("cannot move aside", &file))?;
            }
        }
        Some(kept)
    } else {
        None
    };
    std::fs::rename(&incoming, target).map_err(io("cannot put in place", target))?;
    sync_folder(folder);
    Ok(Restored { facts, kept })
}

/// Makes a rename in `folder` durable (best effort: not every platform can open a folder).
fn sync_folder(folder: &Path) {
    if let Ok(dir) = File::open(folder) {
        let _ = dir.sync_all();
    }
}
