//! The worker that sends the outbox: it claims due e-mails, sends them outside any transaction,
//! and records each result. Several instances may run on one database.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

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
const BATCH: i64 = 5;
const LEASE: Duration = Duration::from_secs(300);
const _: () = assert!(SEND_TIMEOUT.as_secs() * BATCH as u64 * 2 < LEASE.as_secs());
// A live worker records a result at least once per send: it never looks dead.
const _: () = assert!(SEND_TIMEOUT.as_secs() * 2 < service::WORKER_ALIVE.as_secs());

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

/// Claims a batch and sends it; repeats while there is more due. An e-mail sent whose success
/// cannot be recorded (the database gone at that moment) is sent again after its claim runs out:
/// at least once, never lost.
async fn round(db: &Db, config: &Arc<Config>, mailer: &Mailer, worker: &str, host: &str) -> Result<usize, DbError> {
    let mut sent_now = 0;
    while db.read(|c| service::any_due(c, crate::db::now())).await? {
        let me = worker.to_owned();
        let batch = db.write(move |c| service::claim(c, &me, crate::db::now(), LEASE, BATCH)).await?;
        if batch.is_empty() {
            // Due, but claimed by another worker whose claim still runs.
            return Ok(sent_now);
        }
        for mail in batch {
            let (m, from, h) = (mailer.clone(), config.mail_from.clone(), host.to_owned());
            let (sent, mail) = tokio::task::spawn_blocking(move || (m.send(&from, &h, &mail), mail))
                .await
                .map_err(|_| DbError::Cancelled)?;
            let (me, retry, id) = (worker.to_owned(), config.mail_retry, mail.id.clone());
            match sent {
                Ok(()) => {
                    db.write(move |c| service::sent(c, &id, &me, crate::db::now())).await?;
                    sent_now += 1;
                }
                Err(error) => {
                    tracing::warn!(mail = %mail.id, error = %error, "an e-mail could not be sent; it will be retried");
                    db.write(move |c| service::failed(c, &mail, &me, &error, retry, crate::db::now())).await?
                }
            }
        }
    }
    Ok(sent_now)
}
