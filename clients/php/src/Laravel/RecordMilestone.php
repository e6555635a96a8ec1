<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel;

use AdoptionLedger\Milestone;
use AdoptionLedger\Recorder;
use AdoptionLedger\RecordingFailed;
use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldBeEncrypted;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;

/**
 * Records one milestone from the queue, after the database commit that made
 * it true. A rejection is reported once and never retried (sending it again
 * cannot change the answer); a failure to store is retried with backoff, and
 * after the last try the job lands in `failed_jobs`. A milestone that a purge
 * erased (`purged`) is done: nothing to retry, nothing to report.
 *
 * Queued encrypted (`ShouldBeEncrypted`, with the app's key): the actor id
 * and metadata are not readable in the queue's storage or in `failed_jobs`.
 */
final class RecordMilestone implements ShouldQueue, ShouldBeEncrypted
{
    use Dispatchable;
    use InteractsWithQueue;
    use Queueable;

    public int $tries;

    /** @var list<int> */
    private array $waits;

    /** @param array<string, mixed> $payload a payload {@see Milestone::payload()} built */
    public function __construct(public readonly array $payload, int $tries = 5, array $backoff = [10, 30, 60, 120])
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

    /**
     * @throws RecordingFailed to be retried
     */
    public function handle(Recorder $recorder, Reporter $reporter): void
    {
        $result = $recorder->record(Milestone::fromPayload($this->payload));
        if ($result->isRejected()) {
            $reporter->rejected($this->payload['event'] ?? '?', $result);
        }
    }

    public function failed(\Throwable $error): void
    {
        app(Reporter::class)->gaveUp($this->payload['event'] ?? '?', $error);
    }
}
