<?php

// Generated from shared/domain/src/events.rs by scripts/regenerate; do not edit by hand.

declare(strict_types=1);

namespace AdoptionLedger;

/**
 * One builder per milestone of the ledger's catalog. Each takes the host's own
 * ids and the stored time of the action, and builds the record payload with
 * the catalog's deterministic event id, so every re-send lands on the same row.
 * Each refuses what record would refuse of its values (ids, the subject's
 * type, metadata), with record's code and field ({@see InvalidMilestone}):
 * only the time's rules (the future, the retention) are record's alone.
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
        self::identifier('tenant_id', $tenantId);
        self::identifier('workspace_id', $workspaceId);
        self::identifier('actor_id', $actorId);
        self::oneOf('subject.type', 'subject_type_not_allowed', $subjectType, ['onboarding_session']);
        self::identifier('subject.id', $subjectId);
        self::metadataValue('metadata.checkpoint', $checkpoint);

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
        self::identifier('tenant_id', $tenantId);
        self::identifier('workspace_id', $workspaceId);
        self::identifier('actor_id', $actorId);
        self::oneOf('subject.type', 'subject_type_not_allowed', $subjectType, ['tenant', 'operation_run']);
        self::identifier('subject.id', $subjectId);
        self::oneOf('metadata.surface', 'metadata_value_not_allowed', $surface, ['tenant_dashboard', 'operation_run_viewer']);

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
        self::identifier('tenant_id', $tenantId);
        self::identifier('workspace_id', $workspaceId);
        self::identifier('actor_id', $actorId);
        self::oneOf('subject.type', 'subject_type_not_allowed', $subjectType, ['operation_run']);
        self::identifier('subject.id', $subjectId);
        self::metadataValue('metadata.operation_type', $operationType);

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
        self::identifier('tenant_id', $tenantId);
        self::identifier('workspace_id', $workspaceId);
        self::identifier('actor_id', $actorId);
        self::oneOf('subject.type', 'subject_type_not_allowed', $subjectType, ['stored_report']);
        self::identifier('subject.id', $subjectId);
        self::metadataValue('metadata.report_type', $reportType);

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
        self::identifier('tenant_id', $tenantId);
        self::identifier('workspace_id', $workspaceId);
        self::identifier('actor_id', $actorId);
        self::oneOf('subject.type', 'subject_type_not_allowed', $subjectType, ['review_pack']);
        self::identifier('subject.id', $subjectId);

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

    /** @throws InvalidMilestone identifier_length or identifier_charset, as record answers it */
    private static function identifier(string $field, string|int $value): void
    {
        self::shaped($field, (string) $value, 'identifier_length', 'identifier_charset', '/^[\-\.0-9\:A-Z\_a-z]*$/D', 'may only contain letters, digits and _ . : -');
    }

    /** @throws InvalidMilestone metadata_value_length or metadata_value_charset, as record answers it */
    private static function metadataValue(string $field, string $value): void
    {
        self::shaped($field, $value, 'metadata_value_length', 'metadata_value_charset', '/^[\-\.0-9\:\_a-z]*$/D', 'may only contain lowercase letters, digits and _ . : -');
    }

    private static function shaped(string $field, string $value, string $lengthCode, string $charsetCode, string $pattern, string $charset): void
    {
        // Characters, not bytes, as record counts them.
        $length = mb_strlen($value, 'UTF-8');
        if (0 === $length || $length > 64) {
            throw new InvalidMilestone($lengthCode, $field, sprintf('must be 1 to 64 characters long, got %d', $length));
        }
        if (1 !== preg_match($pattern, $value)) {
            throw new InvalidMilestone($charsetCode, $field, $charset);
        }
    }

    /**
     * @param list<string> $allowed
     *
     * @throws InvalidMilestone with `$code`, as record answers it
     */
    private static function oneOf(string $field, string $code, string $value, array $allowed): void
    {
        if (!\in_array($value, $allowed, true)) {
            throw new InvalidMilestone($code, $field, 'must be one of: '.implode(', ', $allowed));
        }
    }
}
