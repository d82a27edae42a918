//! The worker that sends the outbox: it claims due e-mails, sends them outside any transaction,
//! and records each result. Several instances may run on one database.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lettre::message::{Mailbox, header::ContentType};
use lettre::{Message, SmtpTransport, Transport};

use super::model::Mail;
use super::service;
use crate::config::Config;
use crate::db::jobs::Job;
use crate::db::{Db, DbError};

/// How long a claim lasts: longer than a whole batch can take (each send gives up after
/// `SEND_TIMEOUT`), so no other worker takes an e-mail still being sent. A crashed worker's
/// claims are free sooner, once it has not been seen for `service::WORKER_ALIVE`.
const SEND_TIMEOUT: Duration = Duration::from_secs(20);
const BATCH: i64 = 20;
const LEASE: Duration = Duration::from_secs(900);
const _: () = assert!(SEND_TIMEOUT.as_secs() * BATCH as u64 * 2 < LEASE.as_secs());
/// Results are recorded at the end of a batch, or sooner once this long has passed since the last
/// time: a live worker records (and is seen) at least every `RECORD_EVERY` + one send, so it
/// never looks dead.
const RECORD_EVERY: Duration = Duration::from_secs(10);
const _: () = assert!((RECORD_EVERY.as_secs() + SEND_TIMEOUT.as_secs()) * 2 <= service::WORKER_ALIVE.as_secs());

/// Where e-mails go.
#[derive(Clone)]
pub enum Mailer {
    Smtp(SmtpTransport),
    /// `.eml` files, one per e-mail, named by its ID.
    Folder(PathBuf),
}

impl Mailer {
    pub fn from_config(config: &Config) -> anyhow::Result<Mailer> {
        Ok(match &config.smtp_url {
            Some(url) => Mailer::Smtp(
                SmtpTransport::from_url(url)
                    .map_err(|e| anyhow::anyhow!("SMTP_URL is not usable: {e}"))?
                    .timeout(Some(SEND_TIMEOUT))
                    .build(),
            ),
            None => Mailer::Folder(config.data_dir.join("outbox")),
        })
    }

    /// Sends one e-mail; the error is what the admin page shows.
    pub fn send(&self, from: &Mailbox, host: &str, mail: &Mail) -> Result<(), String> {
        let to: Mailbox = mail.recipient.parse().map_err(|e| format!("bad recipient address: {e}"))?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(format!("<{}@{host}>", mail.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| format!("cannot build the message: {e}"))?;
        match self {
            Mailer::Smtp(transport) => transport.send(&message).map(|_| ()).map_err(|e| e.to_string()),
            Mailer::Folder(dir) => write_eml(dir, &mail.id.to_string(), &message.formatted()),
        }
    }
}

/// Writes the file under a temporary name first, so a reader never sees half an e-mail.
fn write_eml(dir: &std::path::Path, name: &str, bytes: &[u8]) -> Result<(), String> {
    crate::config::private_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let tmp = dir.join(format!(".{name}.tmp"));
    // Only the owner may read an e-mail: it holds names and addresses.
    crate::config::create_private_file(&tmp)
        .and_then(|mut file| std::io::Write::write_all(&mut file, bytes))
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, dir.join(format!("{name}.eml"))).map_err(|e| format!("cannot write the e-mail: {e}"))
}

/// The outbox's periodic work: sending what is due (every `SHOP_MAIL_POLL_MILLIS`), and deleting
/// e-mails sent longer than `SHOP_MAIL_KEEP_DAYS` ago (their addresses and bodies are personal data).
pub fn jobs(config: Arc<Config>) -> anyhow::Result<Vec<Job>> {
    let mailer = Mailer::from_config(&config)?;
    let worker = format!("worker-{}", hex::encode(rand::random::<[u8; 8]>()));
    let host = config.public_url.host_str().unwrap_or("localhost").to_owned();
    let (poll, keep) = (config.mail_poll, config.mail_keep);
    let send = Job::new("send e-mails", poll, move |db: Db| {
        let (config, mailer, worker, host) = (config.clone(), mailer.clone(), worker.clone(), host.clone());
        Box::pin(async move { Ok(round(&db, &config, &mailer, &worker, &host).await?) })
    });
    let forget = Job::write("forget e-mails sent long ago", Duration::from_secs(300), move |c| {
        service::forget_sent(c, keep, crate::db::now())
    });
    Ok(vec![send, forget])
}

/// Claims a batch and sends it; repeats while there is more due. What became of a batch is
/// recorded with the claim of the next one, in one write (sooner while slow sends take their time).
/// An e-mail sent whose success cannot be recorded (the database gone at that moment, or the
/// process stopped first) is sent again after its claim runs out: at least once, never lost.
async fn round(db: &Db, config: &Arc<Config>, mailer: &Mailer, worker: &str, host: &str) -> Result<usize, DbError> {
    let mut sent_now = 0;
    let mut done: Vec<service::Sending> = Vec::new();
    loop {
        if done.is_empty() && !db.read(|c| service::any_due(c, crate::db::now())).await? {
            return Ok(sent_now);
        }
        sent_now += done.iter().filter(|(_, sent)| sent.is_ok()).count();
        let (me, retry) = (worker.to_owned(), config.mail_retry);
        let batch =
            db.write(move |c| service::record_and_claim(c, &me, &done, retry, crate::db::now(), LEASE, BATCH)).await?;
        // Due, but claimed by another worker whose claim still runs, or nothing more.
        if batch.is_empty() {
            return Ok(sent_now);
        }
        done = Vec::with_capacity(batch.len());
        let mut recorded = Instant::now();
        for mail in batch {
            let (m, from, h) = (mailer.clone(), config.mail_from.clone(), host.to_owned());
            let sending = tokio::task::spawn_blocking(move || {
                let sent = m.send(&from, &h, &mail);
                (mail, sent)
            })
            .await
            .map_err(|_| DbError::Cancelled)?;
            if let Err(error) = &sending.1 {
                tracing::warn!(mail = %sending.0.id, error = %error, "an e-mail could not be sent; it will be retried");
            }
            done.push(sending);
            if recorded.elapsed() >= RECORD_EVERY {
                sent_now += done.iter().filter(|(_, sent)| sent.is_ok()).count();
                let (me, results) = (worker.to_owned(), std::mem::take(&mut done));
                db.write(move |c| service::record(c, &me, &results, retry, crate::db::now())).await?;
                recorded = Instant::now();
            }
        }
    }
}
