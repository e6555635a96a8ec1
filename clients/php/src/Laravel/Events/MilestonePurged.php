<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Events;

use AdoptionLedger\Milestone;

/**
 * Record refused the milestone because a purge erased its tenant or person after it occurred:
 * never stored, and sending it again changes nothing.
 */
final class MilestonePurged
{
    public function __construct(
        public readonly Milestone $milestone,
    ) {
    }
}
