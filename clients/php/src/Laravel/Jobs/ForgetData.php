<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Jobs;

use AdoptionLedger\ErasureScope;
use AdoptionLedger\Laravel\Reporter;
use AdoptionLedger\PurgeFailed;
use AdoptionLedger\Purger;
use Illuminate\Queue\Jobs\SyncJob;

/**
 * What the two erasure jobs share: invoke purge until it is done.
 *
 * - One purge invocation per attempt (at most 65 s, so the job's `$timeout`
 *   of 80 s fits inside the default `retry_after` of 90 s); an attempt that
 *   made progress but is not done is released and continues at once.
 * - Attempts are bounded by time (`retryUntil`, `queue.erasure_retry_hours`),
 *   not by count, so a very large tenant is never failed for its size.
 * - Erasure jobs never run side by side (purge runs one at a time): they
 *   share one lock ({@see ErasureLock}), whatever their class; a job that
 *   finds another running, or purge throttled (HTTP 429), waits 30 s.
 * - The scope is checked when the job is made and again when it runs
 *   ({@see ErasureScope}): an empty or blank id never widens an erasure.
 * - Queued encrypted (`ShouldBeEncrypted`): the ids are not readable in the
 *   queue's storage or in `failed_jobs`.
 * - A rejection is reported once and never retried; a failure to invoke is
 *   thrown, so the queue retries it with backoff.
 * - On the `sync` connection (no worker to release to) it invokes until done.
 */
trait ForgetData
{
    public int $timeout = 80;

    private int $retryHours = 24;

    /** @var list<int> */
    private array $waits = [10, 30, 60, 120, 300];

    /** @param list<int> $backoff seconds between attempts after a failure to invoke */
    private function retries(int $retryHours, array $backoff): void
    {
        $this->retryHours = max(1, $retryHours);
        $this->waits = array_values(array_map('intval', $backoff));
        $this->afterCommit = true;
    }

    /** @return list<int> seconds between attempts */
    public function backoff(): array
    {
        return $this->waits;
    }

    /** Read once, when the job is queued (Laravel keeps it in the payload across releases). */
    public function retryUntil(): \DateTimeInterface
    {
        return (new \DateTimeImmutable())->modify(sprintf('+%d hours', $this->retryHours));
    }

    /** @return list<object> */
    public function middleware(): array
    {
        return [new ErasureLock()];
    }

    /** What this job erases, checked again ({@see ErasureScope}). */
    abstract public function scope(): ErasureScope;

    public function handle(Purger $purger, Reporter $reporter): void
    {
        $scope = $this->scope();
        $sync = $this->job instanceof SyncJob;
        try {
            $result = $purger->purge($scope, $sync ? 10_000 : 1);
        } catch (PurgeFailed $error) {
            if (429 === $error->getCode() && !$sync) {
                // Another purge is running (purge runs one at a time): wait, not a failure.
                $this->release(30);

                return;
            }
            throw $error;
        }
        $reporter->erasureAnswered($scope, $result);
        if (!$result->isRejected() && !$result->isDone()) {
            if ($sync) {
                throw new PurgeFailed(sprintf('purge was not done after %d row(s)', $result->rowsDeleted));
            }
            // Progress was made; the rest continues in the next attempt, at once.
            $this->release(0);
        }
    }

    public function failed(\Throwable $error): void
    {
        app(Reporter::class)->purgeGaveUp($this->scope(), $error);
    }
}
