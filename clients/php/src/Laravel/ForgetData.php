<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel;

use AdoptionLedger\Purger;
use AdoptionLedger\PurgeResult;

/**
 * What the two erasure jobs share: invoke purge until it is done. A large
 * tenant that is not done after a job's invocations is released back to the
 * queue and continues; a rejection is reported once and never retried; a
 * failure to invoke is thrown, so the queue retries it with backoff.
 */
trait ForgetData
{
    public int $tries = 25;

    /** Purge invocations per attempt of the job (each stops within purge's 60 s timeout). */
    public int $invocationsPerAttempt = 10;

    /** @var list<int> */
    private array $waits = [10, 30, 60, 120, 300];

    /** @param list<int> $backoff seconds between attempts after a failure to invoke */
    private function retries(int $tries, array $backoff): void
    {
        $this->tries = max(1, $tries);
        $this->waits = array_values(array_map('intval', $backoff));
        $this->afterCommit = true;
    }

    /** @return list<int> seconds between attempts */
    public function backoff(): array
    {
        return $this->waits;
    }

    private function forget(Purger $purger, Reporter $reporter, string $tenantId, ?string $actorId): void
    {
        $result = $purger->purge($tenantId, $actorId, $this->invocationsPerAttempt);
        if ($result->isRejected()) {
            $reporter->purgeRejected(null === $actorId ? 'tenant' : 'actor', $result);

            return;
        }
        if (!$result->isDone()) {
            // Progress was made; the rest continues in the next attempt, at once.
            $this->release(0);
        }
    }

    public function failed(\Throwable $error): void
    {
        app(Reporter::class)->purgeGaveUp($error);
    }
}
