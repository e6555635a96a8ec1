<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Jobs;

use Illuminate\Queue\Middleware\WithoutOverlapping;

/**
 * One lock for every erasure job, whatever its class: ForgetTenant and
 * ForgetActor never run side by side (purge runs one at a time). Laravel's
 * own middleware keys its lock by the job's class; this one does not.
 */
final class ErasureLock extends WithoutOverlapping
{
    public const KEY = 'adoption-ledger:erasure';

    public function __construct()
    {
        parent::__construct(self::KEY, 30, 120);
    }

    /** @param mixed $job */
    public function getLockKey($job): string
    {
        return $this->prefix.self::KEY;
    }
}
