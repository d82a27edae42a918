//! The outbox and its worker against a real SMTP conversation on loopback: delivery, retries
//! after a refusal, the admin's view, and two instances sharing one database.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use shop::notify::{self, MailState, NewMail};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::helpers::*;

/// A small SMTP server: it accepts every message, or refuses every sender while `refuse` is set.
#[derive(Clone)]
struct SmtpServer {
    url: String,
    received: Arc<Mutex<Vec<String>>>,
    refuse: Arc<AtomicBool>,
}

impl SmtpServer {
    async fn start(refuse: bool) -> SmtpServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("smtp://{}", listener.local_addr().expect("addr"));
        let server = SmtpServer { url, received: Arc::default(), refuse: Arc::new(AtomicBool::new(refuse)) };
        let s = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(s.clone().converse(stream));
            }
        });
        server
    }

    async fn converse(self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 test.invalid ESMTP\r\n").await?;
        while let Some(line) = lines.next_line().await? {
            let command = line.to_ascii_uppercase();
            let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
                b"250-test.invalid\r\n250 8BITMIME\r\n"
            } else if command.starts_with("MAIL FROM") {
                if self.refuse.load(Ordering::SeqCst) { b"550 5.7.1 Sender refused\r\n" } else { b"250 OK\r\n" }
            } else if command.starts_with("RCPT TO") || command.starts_with("RSET") || command.starts_with("NOOP") {
                b"250 OK\r\n"
            } else if command.starts_with("DATA") {
                write.write_all(b"354 Go ahead\r\n").await?;
                let mut message = String::new();
                while let Some(data) = lines.next_line().await? {
                    if data == "." {
                        break;
                    }
                    message.push_str(&data);
                    message.push('\n');
                }
                self.received.lock().expect("lock").push(message);
                b"250 Queued\r\n"
            } else if command.starts_with("QUIT") {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            } else {
                b"500 Unknown command\r\n"
            };
            write.write_all(reply).await?;
        }
        Ok(())
    }

    fn messages(&self) -> Vec<String> {
        self.received.lock().expect("lock").clone()
    }
}

fn mails(n: usize, tag: &str) -> Vec<NewMail> {
    (0..n)
        .map(|i| NewMail {
            to: format!("person{i}@example.com"),
            subject: format!("{tag} {i}"),
            body: format!("Hello number {i}."),
            topic: tag.into(),
        })
        .collect()
}

fn enqueue(app: &TestApp, mails: Vec<NewMail>) {
    app.db.write_blocking(|c| notify::enqueue(c, &mails, shop::db::now())).expect("enqueue");
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn the_worker_sends_the_outbox_by_smtp() {
    let server = SmtpServer::start(false).await;
    let url = server.url.clone();
    let app = spawn_app_with(|s| s.smtp_url = Some(url)).await;
    enqueue(&app, mails(3, "Greeting"));
    wait_for("three e-mails", || server.messages().len() == 3).await;
    wait_for("the outbox to record them", || app.outbox().iter().all(|m| m.state == MailState::Sent)).await;
    // Sent mail is forgotten after the keeping time (it holds addresses and names), not before.
    let keep = Duration::from_secs(30 * 86_400);
    let forget = |at| app.db.write_blocking(|c| notify::forget_sent(c, keep, at)).expect("forget");
    assert_eq!(forget(shop::db::now() + chrono::Duration::days(29)), 0);
    assert_eq!(forget(shop::db::now() + chrono::Duration::days(31)), 3);
    assert!(app.outbox().is_empty());
    let all = server.messages().join("\n");
    for i in 0..3 {
        assert!(all.contains(&format!("Subject: Greeting {i}")), "{all}");
        assert!(all.contains(&format!("To: person{i}@example.com")), "{all}");
    }
    assert!(all.contains("From: \"Test Shop\" <shop@shop.test>"), "{all}");
}

#[tokio::test]
async fn a_refused_email_is_retried_with_backoff_and_shown_to_the_admin() {
    let server = SmtpServer::start(true).await;
    let url = server.url.clone();
    let app = spawn_app_with(|s| s.smtp_url = Some(url)).await;
    enqueue(&app, mails(1, "Refused"));
    wait_for("two failed attempts", || app.outbox()[0].attempts >= 2).await;
    let mail = app.outbox().remove(0);
    assert_eq!(mail.state, MailState::Pending, "still to be retried");
    assert!(mail.last_error.as_deref().unwrap_or_default().contains("Sender refused"), "{:?}", mail.last_error);
    assert!(mail.next_attempt_at > shop::db::now(), "the next attempt waits");

    let admin = app.logged_in(&app.admin().await).await;
    let page = admin.get("/admin/outbox").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("Refused 0") && page.contains("Sender refused") && page.contains("retrying after"));
    assert_eq!(admin.get("/admin/outbox?state=bogus").await.status, StatusCode::BAD_REQUEST);

    // The server takes mail again; the admin need not wait for the next attempt.
    server.refuse.store(false, Ordering::SeqCst);
    let detail = format!("/admin/outbox/{}", mail.id);
    let retried = admin.submit(&detail, &format!("{detail}/retry"), &[]).await;
    assert_eq!(retried.status, StatusCode::OK);
    wait_for("the e-mail to go out", || server.messages().len() == 1).await;
    wait_for("the outbox to record it", || app.outbox()[0].state == MailState::Sent).await;
}

