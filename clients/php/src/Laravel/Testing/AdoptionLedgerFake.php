<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Testing;

use AdoptionLedger\ErasureScope;
use AdoptionLedger\Laravel\AfterCommit;
use AdoptionLedger\Laravel\Contracts\Ledger;
use AdoptionLedger\Milestone;
use AdoptionLedger\RecordResult;
use PHPUnit\Framework\Assert as PHPUnit;

/**
 * The ledger in a host's tests (`AdoptionLedger::fake()`), as Laravel's own
 * fakes are: the same contract as the real ledger, nothing sent, everything
 * kept and asserted on. It keeps what the real ledger would send: a
 * milestone or an erasure once its database transaction commits, nothing of
 * one that rolls back, and it refuses a blank erasure as the real one does.
 */
final class AdoptionLedgerFake implements Ledger
{
    /** @var list<Milestone> */
    private array $recorded = [];

    /** @var list<array{0: string, 1: ?string}> tenant and actor of each erasure asked for */
    private array $forgotten = [];

    public function __construct(private readonly AfterCommit $afterCommit)
    {
    }

    public function record(Milestone $milestone): void
    {
        $this->afterCommit->run(function () use ($milestone): void {
            $this->recorded[] = $milestone;
        });
    }

    public function recordNow(Milestone $milestone): RecordResult
    {
        $this->recorded[] = $milestone;

        return RecordResult::accepted($milestone);
    }

    public function forgetTenant(string $tenantId): void
    {
        $scope = ErasureScope::tenant($tenantId);
        $this->afterCommit->run(function () use ($scope): void {
            $this->forgotten[] = [$scope->tenantId, null];
        });
    }

    public function forgetActor(string $tenantId, string $actorId): void
    {
        $scope = ErasureScope::actor($tenantId, $actorId);
        $this->afterCommit->run(function () use ($scope): void {
            $this->forgotten[] = [$scope->tenantId, $scope->actorId];
        });
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
