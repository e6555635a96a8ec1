<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel;

use AdoptionLedger\Milestone;
use AdoptionLedger\Recorder;
use AdoptionLedger\RecordResult;
use Illuminate\Contracts\Bus\Dispatcher;

/**
 * What the `AdoptionLedger` facade calls. `record()` never breaks the user's
 * action: queued, it dispatches a job after the database commit; direct, it
 * gives up within the direct timeout and only reports.
 */
class Ledger
{
    /** @param array<string, mixed> $queue the `queue` configuration */
    public function __construct(
        private readonly Dispatcher $bus,
        private readonly Recorder $recorder,
        private readonly Recorder $directRecorder,
        private readonly Reporter $reporter,
        private readonly array $queue,
    ) {
    }

    /** Records the milestone after the current database transaction commits (or now, outside one). */
    public function record(Milestone $milestone): void
    {
        if ($this->queue['enabled'] ?? true) {
            $job = new RecordMilestone($milestone->payload(), (int) ($this->queue['tries'] ?? 5), (array) ($this->queue['backoff'] ?? [10, 30, 60, 120]));
            $job->onConnection($this->queue['connection'] ?? null)->onQueue($this->queue['name'] ?? null);
            $this->bus->dispatch($job);

            return;
        }
        try {
            $result = $this->directRecorder->record($milestone);
            if ($result->isRejected()) {
                $this->reporter->rejected($milestone->event, $result);
            }
        } catch (\Throwable $error) {
            // Direct mode has no retry: the milestone is lost, and the log says so.
            $this->reporter->gaveUp($milestone->event, $error);
        }
    }

    /**
     * Erases every milestone of the tenant (offboarding), in a queued job
     * that invokes purge until it is done, after the current transaction.
     */
    public function forgetTenant(string $tenantId): void
    {
        $this->dispatchErasure(new ForgetTenant($tenantId, ...$this->erasureRetries()));
    }

    /**
     * Erases one person's milestones within one tenant (an erasure request),
     * in a queued job that invokes purge until it is done. Call it once per
     * tenant the person acted in.
     */
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
        $job->onConnection($this->queue['connection'] ?? null)->onQueue($this->queue['name'] ?? null);
        $this->bus->dispatch($job);
    }

    /**
     * Records now and returns the answer: for back-fills, scripts and checks,
     * never for a user's request.
     *
     * @throws \AdoptionLedger\RecordingFailed when it may succeed later
     */
    public function recordNow(Milestone $milestone): RecordResult
    {
        return $this->recorder->record($milestone);
    }
}
