<?php

// Generated from shared/domain/src/events.rs by scripts/regenerate; do not edit by hand.

declare(strict_types=1);

namespace AdoptionLedger;

/**
 * One builder per milestone of the ledger's catalog. Each takes the host's own
 * ids and the stored time of the action, and builds the record payload with
 * the catalog's deterministic event id, so every re-send lands on the same row.
 */
final class Milestones
{
    /** The events, by name: for the fake's assertions and the host's own code. */
    public const ONBOARDING_CHECKPOINT_COMPLETED = 'onboarding.checkpoint_completed';
    public const SUPPORT_DIAGNOSTICS_OPENED = 'support.diagnostics_opened';
    public const OPERATION_STARTED = 'operation.started';
    public const REPORT_CREATED = 'report.created';
    public const REVIEW_PACK_GENERATION_REQUESTED = 'review_pack.generation_requested';

    /** Every event of the catalog, in catalog order. */
    public const EVENTS = [
        self::ONBOARDING_CHECKPOINT_COMPLETED,
        self::SUPPORT_DIAGNOSTICS_OPENED,
        self::OPERATION_STARTED,
        self::REPORT_CREATED,
        self::REVIEW_PACK_GENERATION_REQUESTED,
    ];

    /**
     * Onboarding checkpoint completed (onboarding). One event id per milestone: a checkpoint completes once per workspace, whoever completes it.
     * Sent again with other content, it is a duplicate: the first one wins.
     *
     * @param \DateTimeInterface $occurredAt when it happened, from stored data; never "now" at send time
     */
    public static function onboardingCheckpointCompleted(
        string|int $tenantId,
        string|int $workspaceId,
        string|int $actorId,
        \DateTimeInterface $occurredAt,
        string|int $subjectId,
        string $checkpoint,
        string $subjectType = 'onboarding_session',
    ): Milestone {
        self::oneOf('subjectType', $subjectType, ['onboarding_session']);

        return Milestone::build(
            'onboarding.checkpoint_completed',
            $tenantId,
            $workspaceId,
            $actorId,
            $occurredAt,
            ['type' => $subjectType, 'id' => (string) $subjectId],
            ['checkpoint' => $checkpoint],
            [(string) $workspaceId, $checkpoint],
        );
    }

    /**
     * Support diagnostics opened (support). One event id per milestone: one count per person, subject and day, however often the page is reloaded.
     * Sent again with other content, it is a duplicate: the first one wins.
     *
     * @param \DateTimeInterface $occurredAt when it happened, from stored data; never "now" at send time
     */
    public static function supportDiagnosticsOpened(
        string|int $tenantId,
        string|int $workspaceId,
        string|int $actorId,
        \DateTimeInterface $occurredAt,
        string|int $subjectId,
        string $subjectType,
        string $surface,
    ): Milestone {
        self::oneOf('subjectType', $subjectType, ['tenant', 'operation_run']);
        self::oneOf('surface', $surface, ['tenant_dashboard', 'operation_run_viewer']);

        return Milestone::build(
            'support.diagnostics_opened',
            $tenantId,
            $workspaceId,
            $actorId,
            $occurredAt,
            ['type' => $subjectType, 'id' => (string) $subjectId],
            ['surface' => $surface],
            [(string) $subjectId, (string) $actorId, Milestone::utcDay($occurredAt)],
        );
    }

    /**
     * Operation started (operations). One event id per milestone: one run starts once.
     * Sent again with other content, it is rejected (idempotency_conflict): build it from stored data only.
     *
     * @param \DateTimeInterface $occurredAt when it happened, from stored data; never "now" at send time
     */
    public static function operationStarted(
        string|int $tenantId,
        string|int $workspaceId,
        string|int $actorId,
        \DateTimeInterface $occurredAt,
        string|int $subjectId,
        string $operationType,
        string $subjectType = 'operation_run',
    ): Milestone {
        self::oneOf('subjectType', $subjectType, ['operation_run']);

        return Milestone::build(
            'operation.started',
            $tenantId,
            $workspaceId,
            $actorId,
            $occurredAt,
            ['type' => $subjectType, 'id' => (string) $subjectId],
            ['operation_type' => $operationType],
            [(string) $subjectId],
        );
    }

    /**
     * Report created (reports). One event id per milestone: one report is created once.
     * Sent again with other content, it is rejected (idempotency_conflict): build it from stored data only.
     *
     * @param \DateTimeInterface $occurredAt when it happened, from stored data; never "now" at send time
     */
    public static function reportCreated(
        string|int $tenantId,
        string|int $workspaceId,
        string|int $actorId,
        \DateTimeInterface $occurredAt,
        string|int $subjectId,
        string $reportType,
        string $subjectType = 'stored_report',
    ): Milestone {
        self::oneOf('subjectType', $subjectType, ['stored_report']);

        return Milestone::build(
            'report.created',
            $tenantId,
            $workspaceId,
            $actorId,
            $occurredAt,
            ['type' => $subjectType, 'id' => (string) $subjectId],
            ['report_type' => $reportType],
            [(string) $subjectId],
        );
    }

    /**
     * Review pack generation requested (review_packs). One event id per milestone: one request per pack.
     * Sent again with other content, it is rejected (idempotency_conflict): build it from stored data only.
     *
     * @param \DateTimeInterface $occurredAt when it happened, from stored data; never "now" at send time
     */
    public static function reviewPackGenerationRequested(
        string|int $tenantId,
        string|int $workspaceId,
        string|int $actorId,
        \DateTimeInterface $occurredAt,
        string|int $subjectId,
        string $subjectType = 'review_pack',
    ): Milestone {
        self::oneOf('subjectType', $subjectType, ['review_pack']);

        return Milestone::build(
            'review_pack.generation_requested',
            $tenantId,
            $workspaceId,
            $actorId,
            $occurredAt,
            ['type' => $subjectType, 'id' => (string) $subjectId],
            [],
            [(string) $subjectId],
        );
    }

    /** @param list<string> $allowed */
    private static function oneOf(string $name, string $value, array $allowed): void
    {
        if (!\in_array($value, $allowed, true)) {
            throw new \InvalidArgumentException(sprintf('%s must be one of: %s', $name, implode(', ', $allowed)));
        }
    }
}
