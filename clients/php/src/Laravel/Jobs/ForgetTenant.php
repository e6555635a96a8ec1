<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Jobs;

use AdoptionLedger\ErasureScope;
use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldBeEncrypted;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;

/** Erases every milestone of a tenant (offboarding), through purge, until done. */
final class ForgetTenant implements ShouldQueue, ShouldBeEncrypted
{
    use Dispatchable;
    use ForgetData;
    use InteractsWithQueue;
    use Queueable;

    /** @param list<int> $backoff */
    public function __construct(public readonly string $tenantId, int $retryHours = 24, array $backoff = [10, 30, 60, 120, 300])
    {
        ErasureScope::tenant($this->tenantId);
        $this->retries($retryHours, $backoff);
    }

    public function scope(): ErasureScope
    {
        return ErasureScope::tenant($this->tenantId);
    }
}
