<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Events;

use AdoptionLedger\Milestone;

/**
 * The milestone could not be recorded after its last try (the ledger unreachable, this server's
 * role refused, or the store failing): on a real queue the job is in `failed_jobs`, from where
 * `queue:retry` sends it again; on `sync` and in direct mode it is lost. Also reported once.
 */
final class MilestoneFailed
{
    public function __construct(
        public readonly Milestone $milestone,
        public readonly \Throwable $error,
    ) {
    }
}
