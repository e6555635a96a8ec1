<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel;

use AdoptionLedger\PurgeResult;
use AdoptionLedger\RecordResult;
use Illuminate\Contracts\Debug\ExceptionHandler;
use Psr\Log\LoggerInterface;

/**
 * Where recording problems go, so an operator can live with them: a try
 * that will be retried is one WARNING line (the event, the attempt and the
 * error's message: no stack trace) and nothing reported; a final failure is
 * reported once; a rejection (a host-app bug) is one ERROR line with its code
 * and field, and reported once. Never an id or a metadata value.
 */
final class Reporter
{
    public function __construct(
        private readonly LoggerInterface $log,
        private readonly ExceptionHandler $handler,
    ) {
    }

    public function rejected(string $event, RecordResult $result): void
    {
        $this->log->error('adoption-ledger: milestone rejected', [
            'event' => $event,
            'code' => $result->code,
            'field' => $result->field,
        ]);
        $this->handler->report(new MilestoneRejected(sprintf('the adoption ledger rejected a %s milestone: %s on %s', $event, $result->code, $result->field)));
    }

    /** A try failed and will be retried: one WARNING line, nothing reported. */
    public function willRetry(string $event, \Throwable $error, int $attempt, int $tries): void
    {
        $this->log->warning('adoption-ledger: milestone not recorded yet, will retry', [
            'event' => $event,
            'attempt' => $attempt,
            'tries' => $tries,
            'error' => $error->getMessage(),
        ]);
    }

    /**
     * The last try failed (or there was no retry): reported once, which the
     * host's exception handler logs as one ERROR and sends to its error
     * tracking. No line of its own beside it.
     */
    public function gaveUp(string $event, \Throwable $error): void
    {
        $this->handler->report(new MilestoneNotRecorded(sprintf('adoption-ledger: milestone not recorded: a %s milestone, after its last try: %s', $event, $error->getMessage())));
    }

    /** A purge the function refused (a host-app bug: an id that is not one). Never the ids. */
    public function purgeRejected(string $scope, PurgeResult $result): void
    {
        $this->log->error('adoption-ledger: purge rejected', [
            'scope' => $scope,
            'code' => $result->code,
            'field' => $result->field,
        ]);
        $this->handler->report(new MilestoneRejected(sprintf('the adoption ledger rejected a %s purge: %s on %s', $scope, $result->code, $result->field)));
    }

    /** A purge not finished after its last try: reported once (as {@see gaveUp}). */
    public function purgeGaveUp(\Throwable $error): void
    {
        $this->handler->report(new MilestoneNotRecorded('adoption-ledger: purge not finished after every attempt: '.$error->getMessage()));
    }

    /** A setting that cannot be understood: reported once, at boot or by the check. */
    public function misconfigured(string $problem): void
    {
        $this->log->error('adoption-ledger: invalid configuration', ['problem' => $problem]);
        $this->handler->report(new InvalidConfiguration($problem));
    }
}
