<?php

declare(strict_types=1);

namespace AdoptionLedger\Tests\Unit;

use AdoptionLedger\InvalidMilestone;
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
        $this->expectException(InvalidMilestone::class);
        $this->expectExceptionMessage('metadata.surface: must be one of: tenant_dashboard, operation_run_viewer (metadata_value_not_allowed)');
        Milestones::supportDiagnosticsOpened(1, 2, 3, new \DateTimeImmutable(), 4, 'tenant', 'admin_console');
    }

    public function testEachBuilderRefusesEveryValueRecordRefusesWithRecordsCodeAndField(): void
    {
        $cases = CatalogExamples::rejections();
        self::assertGreaterThanOrEqual(\count(Milestones::EVENTS) * 17, \count($cases), 'four ids, four bad values each, and the subject type, per event');
        $arguments = CatalogExamples::arguments(new \DateTimeImmutable('-1 minute'));
        foreach ($cases as [$builder, $argument, $value, $code, $field]) {
            try {
                Milestones::$builder(...[$argument => $value] + $arguments[$builder]);
                self::fail("$builder accepted $argument = ".var_export($value, true));
            } catch (InvalidMilestone $refused) {
                self::assertSame([$code, $field], [$refused->rejectCode, $refused->field], "$builder($argument: ".var_export($value, true).')');
                self::assertStringNotContainsString($value ?: "\0", $refused->getMessage(), 'the message never holds the value');
            }
        }
    }

    public function testIdsAreCountedInCharactersAsRecordCountsThem(): void
    {
        $arguments = CatalogExamples::arguments(new \DateTimeImmutable('-1 minute'))['reportCreated'];
        // 64 characters of one byte each pass; 'é' is one character but outside the charset.
        self::assertSame(str_repeat('a', 64), Milestones::reportCreated(...['tenantId' => str_repeat('a', 64)] + $arguments)->tenantId);
        self::assertSame('42', Milestones::reportCreated(...['actorId' => 42] + $arguments)->actorId, 'an integer id is its decimal text');
        $this->expectExceptionObject(new InvalidMilestone('identifier_length', 'tenant_id', 'must be 1 to 64 characters long, got 65'));
        Milestones::reportCreated(...['tenantId' => str_repeat('é', 65)] + $arguments);
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
