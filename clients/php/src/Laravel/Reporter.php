<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel;

use AdoptionLedger\PurgeResult;
use AdoptionLedger\RecordResult;
use Illuminate\Contracts\Debug\ExceptionHandler;
use Psr\Log\LoggerInterface;

/**
 * Where recording problems go: one log line each (the event and the rejection
 * code and field; never ids or metadata values), and the host's exception
 * handler, so error tracking sees a rejection (a host-app bug) once.
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

    public function gaveUp(string $event, \Throwable $error): void
    {
        $this->log->error('adoption-ledger: milestone not recorded', [
            'event' => $event,
            'error' => $error->getMessage(),
        ]);
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

    public function purgeGaveUp(\Throwable $error): void
    {
        $this->log->error('adoption-ledger: purge not finished after every attempt', [
            'error' => $error->getMessage(),
        ]);
    }
}
