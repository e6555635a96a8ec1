<?php

// Generated from shared/domain/src/events.rs by scripts/regenerate; do not edit by hand.

declare(strict_types=1);

namespace AdoptionLedger\Tests;

use AdoptionLedger\Milestone;
use AdoptionLedger\Milestones;

/** One valid milestone of every catalog event, in catalog order. */
final class CatalogExamples
{
    /**
     * @param string $tag lowercase letters and digits, to keep ids apart between tests
     *
     * @return list<Milestone>
     */
    public static function oneOfEach(\DateTimeInterface $at, string $tag = 'x'): array
    {
        return [
            Milestones::onboardingCheckpointCompleted("tenant-$tag", "ws-$tag", "user-$tag", $at, "subject-$tag", "value_$tag"),
            Milestones::supportDiagnosticsOpened("tenant-$tag", "ws-$tag", "user-$tag", $at, "subject-$tag", 'tenant', 'tenant_dashboard'),
            Milestones::operationStarted("tenant-$tag", "ws-$tag", "user-$tag", $at, "subject-$tag", "value_$tag"),
            Milestones::reportCreated("tenant-$tag", "ws-$tag", "user-$tag", $at, "subject-$tag", "value_$tag"),
            Milestones::reviewPackGenerationRequested("tenant-$tag", "ws-$tag", "user-$tag", $at, "subject-$tag"),
        ];
    }
}
