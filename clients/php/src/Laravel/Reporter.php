<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel;

use AdoptionLedger\ErasureScope;
use AdoptionLedger\Laravel\Events\ErasureFailed;
use AdoptionLedger\Laravel\Events\ErasureFinished;
use AdoptionLedger\Laravel\Events\ErasureRejected;
use AdoptionLedger\Laravel\Events\MilestoneDuplicate;
use AdoptionLedger\Laravel\Events\MilestoneFailed;
use AdoptionLedger\Laravel\Events\MilestonePurged;
use AdoptionLedger\Laravel\Events\MilestoneRecorded;
use AdoptionLedger\Laravel\Events\MilestoneRejected;
use AdoptionLedger\Milestone;
use AdoptionLedger\PurgeResult;
use AdoptionLedger\RecordResult;
use Illuminate\Contracts\Debug\ExceptionHandler;
use Illuminate\Contracts\Events\Dispatcher;
use Psr\Log\LoggerInterface;

/**
 * Where every final outcome goes, in one place, so a host can count and
 * alert on them and an operator can live with them:
 *
 * - each final outcome is one Laravel event ({@see Events}): recorded,
 *   duplicate, purged, rejected, failed; an erasure finished, rejected or
 *   failed;
 * - a try that will be retried is one WARNING line (the event, the attempt
 *   and the error's message: no stack trace), nothing reported, no event;
 * - a final failure is reported once;
 * - a rejection (a host-app bug) is one ERROR line with its code and field,
 *   and reported once.
 *
 * Never an id or a metadata value in a log line; the events carry the
 * host's own milestone or scope, in process.
 */
final class Reporter
{
    public function __construct(
        private readonly LoggerInterface $log,
        private readonly ExceptionHandler $handler,
        private readonly Dispatcher $events,
    ) {
    }

    /** Record's answer, whatever it is. */
    public function answered(Milestone $milestone, RecordResult $result): void
    {
        match ($result->status) {
            RecordResult::RECORDED => $this->events->dispatch(new MilestoneRecorded($milestone)),
            RecordResult::DUPLICATE => $this->events->dispatch(new MilestoneDuplicate($milestone)),
            RecordResult::PURGED => $this->events->dispatch(new MilestonePurged($milestone)),
            default => $this->rejected($milestone, $result),
        };
    }

    private function rejected(Milestone $milestone, RecordResult $result): void
    {
        $this->log->error('adoption-ledger: milestone rejected', [
            'event' => $milestone->event,
            'code' => $result->code,
            'field' => $result->field,
        ]);
        $this->handler->report(new LedgerRejected(sprintf('the adoption ledger rejected a %s milestone: %s on %s', $milestone->event, $result->code, $result->field)));
        $this->events->dispatch(new MilestoneRejected($milestone, (string) $result->code, (string) $result->field, (string) $result->message));
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
    public function gaveUp(Milestone $milestone, \Throwable $error): void
    {
        $this->handler->report(new MilestoneNotRecorded(sprintf('adoption-ledger: milestone not recorded: a %s milestone, after its last try: %s', $milestone->event, $error->getMessage())));
        $this->events->dispatch(new MilestoneFailed($milestone, $error));
    }

    /** Purge's answer to an erasure that is done or refused (progress alone is not final). */
    public function erasureAnswered(ErasureScope $scope, PurgeResult $result): void
    {
        if ($result->isRejected()) {
            $this->log->error('adoption-ledger: purge rejected', [
                'scope' => $scope->scope,
                'code' => $result->code,
                'field' => $result->field,
            ]);
            $this->handler->report(new LedgerRejected(sprintf('the adoption ledger rejected a %s purge: %s on %s', $scope->scope, $result->code, $result->field)));
            $this->events->dispatch(new ErasureRejected($scope, (string) $result->code, (string) $result->field));

            return;
        }
        if ($result->isDone()) {
            $this->events->dispatch(new ErasureFinished($scope));
        }
    }

    /** A purge not finished after its last try: reported once (as {@see gaveUp}). */
    public function purgeGaveUp(ErasureScope $scope, \Throwable $error): void
    {
        $this->handler->report(new MilestoneNotRecorded('adoption-ledger: purge not finished after every attempt: '.$error->getMessage()));
        $this->events->dispatch(new ErasureFailed($scope, $error));
    }

    /** A setting that cannot be understood: reported once, at boot or by the check. */
    public function misconfigured(string $problem): void
    {
        $this->log->error('adoption-ledger: invalid configuration', ['problem' => $problem]);
        $this->handler->report(new InvalidConfiguration($problem));
    }
}
