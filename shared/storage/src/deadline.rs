//! When a long walk must stop: prune's and purge's runs check a
//! [`StopSignal`] before each Query, delete and backoff wait, and stop at the
//! Lambda deadline minus a safety margin ([`Deadline`]), reporting what they
//! left for the next run.

use std::time::Instant;

/// Decides when a run must stop (the Lambda deadline minus a safety margin, in
/// production). Checked before each partition, each retry and each delete.
pub trait StopSignal: Sync {
    fn should_stop(&self) -> bool;
}

/// Stops when less than `margin` is left before `deadline`.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub deadline: Instant,
    pub margin: std::time::Duration,
}

impl StopSignal for Deadline {
    fn should_stop(&self) -> bool {
        Instant::now() + self.margin >= self.deadline
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_stops_within_the_margin() {
        let margin = std::time::Duration::from_secs(5);
        let near = Deadline {
            deadline: Instant::now() + std::time::Duration::from_secs(3),
            margin,
        };
        assert!(near.should_stop());
        let far = Deadline {
            deadline: Instant::now() + std::time::Duration::from_secs(60),
            margin,
        };
        assert!(!far.should_stop());
    }
}
