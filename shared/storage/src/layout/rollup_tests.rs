//! The roll-up and version items' mapping.
use super::*;
use domain::IndexedMilestone;

fn one_row_rollup() -> Rollup {
    let day = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
    let mut rollup = Rollup::of_day(day);
    let occurred = domain::testing::at("2026-11-27T08:09:10Z");
    let indexed = IndexedMilestone {
        event: domain::EventName::parse(domain::testing::REPORT_CREATED).expect("event"),
        tenant_id: domain::TenantId::parse("t-1").expect("id"),
        workspace_id: domain::WorkspaceId::parse("w-1").expect("id"),
        occurred_at: domain::OccurredAt::from_instant(occurred),
        expires_at: (occurred + chrono::TimeDelta::days(90)).timestamp(),
    };
    let built_at = domain::testing::at("2026-11-28T01:00:00Z");
    assert!(rollup.add(&indexed, built_at));
    rollup.built_at = Some(built_at);
    rollup
}

fn version(shards: &[(&str, u64)]) -> DayVersion {
    DayVersion {
        shards: shards.iter().map(|(s, v)| ((*s).to_owned(), *v)).collect(),
        bumped_at: None,
    }
}

#[test]
fn rollup_items_round_trip() {
    let rollup = one_row_rollup();
    let day = rollup.day();
    let built_from = version(&[("00", 2), ("03", 5)]);
    let head = rollup_head_item(&rollup, &built_from, (42, 1), Retention::default());
    let Some(AttributeValue::M(stored)) = head.get(rollup_attr::VERSIONS) else {
        panic!("versions are a map")
    };
    assert!(
        stored.keys().all(|key| !key.is_empty()),
        "DynamoDB refuses an empty map key: {stored:?}"
    );
    let back = rollup_head_from_item(domain::rollup::Span::Day(day), &head).expect("head");
    assert_eq!(
        (&back.versions, back.chunk_set, back.chunks),
        (&built_from.shards, 42, 1)
    );
    assert_eq!(back.rollup.built_at, rollup.built_at);
    assert_eq!(built_from.late_rows(), 7);
    assert_eq!(back.rollup.counts, rollup.counts);
    assert_eq!(back.rollup.latest, rollup.latest);
    assert_eq!(back.rollup.valid_until, rollup.valid_until);
    let digests: Vec<WorkspaceDigest> = rollup.workspaces.iter().copied().collect();
    let chunk = rollup_chunk_item(&rollup, back.chunk_set, 0, &digests, Retention::default());
    assert_eq!(rollup_chunk_digests(&chunk).expect("chunk"), digests);
    assert!(!head.contains_key(attr::DAY_SHARD) && !chunk.contains_key(attr::TIME_KEY));
    assert_eq!(head[attr::EXPIRES_AT], chunk[attr::EXPIRES_AT]);
}

/// The bookkeeping never outlives what it counts: a roll-up expires when
/// its first row does, or when its day leaves the retention in force.
#[test]
fn a_rollup_expires_with_its_rows_or_its_day_whichever_is_first() {
    let rollup = one_row_rollup();
    let ttl = |retention_days| {
        rollup_head_item(
            &rollup,
            &DayVersion::default(),
            (1, 1),
            Retention::from_days(retention_days).expect("valid"),
        )[attr::EXPIRES_AT]
            .clone()
    };
    let first_row = rollup.valid_until.expect("a row");
    assert_eq!(ttl(90), AttributeValue::N(first_row.to_string()));
    let day_end = domain::testing::at("2026-11-28T00:00:00Z").timestamp();
    assert_eq!(
        ttl(30),
        AttributeValue::N((day_end + 30 * 86_400).to_string())
    );
    let empty = Rollup::of_day(rollup.day());
    assert_eq!(
        rollup_head_item(&empty, &DayVersion::default(), (1, 0), Retention::default())
            [attr::EXPIRES_AT],
        AttributeValue::N((day_end + 90 * 86_400).to_string())
    );
}

/// Heads are keyed by event name: an event added since counts 0 and the
/// head stays usable (no row of it existed before it did). A head that
/// counted an event retired since is refused: its workspace set holds
/// the workspaces of rows that raw reads now skip, so its day is read
/// raw and the writer rebuilds it.
#[test]
fn an_added_event_leaves_a_head_usable_and_a_retired_one_does_not() {
    let rollup = one_row_rollup();
    let head = rollup_head_item(
        &rollup,
        &version(&[("07", 1)]),
        (1, 1),
        Retention::default(),
    );
    let Some(AttributeValue::M(stored)) = head.get(rollup_attr::COUNTS) else {
        panic!("counts are a map")
    };
    assert_eq!(stored.len(), 1, "events with no count are not stored");
    let back =
        rollup_head_from_item(domain::rollup::Span::Day(rollup.day()), &head).expect("usable");
    assert_eq!(back.rollup.counts, rollup.counts);

    let mut retired = head.clone();
    let Some(AttributeValue::M(counts)) = retired.get_mut(rollup_attr::COUNTS) else {
        panic!("counts are a map")
    };
    counts.insert(
        "retired.event".into(),
        AttributeValue::L(vec![AttributeValue::N("5".into()); 24]),
    );
    assert!(matches!(
        rollup_head_from_item(domain::rollup::Span::Day(rollup.day()), &retired),
        Err(ItemError::Invalid {
            attribute: rollup_attr::COUNTS,
            ..
        })
    ));
}

