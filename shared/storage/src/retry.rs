//! Bounded retries with exponential backoff and full jitter, for the calls
//! retried on top of the SDK's own attempts: one loop ([`RetryPolicy::run`])
//! that every retrying caller shares (the walks, the batches, a late row's
//! transaction, the bulk loader).

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

    /// The one retry loop every caller shares: `call` (given the state the
    /// last attempt left, and its attempt, from 1) until it is
    /// [`Try::Done`] or [`Try::Fail`], or the attempts run out, with a
    /// jittered backoff before each new attempt. Once `stop` says to stop,
    /// no backoff starts and no call follows one. The first call is always
    /// made: a caller that must not start checks first. Returns the state
    /// the last attempt left (what is still pending, say) with the outcome.
    pub(crate) async fn run<S, T, E, F, Fut>(
        &self,
        stop: impl Fn() -> bool,
        mut state: S,
        mut call: F,
    ) -> (S, Result<T, GaveUp<E>>)
    where
        F: FnMut(S, u32) -> Fut,
        Fut: std::future::Future<Output = (S, Try<T, E>)>,
    {
        let mut attempt = 1;
        loop {
            let (left, tried) = call(state, attempt).await;
            state = left;
            let error = match tried {
                Try::Done(value) => return (state, Ok(value)),
                Try::Fail(error) => error,
                Try::Again(error) if attempt < self.max_attempts && !stop() => {
                    tracing::debug!(attempt, "a call failed or left work; backing off");
                    tokio::time::sleep(self.delay(attempt)).await;
                    if !stop() {
                        attempt += 1;
                        continue;
                    }
                    error
                }
                Try::Again(error) => error,
            };
            let gave_up = GaveUp {
                error,
                attempts: attempt,
                stopped: stop(),
            };
            return (state, Err(gave_up));
        }
    }
}

impl RetryPolicy {
    /// [`RetryPolicy::run`] for a call that keeps no state between attempts.
    pub(crate) async fn retry<T, E, Fut>(
        &self,
        stop: impl Fn() -> bool,
        call: impl Fn() -> Fut,
    ) -> Result<T, GaveUp<E>>
    where
        Fut: std::future::Future<Output = Try<T, E>>,
    {
        let (_, result) = self
            .run(stop, (), |(), _| {
                let tried = call();
                async move { ((), tried.await) }
            })
            .await;
        result
    }
}

/// What one attempt of a retried call came to.
pub(crate) enum Try<T, E> {
    /// The value: no more attempts.
    Done(T),
    /// Worth another attempt (a transient error, or work left), after a backoff.
    Again(E),
    /// Not worth another.
    Fail(E),
}

/// Why a retried call ended without its value: the last attempt's error,
/// how many attempts were made, and whether the stop signal had fired.
#[derive(Debug)]
pub(crate) struct GaveUp<E> {
    pub(crate) error: E,
    pub(crate) attempts: u32,
    pub(crate) stopped: bool,
}

impl crate::Ledger {
    /// `call` with the ledger's retries, never past the stop signal: any
    /// error is worth another attempt.
    pub(crate) async fn with_retries<T, F, Fut>(
        &self,
        stop: &impl crate::StopSignal,
        call: F,
    ) -> Result<T, crate::StorageError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, crate::StorageError>>,
    {
        self.retry
            .retry(
                || stop.should_stop(),
                || async { call().await.map_or_else(Try::Again, Try::Done) },
            )
            .await
            .map_err(|gave_up| gave_up.error)
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
