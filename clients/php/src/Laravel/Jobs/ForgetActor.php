<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Jobs;

use AdoptionLedger\ErasureScope;
use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldBeEncrypted;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;

/**
 * Erases one person's milestones within one tenant (GDPR Art. 17), through
 * purge, until done. Dispatch one per tenant the person acted in.
 */
final class ForgetActor implements ShouldQueue, ShouldBeEncrypted
{
    use Dispatchable;
    use ForgetData;
    use InteractsWithQueue;
    use Queueable;

    /** @param list<int> $backoff */
    public function __construct(public readonly string $tenantId, public readonly string $actorId, int $retryHours = 24, array $backoff = [10, 30, 60, 120, 300])
    {
        ErasureScope::actor($this->tenantId, $this->actorId);
        $this->retries($retryHours, $backoff);
    }

    public function scope(): ErasureScope
    {
        return ErasureScope::actor($this->tenantId, $this->actorId);
    }
}
