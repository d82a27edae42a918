//! The browser suite (tests/browser: Playwright driving Debian's Chromium, with axe-core) against
//! the real `shop` binary with its demo data. It needs Chromium and npm, which plain `cargo test`
//! must not: it runs only when SHOP_BROWSER_SUITE=1 (as `.ci/run` sets it) and says so otherwise.

use std::process::Command;
use std::time::Duration;

use crate::helpers::*;

#[test]
fn journeys_in_a_real_browser_at_phone_and_desktop_widths() {
    if std::env::var("SHOP_BROWSER_SUITE").ok().as_deref() != Some("1") {
        eprintln!(
            "SKIPPED the browser suite: it needs Chromium and npm. Run it with \
             SHOP_BROWSER_SUITE=1 cargo test --test it browser (as .ci/run does)."
        );
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, _guard) = fresh_database(dir.path());
    let (mut child, rx) = crate::cli::spawn_serve(dir.path(), &url);
    let base = loop {
        let line = rx.recv_timeout(Duration::from_secs(120)).expect("the shop prints its address");
        if let Some(url) = line.strip_prefix("The shop is running at ") {
            break url.trim_end_matches('/').to_owned();
        }
    };
    // The demo logins are written just after the address is printed.
    let logins = dir.path().join("demo-logins.txt");
    for _ in 0..300 {
        if logins.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(logins.exists(), "the first start wrote the demo logins");
    let suite = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let status = Command::new("npm")
        .arg("test")
        .current_dir(&suite)
        .env("SHOP_URL", &base)
        .env("SHOP_DATA_DIR", dir.path())
        .status()
        .expect("npm test (is Node.js installed?)");
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    assert!(status.success(), "the browser suite failed: {status}");
}
