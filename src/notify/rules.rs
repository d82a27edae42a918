//! Where an e-mail stands, and when to try again.

use std::time::Duration;

crate::db::text_enum! {
    /// Where an e-mail in the outbox stands.
    pub enum MailState {
        Pending = "pending",
        Sent = "sent",
        /// Given up after `MAX_ATTEMPTS`; an admin can send it again.
        Failed = "failed",
    }
}

/// After this many failed attempts an e-mail is given up (an admin can send it again).
pub const MAX_ATTEMPTS: i32 = 8;

/// The wait after the `attempts`-th failure: `base`, doubling each time, at most six hours.
pub fn backoff(base: Duration, attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(0);
    base.saturating_mul(2u32.saturating_pow(doublings)).min(Duration::from_secs(6 * 3600))
}

/// Whether the e-mail is given up after this many failed attempts.
pub fn gives_up(attempts: i32) -> bool {
    attempts >= MAX_ATTEMPTS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_six_hours() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(base, 1), Duration::from_secs(30));
        assert_eq!(backoff(base, 2), Duration::from_secs(60));
        assert_eq!(backoff(base, 4), Duration::from_secs(240));
        assert_eq!(backoff(base, 40), Duration::from_secs(6 * 3600));
        assert!(!gives_up(MAX_ATTEMPTS - 1));
        assert!(gives_up(MAX_ATTEMPTS));
    }
}
