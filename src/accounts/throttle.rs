//! Login throttling: a burst of attempts for one e-mail address, or from one client address, is
//! allowed; after that attempts are refused until the quota refills. Keyed by the e-mail as typed
//! (normalised), so an unknown address is throttled exactly like a known one.
//!
//! The counters live in this process: with several instances each keeps its own, so the limit an
//! attacker meets is multiplied by the number of instances.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct LoginThrottle {
    per_account: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

fn quota(burst: u32, refill_every: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(refill_every).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN)).allow_burst(burst)
}

impl LoginThrottle {
    pub fn new(account_burst: u32, address_burst: u32) -> Self {
        Self {
            per_account: RateLimiter::keyed(quota(account_burst, Duration::from_secs(30))),
            per_address: RateLimiter::keyed(quota(address_burst, Duration::from_secs(2))),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one attempt; Err says how long to wait before the next one is allowed.
    pub fn attempt(&self, email: &str, address: Option<IpAddr>) -> Result<(), Duration> {
        if let Some(address) = address {
            self.per_address.check_key(&address).map_err(|n| n.wait_time_from(self.clock.now()))?;
        }
        self.per_account.check_key(&email.to_owned()).map_err(|n| n.wait_time_from(self.clock.now()))
    }

    /// Forgets keys whose quota has refilled, so memory does not grow with every address seen.
    pub fn forget_idle(&self) {
        self.per_account.retain_recent();
        self.per_address.retain_recent();
        self.per_account.shrink_to_fit();
        self.per_address.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_the_burst_per_account_and_per_address() {
        let t = LoginThrottle::new(3, 100);
        let ip: IpAddr = "192.0.2.1".parse().expect("ip");
        for _ in 0..3 {
            assert!(t.attempt("a@example.com", Some(ip)).is_ok());
        }
        let wait = t.attempt("a@example.com", Some(ip)).expect_err("throttled");
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(30));
        assert!(t.attempt("b@example.com", Some(ip)).is_ok(), "other accounts are not affected");

        let t = LoginThrottle::new(100, 2);
        assert!(t.attempt("a@example.com", Some(ip)).is_ok());
        assert!(t.attempt("b@example.com", Some(ip)).is_ok());
        assert!(t.attempt("c@example.com", Some(ip)).is_err(), "one address trying many accounts");
    }
}
