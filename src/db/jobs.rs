//! Periodic jobs: each module declares its own (a name, how often, the work), and one runner,
//! started by `lib.rs`, runs them on the app's runtime, logs what they did and their failures
//! once, and stops them when the server stops. Every instance runs them; the work itself must be
//! safe to run on several instances at once (claims with `FOR UPDATE SKIP LOCKED`, conditional
//! updates).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{Db, DbConnection, DbError};

/// What one run of a job does: how many things it handled, or why it failed.
pub type JobRun = Pin<Box<dyn Future<Output = anyhow::Result<usize>> + Send>>;

type Work = Arc<dyn Fn(Db) -> JobRun + Send + Sync>;

/// A periodic job.
#[derive(Clone)]
pub struct Job {
    /// What the job does, for the log: "release expired holds".
    pub name: &'static str,
    pub every: Duration,
    work: Work,
}

impl Job {
    /// A job whose work is `work`, given the database.
    pub fn new(name: &'static str, every: Duration, work: impl Fn(Db) -> JobRun + Send + Sync + 'static) -> Job {
        Job { name, every, work: Arc::new(work) }
    }

    /// A job that runs `work` in one write transaction each time and reports how many rows it
    /// handled.
    pub fn write<E>(
        name: &'static str,
        every: Duration,
        work: impl Fn(&mut DbConnection) -> Result<usize, E> + Clone + Send + Sync + 'static,
    ) -> Job
    where
        E: From<DbError> + Into<anyhow::Error> + Send + 'static,
    {
        Job::new(name, every, move |db: Db| {
            let work = work.clone();
            Box::pin(async move { db.write(work).await.map_err(Into::into) })
        })
    }
}

/// The running jobs of one app instance.
pub struct Jobs {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Jobs {
    /// Starts every job on the current runtime; each runs at once and then every `every`.
    pub fn start(db: Db, jobs: Vec<Job>) -> Jobs {
        let (stop, stopped) = watch::channel(false);
        let tasks = jobs.into_iter().map(|job| tokio::spawn(run(db.clone(), job, stopped.clone()))).collect();
        Jobs { stop, tasks }
    }

    /// Stops the jobs: a run under way finishes first.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

async fn run(db: Db, job: Job, mut stopped: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(job.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing: Option<String> = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopped.changed() => return,
        }
        match (job.work)(db.clone()).await {
            Ok(count) => {
                if count > 0 {
                    tracing::info!(job = job.name, count, "job done");
                }
                if failing.take().is_some() {
                    tracing::info!(job = job.name, "job works again");
                }
            }
            // A failure is logged once, not on every round while it lasts.
            Err(e) => {
                let error = format!("{e:#}");
                if failing.as_deref() != Some(error.as_str()) {
                    tracing::warn!(job = job.name, error = %error, "job failed; it runs again on schedule");
                    failing = Some(error);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::db::{DbSettings, SqliteSetup};

    #[tokio::test]
    async fn jobs_run_on_schedule_go_on_after_a_failure_and_stop_with_the_app() {
        let dir = std::env::temp_dir().join(format!("shop-jobs-{}", hex::encode(rand::random::<[u8; 6]>())));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let settings = DbSettings {
            url: dir.join("jobs.sqlite3").to_string_lossy().into_owned(),
            pool_size: 1,
            sqlite: SqliteSetup { busy_timeout_ms: 1000, synchronous: "NORMAL".into() },
            min_free_mb: 0,
        };
        let db = Db::connect(&settings).expect("database");
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        let flaky = Job::new("count, failing every other time", Duration::from_millis(10), move |_db: Db| {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move { if n.is_multiple_of(2) { Err(anyhow::anyhow!("odd failure")) } else { Ok(n) } })
        });
        let jobs = Jobs::start(db, vec![flaky]);
        tokio::time::sleep(Duration::from_millis(120)).await;
        jobs.stop().await;
        let stopped_at = runs.load(Ordering::SeqCst);
        assert!(stopped_at >= 4, "it ran on schedule and went on after failing: {stopped_at} runs");
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(runs.load(Ordering::SeqCst), stopped_at, "no run after the stop");
        let _ = std::fs::remove_dir_all(dir);
    }
}
