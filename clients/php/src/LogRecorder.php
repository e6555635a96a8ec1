<?php

declare(strict_types=1);

namespace AdoptionLedger;

use Psr\Log\LoggerInterface;

/**
 * Writes the milestone's event and time to a log instead of sending it: for
 * local work without AWS (the `log` driver). Never its ids (an event id can
 * carry a person's id) or metadata values.
 */
final class LogRecorder implements Recorder
{
    public function __construct(private readonly LoggerInterface $logger)
    {
    }

    public function record(Milestone $milestone): RecordResult
    {
        $this->logger->info('adoption-ledger: milestone (log driver, not sent)', [
            'event' => $milestone->event,
            'occurred_at' => $milestone->occurredAt,
        ]);

        return RecordResult::accepted($milestone);
    }
}
