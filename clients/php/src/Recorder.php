<?php

declare(strict_types=1);

namespace AdoptionLedger;

/** Sends one milestone to the ledger and says how it ended. */
interface Recorder
{
    /**
     * @throws RecordingFailed when it may succeed later (retry it)
     */
    public function record(Milestone $milestone): RecordResult;
}
