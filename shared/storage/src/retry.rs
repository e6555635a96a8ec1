//! Bounded retries with exponential backoff and full jitter, for the calls
//! the walk and the bulk loader retry on top of the SDK's own attempts.

use std::time::Duration;

/// How hard to retry one call (a batch, a partition Query, a delete).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Calls in all, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// Full jitter: a uniform delay in `[0, min(max, base * 2^attempt)]`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(2_u32.saturating_pow(attempt))
            .min(self.max_delay);
        ceiling.mul_f64(fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Full jitter: every delay is inside `[0, ceiling]`, and the delays reach
    /// well into the upper half of it, so a zero or constant backoff fails.
    #[test]
    fn delays_grow_exponentially_up_to_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        for (attempt, ceiling) in [
            (1, Duration::from_millis(200)),
            (3, Duration::from_millis(800)),
            (9, Duration::from_secs(1)),
        ] {
            let delays: Vec<Duration> = (0..400).map(|_| policy.delay(attempt)).collect();
            assert!(delays.iter().all(|d| *d <= ceiling), "attempt {attempt}");
            let longest = delays.iter().max().copied().unwrap_or_default();
            assert!(
                longest > ceiling.mul_f64(0.75),
                "attempt {attempt}: longest {longest:?} of 400 never reached 3/4 of {ceiling:?}"
            );
            let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
            assert!(distinct.len() > 100, "attempt {attempt}: jittered");
        }
    }
}
