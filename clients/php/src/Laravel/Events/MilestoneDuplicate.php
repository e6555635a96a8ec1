<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Events;

use AdoptionLedger\Milestone;

/**
 * Record already held this milestone's `event_id`: nothing new was written (a re-send, e.g. a job
 * retried after a lost answer; see each event's idempotency in docs/events.md).
 */
final class MilestoneDuplicate
{
    public function __construct(
        public readonly Milestone $milestone,
    ) {
    }
}
