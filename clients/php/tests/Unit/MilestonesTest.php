<?php

declare(strict_types=1);

namespace AdoptionLedger\Tests\Unit;

use AdoptionLedger\Milestone;
use AdoptionLedger\Milestones;
use AdoptionLedger\Tests\CatalogExamples;
use PHPUnit\Framework\TestCase;

final class MilestonesTest extends TestCase
{
    /** Every catalog event has its builder, and each builds a payload of that event. */
    public function testEveryEventHasABuilderThatBuildsItsPayload(): void
    {
        $built = array_map(static fn (Milestone $m): string => $m->event, CatalogExamples::oneOfEach(new \DateTimeImmutable('2026-11-27 10:30:00.123456', new \DateTimeZone('Europe/Berlin'))));
        self::assertSame(Milestones::EVENTS, $built);
    }

    public function testOccurredAtIsTheStoredTimeInUtcWithMilliseconds(): void
    {
        $stored = new \DateTimeImmutable('2026-11-27 10:30:00.123456', new \DateTimeZone('Europe/Berlin'));
        foreach (CatalogExamples::oneOfEach($stored) as $milestone) {
            self::assertSame('2026-11-27T09:30:00.123Z', $milestone->payload()['occurred_at']);
        }
    }

    public function testTheEventIdFollowsTheCatalogSchemeAndIsTheSameForTheSameStoredData(): void
    {
        $at = new \DateTimeImmutable('2026-11-27T23:59:59.999+00:00');
        $first = CatalogExamples::oneOfEach($at);
        $again = CatalogExamples::oneOfEach($at);
        foreach ($first as $i => $milestone) {
            self::assertStringStartsWith($milestone->event.':', $milestone->eventId);
            self::assertSame($milestone->eventId, $again[$i]->eventId, 'a retry from the same stored data');
            self::assertSame($milestone->toJson(), $again[$i]->toJson());
            self::assertMatchesRegularExpression('/^[A-Za-z0-9_.:-]{1,200}$/', $milestone->eventId);
        }
    }

    public function testADayInTheEventIdIsTheUtcDayOfTheStoredTime(): void
    {
        // 00:30 in Berlin is still the previous day in UTC.
        $at = new \DateTimeImmutable('2026-11-28 00:30:00', new \DateTimeZone('Europe/Berlin'));
        self::assertSame('2026-11-27', Milestone::utcDay($at));
    }

    public function testAValueOutsideTheCatalogsListIsRefusedWhenBuilt(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        Milestones::supportDiagnosticsOpened(1, 2, 3, new \DateTimeImmutable(), 4, 'tenant', 'admin_console');
    }

    public function testPayloadsRoundTripThroughAQueuedJob(): void
    {
        foreach (CatalogExamples::oneOfEach(new \DateTimeImmutable('2026-11-27T09:30:00Z')) as $milestone) {
            $carried = unserialize(serialize($milestone->payload()));
            self::assertSame($milestone->toJson(), Milestone::fromPayload($carried)->toJson());
        }
    }

    public function testEmptyMetadataIsSentAsAnObject(): void
    {
        foreach (CatalogExamples::oneOfEach(new \DateTimeImmutable('2026-11-27T09:30:00Z')) as $milestone) {
            self::assertStringContainsString('"metadata":{', $milestone->toJson());
        }
    }
}