#[test]
fn a_head_of_another_format_is_refused() {
    let rollup = one_row_rollup();
    let mut head = rollup_head_item(
        &rollup,
        &version(&[("07", 1)]),
        (1, 1),
        Retention::default(),
    );
    head.insert(rollup_attr::FORMAT.into(), AttributeValue::N("1".into()));
    assert!(rollup_head_from_item(domain::rollup::Span::Day(rollup.day()), &head).is_err());
    head.remove(rollup_attr::FORMAT);
    assert_eq!(
        rollup_head_from_item(domain::rollup::Span::Day(rollup.day()), &head).err(),
        Some(ItemError::Missing(rollup_attr::FORMAT)),
        "a head of the first release"
    );
}

/// A head without the instant it was built cannot be judged against a
/// summary's clock: refused, its span read raw.
#[test]
fn a_head_without_its_build_time_is_refused() {
    let rollup = one_row_rollup();
    let mut head = rollup_head_item(
        &rollup,
        &version(&[("07", 1)]),
        (1, 1),
        Retention::default(),
    );
    head.remove(rollup_attr::BUILT_AT);
    assert_eq!(
        rollup_head_from_item(domain::rollup::Span::Day(rollup.day()), &head).err(),
        Some(ItemError::Missing(rollup_attr::BUILT_AT))
    );
}

/// Two builds never share chunk keys, even from the same version: a
/// rebuild (after a counted row expired) writes beside the chunks a
/// summary holding the older head may be reading, never over them.
#[test]
fn no_two_builds_share_a_chunk_set() {
    let built_from = version(&[("07", 1)]);
    let at = domain::testing::at("2026-11-28T00:20:00Z");
    let sets = [
        built_from.chunk_set(at, 1),
        built_from.chunk_set(at, 2),
        built_from.chunk_set(at + chrono::TimeDelta::milliseconds(1), 1),
        version(&[("07", 2)]).chunk_set(at, 1),
    ];
    let distinct: std::collections::BTreeSet<u64> = sets.iter().copied().collect();
    assert_eq!(distinct.len(), sets.len(), "{sets:?}");
}

/// Every version shard outlives the longest retention there is, whoever
/// bumps it: it never vanishes (and restarts its counter) while a head
/// built from it can be read.
#[test]
fn a_version_shard_outlives_every_retention() {
    let day = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
    let longest =
        Retention::from_days(u64::from(domain::retention::MAX_RETENTION_DAYS)).expect("valid");
    let day_end = Rollup::of_day(day).end();
    assert!(version_expires_at(day) > (day_end + longest.duration()).timestamp());
}

/// Version items: a shard's key names its day and shard.
#[test]
fn version_items_name_their_day_and_shard() {
    let day = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
    let keys = all_version_keys(day);
    assert_eq!(keys.len(), VERSION_SHARDS as usize);
    for (shard, mut key) in keys {
        key.insert(rollup_attr::VERSION.into(), AttributeValue::N("3".into()));
        let read = day_version_shard(&key).expect("readable");
        assert_eq!((read.day, read.shard, read.version), (day, shard, 3));
    }
    let mut corrupt = day_version_key(day, "01");
    corrupt.insert(rollup_attr::VERSION.into(), AttributeValue::S("x".into()));
    assert!(day_version_shard(&corrupt).is_err());
    let (from, to) = day_version_range(day, day);
    assert!(from.as_str() <= "2026-11-27" && "2026-11-27#15" <= to.as_str());
    assert!("2026-11-28" > to.as_str() && "2026-11-26#15" < from.as_str());
}

/// Two versions that differ in any shard keep their chunks apart.
#[test]
fn chunk_sets_differ_with_the_version() {
    let at = domain::testing::at("2026-11-28T00:20:00Z");
    let sets: std::collections::BTreeSet<u64> = [
        version(&[]),
        version(&[("02", 1)]),
        version(&[("00", 1)]),
        version(&[("01", 1)]),
        version(&[("00", 1), ("01", 1)]),
        version(&[("00", 2)]),
    ]
    .iter()
    .map(|v| v.chunk_set(at, 7))
    .collect();
    assert_eq!(sets.len(), 6);
}