#[tokio::test]
async fn two_instances_on_one_database_never_send_an_email_twice() {
    let server = SmtpServer::start(false).await;
    let url = server.url.clone();
    let first = spawn_app_with(|s| s.smtp_url = Some(url.clone())).await;
    let second = first.another_instance(|s| s.smtp_url = Some(url)).await;
    for round in 0..4 {
        enqueue(if round % 2 == 0 { &first } else { &second }, mails(15, &format!("Round {round}")));
    }
    wait_for("sixty e-mails", || server.messages().len() >= 60).await;
    let sent = || {
        let (_, counts) =
            first.db.read_blocking(|c| notify::outbox(c, None, shop::web::pager::Pager::first(1))).expect("outbox");
        counts.into_iter().find(|(state, _)| *state == MailState::Sent).map_or(0, |(_, n)| n)
    };
    wait_for("the outbox to record them", || sent() == 60).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let messages = server.messages();
    let mut ids: Vec<&str> = messages.iter().filter_map(|m| m.lines().find(|l| l.starts_with("Message-ID:"))).collect();
    ids.sort();
    ids.dedup();
    assert_eq!((messages.len(), ids.len()), (60, 60), "every e-mail exactly once");
}

/// The data folder holds the database and the outbox's e-mails (names, addresses): only the
/// shop's own user may read them.
#[cfg(unix)]
#[tokio::test]
async fn the_data_folder_and_its_files_are_the_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app_with(|s| s.data_dir = s.data_dir.join("a data folder")).await;
    let mail =
        NewMail { to: "ada@example.com".into(), subject: "Hello".into(), body: "Ada".into(), topic: "test".into() };
    enqueue(&app, vec![mail]);
    let outbox = app.config.data_dir.join("outbox");
    let written = || std::fs::read_dir(&outbox).map(|d| d.flatten().count() > 0).unwrap_or(false);
    wait_for("the e-mail written to the outbox folder", written).await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).expect("exists").permissions().mode() & 0o777;
    assert_eq!(mode(&app.config.data_dir), 0o700, "the data folder");
    assert_eq!(mode(&outbox), 0o700, "the outbox folder");
    for file in std::fs::read_dir(&outbox).expect("outbox").flatten() {
        assert_eq!(mode(&file.path()), 0o600, "{}", file.path().display());
    }
    if postgres_url().is_none() {
        let db = std::path::PathBuf::from(&app.config.database_url);
        for file in [db.clone(), db.with_extension("sqlite3-wal")] {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }
}

/// After a crash, the e-mails the dead process had claimed go out as soon as it has not been seen
/// for a minute, not when its five-minute claim runs out; each keeps its one Message-ID.
#[tokio::test]
async fn a_dead_workers_claims_are_taken_over_within_a_minute() {
    let app = spawn_app().await;
    let mail =
        NewMail { to: "ada@example.com".into(), subject: "Hello".into(), body: "Ada".into(), topic: "test".into() };
    // A worker of a process that died 90 s ago, claiming just before it died: its lease still runs
    // for three and a half minutes.
    let died = shop::db::now() - chrono::Duration::seconds(90);
    let claimed = app
        .db
        .write_blocking(|c| {
            notify::enqueue(c, &[mail], died)?;
            notify::claim(c, "worker-dead", died, Duration::from_secs(300), 5)
        })
        .expect("claimed by the dead worker");
    assert_eq!(claimed.len(), 1);
    let id = claimed[0].id.clone();
    wait_for("the live worker to send it", || app.outbox().iter().all(|m| m.state == MailState::Sent)).await;
    let eml = std::fs::read_to_string(app.config.data_dir.join("outbox").join(format!("{id}.eml"))).expect("sent");
    assert!(eml.contains(&format!("Message-ID: <{id}@")), "a stable Message-ID: {eml}");

    // A worker seen a moment ago keeps its claim.
    let mail = NewMail { to: "bob@example.com".into(), subject: "Hi".into(), body: "Bob".into(), topic: "test".into() };
    let now = shop::db::now();
    app.db
        .write_blocking(|c| {
            notify::enqueue(c, &[mail], now)?;
            notify::claim(c, "worker-alive", now, Duration::from_secs(300), 5)
        })
        .expect("claimed by a live worker");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(app.outbox().iter().any(|m| m.state == MailState::Pending), "not taken from a live worker");
}
