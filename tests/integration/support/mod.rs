//! Test harness: DynamoDB Local discovery, per-test tables, the local secret
//! store and `cargo lambda watch`.

pub mod doc_tables;
pub mod fault_proxy;
pub mod fixtures;
pub mod secrets;
pub mod served;
pub mod table;
pub mod watch;

pub use table::{TestTable, dynamodb_endpoint};

/// Stops once a walk has asked `checks` times: a deadline, deterministically.
/// Prune's and purge's walks ask before each partition or page, each retry
/// and each delete.
pub struct StopAfter(std::sync::atomic::AtomicUsize);

impl StopAfter {
    pub fn new(checks: usize) -> Self {
        Self(std::sync::atomic::AtomicUsize::new(checks))
    }
}

impl storage::StopSignal for StopAfter {
    fn should_stop(&self) -> bool {
        use std::sync::atomic::Ordering;
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_err()
    }
}
pub use watch::Watcher;
