<?php

declare(strict_types=1);

namespace AdoptionLedger;

use AdoptionLedger\Aws\LambdaApi;

/** Records through the record function, synchronously, so the answer is seen (the `lambda` driver). */
final class LambdaRecorder implements Recorder
{
    public function __construct(
        private readonly LambdaApi $lambda,
        private readonly string $function,
    ) {
    }

    public function record(Milestone $milestone): RecordResult
    {
        return RecordResult::fromResponse(
            $this->lambda->invoke($this->function, $milestone->toJson()),
            $milestone->eventId,
        );
    }
}
