<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Testing;

use AdoptionLedger\ErasureScope;
use AdoptionLedger\Laravel\AfterCommit;
use AdoptionLedger\Laravel\Contracts\Ledger;
use AdoptionLedger\Laravel\Events\ErasureFinished;
use AdoptionLedger\Laravel\Events\MilestoneRecorded;
use AdoptionLedger\Laravel\Events\MilestoneRejected;
use AdoptionLedger\Milestone;
use AdoptionLedger\RecordResult;
use Illuminate\Contracts\Events\Dispatcher;
use PHPUnit\Framework\Assert as PHPUnit;

/**
 * The ledger in a host's tests (`AdoptionLedger::fake()`), as Laravel's own
 * fakes are: the same contract as the real ledger, nothing sent, everything
 * kept and asserted on. It keeps what the real ledger would send: a
 * milestone or an erasure once its database transaction commits, nothing of
 * one that rolls back, and it refuses a blank erasure as the real one does.
 * It dispatches the events the ledger would for what it keeps
 * ({@see MilestoneRecorded}, {@see ErasureFinished}), and
 * {@see MilestoneRejected} after {@see rejectWith()}, so a host's listeners
 * run in its tests (and Laravel's `Event::fake()` asserts them).
 */
final class AdoptionLedgerFake implements Ledger
{
    /** @var list<Milestone> */
    private array $recorded = [];

    /** @var list<array{0: string, 1: ?string}> tenant and actor of each erasure asked for */
    private array $forgotten = [];

    /** @var array{0: string, 1: string}|null the code and field every milestone is rejected with, from {@see rejectWith()} */
    private ?array $rejection = null;

    public function __construct(
        private readonly AfterCommit $afterCommit,
        private readonly Dispatcher $events,
    ) {
    }

    /**
     * From now on, answer every milestone as record would answer a bad one:
     * not kept, and a {@see MilestoneRejected} event with this code and
     * field, so a host can test its listener (e.g. `rejectWith('metadata_value_charset',
     * 'metadata.report_type')`).
     */
    public function rejectWith(string $code, string $field): self
    {
        $this->rejection = [$code, $field];

        return $this;
    }

    public function record(Milestone $milestone): void
    {
        $this->afterCommit->run(function () use ($milestone): void {
            $this->answer($milestone);
        });
    }

    public function recordNow(Milestone $milestone): RecordResult
    {
        return $this->answer($milestone);
    }

    /** What the ledger would do with record's answer: keep it and dispatch its event. */
    private function answer(Milestone $milestone): RecordResult
    {
        if (null !== $this->rejection) {
            [$code, $field] = $this->rejection;
            $this->events->dispatch(new MilestoneRejected($milestone, $code, $field, 'rejected by the fake (rejectWith)'));

            return RecordResult::fromResponse(['status' => RecordResult::REJECTED, 'error' => ['code' => $code, 'field' => $field, 'message' => 'rejected by the fake (rejectWith)']], $milestone->eventId);
        }
        $this->recorded[] = $milestone;
        $this->events->dispatch(new MilestoneRecorded($milestone));

        return RecordResult::accepted($milestone);
    }

    public function forgetTenant(string $tenantId): void
    {
        $scope = ErasureScope::tenant($tenantId);
        $this->afterCommit->run(function () use ($scope): void {
            $this->forget($scope);
        });
    }

    public function forgetActor(string $tenantId, string $actorId): void
    {
        $scope = ErasureScope::actor($tenantId, $actorId);
        $this->afterCommit->run(function () use ($scope): void {
            $this->forget($scope);
        });
    }

    private function forget(ErasureScope $scope): void
    {
        $this->forgotten[] = [$scope->tenantId, $scope->actorId];
        $this->events->dispatch(new ErasureFinished($scope));
    }

    /**
     * The milestones of `$event` that pass `$callback` (given the milestone and its payload).
     *
     * @return list<Milestone>
     */
    public function recorded(string $event, ?callable $callback = null): array
    {
        return array_values(array_filter(
            $this->recorded,
            static fn (Milestone $m): bool => $m->event === $event && (null === $callback || $callback($m, $m->payload())),
        ));
    }

    public function assertRecorded(string $event, ?callable $callback = null): void
    {
        PHPUnit::assertNotEmpty(
            $this->recorded($event, $callback),
            sprintf('The expected [%s] milestone was not recorded%s. Recorded: %s.', $event, null === $callback ? '' : ' (none passed the callback)', $this->recordedSummary()),
        );
    }

    public function assertRecordedTimes(string $event, int $times): void
    {
        $count = \count($this->recorded($event));
        PHPUnit::assertSame($times, $count, sprintf('The [%s] milestone was recorded %d times instead of %d.', $event, $count, $times));
    }

    public function assertNotRecorded(string $event, ?callable $callback = null): void
    {
        $found = $this->recorded($event, $callback);
        PHPUnit::assertEmpty(
            $found,
            sprintf('The unexpected [%s] milestone was recorded %d time(s)%s: %s.', $event, \count($found), null === $callback ? '' : ' (passing the callback)', implode(', ', array_map(self::describe(...), $found))),
        );
    }

    public function assertNothingRecorded(): void
    {
        PHPUnit::assertEmpty($this->recorded, 'Milestones were recorded unexpectedly: '.$this->recordedSummary().'.');
    }

    public function assertTenantForgotten(string $tenantId): void
    {
        PHPUnit::assertContains([$tenantId, null], $this->forgotten, sprintf('Tenant [%s] was not forgotten. Forgotten: %s.', $tenantId, $this->forgottenSummary()));
    }

    public function assertActorForgotten(string $tenantId, string $actorId): void
    {
        PHPUnit::assertContains([$tenantId, $actorId], $this->forgotten, sprintf('Person [%s] was not forgotten in tenant [%s]. Forgotten: %s.', $actorId, $tenantId, $this->forgottenSummary()));
    }

    public function assertTenantNotForgotten(string $tenantId): void
    {
        PHPUnit::assertNotContains([$tenantId, null], $this->forgotten, sprintf('Tenant [%s] was forgotten unexpectedly.', $tenantId));
    }

    public function assertActorNotForgotten(string $tenantId, string $actorId): void
    {
        PHPUnit::assertNotContains([$tenantId, $actorId], $this->forgotten, sprintf('Person [%s] was forgotten in tenant [%s] unexpectedly.', $actorId, $tenantId));
    }

    public function assertNothingForgotten(): void
    {
        PHPUnit::assertEmpty($this->forgotten, 'Erasures were asked for unexpectedly: '.$this->forgottenSummary().'.');
    }

    private static function describe(Milestone $milestone): string
    {
        return sprintf('[%s] in tenant [%s] by [%s]', $milestone->event, $milestone->tenantId, $milestone->actorId);
    }

    private function recordedSummary(): string
    {
        return [] === $this->recorded ? 'none' : implode(', ', array_map(self::describe(...), $this->recorded));
    }

    private function forgottenSummary(): string
    {
        if ([] === $this->forgotten) {
            return 'none';
        }

        return implode(', ', array_map(
            static fn (array $erasure): string => null === $erasure[1] ? sprintf('tenant [%s]', $erasure[0]) : sprintf('person [%s] in tenant [%s]', $erasure[1], $erasure[0]),
            $this->forgotten,
        ));
    }
}
