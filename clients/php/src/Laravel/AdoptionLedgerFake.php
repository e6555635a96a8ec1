<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel;

use AdoptionLedger\Milestone;
use AdoptionLedger\RecordResult;
use PHPUnit\Framework\Assert as PHPUnit;

/** The ledger in a host's tests: records nothing, keeps every milestone, and asserts on them. */
final class AdoptionLedgerFake extends Ledger
{
    /** @var list<Milestone> */
    private array $recorded = [];

    /** @var list<array{0: string, 1: ?string}> tenant and actor of each erasure asked for */
    private array $forgotten = [];

    public function __construct()
    {
    }

    public function record(Milestone $milestone): void
    {
        $this->recorded[] = $milestone;
    }

    public function recordNow(Milestone $milestone): RecordResult
    {
        $this->recorded[] = $milestone;

        return RecordResult::accepted($milestone);
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
            sprintf('The expected [%s] milestone was not recorded.', $event),
        );
    }

    public function assertRecordedTimes(string $event, int $times): void
    {
        $count = \count($this->recorded($event));
        PHPUnit::assertSame($times, $count, sprintf('The [%s] milestone was recorded %d times instead of %d.', $event, $count, $times));
    }

    public function assertNothingRecorded(): void
    {
        $events = array_map(static fn (Milestone $m): string => $m->event, $this->recorded);
        PHPUnit::assertEmpty($events, 'Milestones were recorded unexpectedly: '.implode(', ', $events));
    }

    public function forgetTenant(string $tenantId): void
    {
        $this->forgotten[] = [$tenantId, null];
    }

    public function forgetActor(string $tenantId, string $actorId): void
    {
        $this->forgotten[] = [$tenantId, $actorId];
    }

    public function assertTenantForgotten(string $tenantId): void
    {
        PHPUnit::assertContains([$tenantId, null], $this->forgotten, sprintf('Tenant [%s] was not forgotten.', $tenantId));
    }

    public function assertActorForgotten(string $tenantId, string $actorId): void
    {
        PHPUnit::assertContains([$tenantId, $actorId], $this->forgotten, 'That person was not forgotten in that tenant.');
    }
}
