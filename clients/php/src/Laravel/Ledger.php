<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel;

use AdoptionLedger\ErasureScope;
use AdoptionLedger\Laravel\Contracts\Ledger as LedgerContract;
use AdoptionLedger\Laravel\Jobs\ForgetActor;
use AdoptionLedger\Laravel\Jobs\ForgetTenant;
use AdoptionLedger\Laravel\Jobs\RecordMilestone;
use AdoptionLedger\Milestone;
use AdoptionLedger\PurgeFailed;
use AdoptionLedger\Recorder;
use AdoptionLedger\RecordingFailed;
use AdoptionLedger\RecordResult;
use Illuminate\Contracts\Bus\Dispatcher;

/**
 * What the `AdoptionLedger` facade calls. Nothing is sent for an action whose
 * transaction rolls back, and nothing thrown by recording reaches the user's
 * request, on every queue connection:
 *
 * - the dispatch waits for the database commit ({@see AfterCommit}), `sync`
 *   included, where Laravel itself would run the job at once;
 * - queued, the job retries a failure with backoff; on `sync` there is no
 *   retry: a failure is logged and reported, once;
 * - direct (no queue), one bounded attempt, and a failure is only reported.
 */
final class Ledger implements LedgerContract
{
    /**
     * @param array<string, mixed> $queue   the `queue` configuration
     * @param array<string, mixed> $erasure the `erasure` configuration: where erasure jobs go
     */
    public function __construct(
        private readonly Dispatcher $bus,
        private readonly Recorder $recorder,
        private readonly Recorder $directRecorder,
        private readonly Reporter $reporter,
        private readonly AfterCommit $afterCommit,
        private readonly array $queue,
        private readonly array $erasure = [],
    ) {
    }

    public function record(Milestone $milestone): void
    {
        $this->afterCommit->run(function () use ($milestone): void {
            try {
                $this->send($milestone);
            } catch (\Throwable $error) {
                // A `sync` job's own failure was logged and reported by its
                // `failed()`; anything else is reported here. Never rethrown:
                // the user's action has committed.
                if (!$error instanceof RecordingFailed) {
                    $this->reporter->gaveUp($milestone, $error);
                }
            }
        });
    }

    private function send(Milestone $milestone): void
    {
        if ($this->queue['enabled'] ?? true) {
            $job = new RecordMilestone($milestone->payload(), (int) ($this->queue['tries'] ?? 5), (array) ($this->queue['backoff'] ?? [10, 30, 60, 120]));
            $job->onConnection($this->queue['connection'] ?? null)->onQueue($this->queue['name'] ?? null);
            $this->bus->dispatch($job);

            return;
        }
        try {
            $result = $this->directRecorder->record($milestone);
        } catch (RecordingFailed $error) {
            // Direct mode has no retry: the milestone is lost, and the log says so.
            $this->reporter->gaveUp($milestone, $error);

            return;
        }
        $this->reporter->answered($milestone, $result);
    }

    /** The job's constructor refuses a blank id ({@see ErasureScope}), before anything is queued. */
    public function forgetTenant(string $tenantId): void
    {
        $this->dispatchErasure(new ForgetTenant($tenantId, ...$this->erasureRetries()));
    }

    /** The job's constructor refuses a blank id ({@see ErasureScope}), before anything is queued. */
    public function forgetActor(string $tenantId, string $actorId): void
    {
        $this->dispatchErasure(new ForgetActor($tenantId, $actorId, ...$this->erasureRetries()));
    }

    /** @return array{0: int, 1: list<int>} how long the erasure jobs retry (hours), and their backoff */
    private function erasureRetries(): array
    {
        return [(int) ($this->queue['erasure_retry_hours'] ?? 24), (array) ($this->queue['backoff'] ?? [10, 30, 60, 120])];
    }

    private function dispatchErasure(ForgetTenant|ForgetActor $job): void
    {
        // Their own path: only the worker of this queue may erase.
        $job->onConnection($this->erasure['connection'] ?? null)->onQueue($this->erasure['queue'] ?? 'adoption-ledger-erasure');
        $this->afterCommit->run(function () use ($job): void {
            try {
                $this->bus->dispatch($job);
            } catch (\Throwable $error) {
                // On `sync`: purge failed in the request, after the commit. The
                // job's `failed()` logged and reported a purge failure; anything
                // else is reported here. Run it again (or use a real queue).
                if (!$error instanceof PurgeFailed) {
                    $this->reporter->purgeGaveUp($job->scope(), $error);
                }
            }
        });
    }

    public function recordNow(Milestone $milestone): RecordResult
    {
        $result = $this->recorder->record($milestone);
        $this->reporter->answered($milestone, $result);

        return $result;
    }
}
