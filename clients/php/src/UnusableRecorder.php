<?php

declare(strict_types=1);

namespace AdoptionLedger;

/**
 * The recorder of a configuration that cannot be understood (an unknown
 * driver): every milestone fails as retryable, so a queued one waits in
 * `failed_jobs` until the setting is fixed (`queue:retry`), and nothing is
 * thrown into a request. The problem itself is reported once, at boot.
 */
final class UnusableRecorder implements Recorder
{
    public function __construct(private readonly string $problem)
    {
    }

    public function record(Milestone $milestone): RecordResult
    {
        throw new RecordingFailed($this->problem);
    }
}
