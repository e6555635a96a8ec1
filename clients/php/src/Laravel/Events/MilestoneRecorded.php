<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Events;

use AdoptionLedger\Milestone;

/**
 * Record stored the milestone: a row was written. Dispatched once per milestone the ledger stored,
 * by the job (or direct mode, or `recordNow`) that sent it.
 */
final class MilestoneRecorded
{
    public function __construct(
        public readonly Milestone $milestone,
    ) {
    }
}
