<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Jobs;

use AdoptionLedger\Laravel\Reporter;
use AdoptionLedger\Milestone;
use AdoptionLedger\Recorder;
use AdoptionLedger\RecordingFailed;
use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldBeEncrypted;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;
use Illuminate\Queue\Jobs\SyncJob;

/**
 * Records one milestone from the queue, after the database commit that made
 * it true.
 *
 * - A rejection is reported once and never retried (sending it again cannot
 *   change the answer).
 * - A failure to store is retried with backoff: each try that will be
 *   retried is one WARNING line, without a stack trace, and nothing reaches
 *   error tracking; the last one fails the job (`failed_jobs`), logged as one
 *   ERROR and reported once.
 * - On the `sync` connection there is no retry: a failure is the last try.
 * - A milestone that a purge erased (`purged`) is done: nothing to retry,
 *   nothing to report.
 * - Every final outcome is one event ({@see Reporter}).
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

    public function handle(Recorder $recorder, Reporter $reporter): void
    {
        $milestone = Milestone::fromPayload($this->payload);
        try {
            $result = $recorder->record($milestone);
        } catch (RecordingFailed $error) {
            $attempt = $this->attempts();
            if ($this->job instanceof SyncJob || $attempt >= $this->tries) {
                // The last try: failed() logs and reports it, once.
                $this->fail($error);

                return;
            }
            $reporter->willRetry($milestone->event, $error, $attempt, $this->tries);
            $this->release($this->waits[min($attempt, \count($this->waits)) - 1] ?? 0);

            return;
        }
        $reporter->answered($milestone, $result);
    }

    public function failed(\Throwable $error): void
    {
        app(Reporter::class)->gaveUp(Milestone::fromPayload($this->payload), $error);
    }
}
