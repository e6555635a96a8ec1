//! The one integration-test binary. Every test that touches storage runs
//! against DynamoDB Local (started by `scripts/test`), on a table of its own
//! created from `infra/template.yaml` and dropped even when the test fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod csp;
mod erasure;
mod erasure_keys;
mod erasure_scale;
mod faults;
mod logs;
mod php;
mod prune;
mod purge;
mod races;
mod record_e2e;
mod redrive;
mod rollups;
mod storage;
mod summary;
mod template;
mod widget;
