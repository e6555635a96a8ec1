<?php

declare(strict_types=1);

namespace AdoptionLedger;

/** Records nothing: for environments that must not send (the `null` driver). */
final class NullRecorder implements Recorder
{
    public function record(Milestone $milestone): RecordResult
    {
        return RecordResult::accepted($milestone);
    }
}
