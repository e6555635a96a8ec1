<?php

// Generated from shared/domain/src/events.rs by scripts/regenerate; do not edit by hand.

declare(strict_types=1);

namespace AdoptionLedger\Tests;

use AdoptionLedger\Milestone;
use AdoptionLedger\Milestones;

/** Valid milestones of every catalog event, in catalog order, and every value record refuses of them. */
final class CatalogExamples
{
    /**
     * @param string $tag lowercase letters and digits, to keep ids apart between tests
     *
     * @return list<Milestone>
     */
    public static function oneOfEach(\DateTimeInterface $at, string $tag = 'x'): array
    {
        $milestones = [];
        foreach (self::arguments($at, $tag) as $builder => $arguments) {
            $milestones[] = Milestones::$builder(...$arguments);
        }

        return $milestones;
    }

    /**
     * Each builder's valid arguments, by name.
     *
     * @return array<string, array<string, mixed>>
     */
    public static function arguments(\DateTimeInterface $at, string $tag = 'x'): array
    {
        return [
            'onboardingCheckpointCompleted' => ['tenantId' => "tenant-$tag", 'workspaceId' => "ws-$tag", 'actorId' => "user-$tag", 'occurredAt' => $at, 'subjectId' => "subject-$tag", 'subjectType' => 'onboarding_session', 'checkpoint' => "value_$tag"],
            'supportDiagnosticsOpened' => ['tenantId' => "tenant-$tag", 'workspaceId' => "ws-$tag", 'actorId' => "user-$tag", 'occurredAt' => $at, 'subjectId' => "subject-$tag", 'subjectType' => 'tenant', 'surface' => 'tenant_dashboard'],
            'operationStarted' => ['tenantId' => "tenant-$tag", 'workspaceId' => "ws-$tag", 'actorId' => "user-$tag", 'occurredAt' => $at, 'subjectId' => "subject-$tag", 'subjectType' => 'operation_run', 'operationType' => "value_$tag"],
            'reportCreated' => ['tenantId' => "tenant-$tag", 'workspaceId' => "ws-$tag", 'actorId' => "user-$tag", 'occurredAt' => $at, 'subjectId' => "subject-$tag", 'subjectType' => 'stored_report', 'reportType' => "value_$tag"],
            'reviewPackGenerationRequested' => ['tenantId' => "tenant-$tag", 'workspaceId' => "ws-$tag", 'actorId' => "user-$tag", 'occurredAt' => $at, 'subjectId' => "subject-$tag", 'subjectType' => 'review_pack'],
        ];
    }

    /**
     * Every value record refuses of a milestone, one argument at a time:
     * the builder, the argument, the value, and record's code and field.
     *
     * @return list<array{0: string, 1: string, 2: string, 3: string, 4: string}>
     */
    public static function rejections(): array
    {
        return [
            ['onboardingCheckpointCompleted', 'tenantId', '', 'identifier_length', 'tenant_id'],
            ['onboardingCheckpointCompleted', 'tenantId', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'identifier_length', 'tenant_id'],
            ['onboardingCheckpointCompleted', 'tenantId', 'user@example.com', 'identifier_charset', 'tenant_id'],
            ['onboardingCheckpointCompleted', 'tenantId', 'café', 'identifier_charset', 'tenant_id'],
            ['onboardingCheckpointCompleted', 'workspaceId', '', 'identifier_length', 'workspace_id'],
            ['onboardingCheckpointCompleted', 'workspaceId', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'identifier_length', 'workspace_id'],
            ['onboardingCheckpointCompleted', 'workspaceId', 'user@example.com', 'identifier_charset', 'workspace_id'],
            ['onboardingCheckpointCompleted', 'workspaceId', 'café', 'identifier_charset', 'workspace_id'],
            ['onboardingCheckpointCompleted', 'actorId', '', 'identifier_length', 'actor_id'],
            ['onboardingCheckpointCompleted', 'actorId', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'identifier_length', 'actor_id'],
            ['onboardingCheckpointCompleted', 'actorId', 'user@example.com', 'identifier_charset', 'actor_id'],
            ['onboardingCheckpointCompleted', 'actorId', 'café', 'identifier_charset', 'actor_id'],
            ['onboardingCheckpointCompleted', 'subjectId', '', 'identifier_length', 'subject.id'],
            ['onboardingCheckpointCompleted', 'subjectId', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'identifier_length', 'subject.id'],
            ['onboardingCheckpointCompleted', 'subjectId', 'user@example.com', 'identifier_charset', 'subject.id'],
            ['onboardingCheckpointCompleted', 'subjectId', 'café', 'identifier_charset', 'subject.id'],
            ['onboardingCheckpointCompleted', 'subjectType', 'not_a_subject_type', 'subject_type_not_allowed', 'subject.type'],
            ['onboardingCheckpointCompleted', 'checkpoint', '', 'metadata_value_length', 'metadata.checkpoint'],
            ['onboardingCheckpointCompleted', 'checkpoint', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'metadata_value_length', 'metadata.checkpoint'],
            ['onboardingCheckpointCompleted', 'checkpoint', 'Upper', 'metadata_value_charset', 'metadata.checkpoint'],
            ['onboardingCheckpointCompleted', 'checkpoint', 'two words', 'metadata_value_charset', 'metadata.checkpoint'],
            ['supportDiagnosticsOpened', 'tenantId', '', 'identifier_length', 'tenant_id'],
            ['supportDiagnosticsOpened', 'tenantId', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'identifier_length', 'tenant_id'],
            ['supportDiagnosticsOpened', 'tenantId', 'user@example.com', 'identifier_charset', 'tenant_id'],
            ['supportDiagnosticsOpened', 'tenantId', 'café', 'identifier_charset', 'tenant_id'],
            ['supportDiagnosticsOpened', 'workspaceId', '', 'identifier_length', 'workspace_id'],
            ['supportDiagnosticsOpened', 'workspaceId', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'identifier_length', 'workspace_id'],
            ['supportDiagnosticsOpened', 'workspaceId', 'user@example.com', 'identifier_charset', 'workspace_id'],
            ['supportDiagnosticsOpened', 'workspaceId', 'café', 'identifier_charset', 'workspace_id'],
            ['supportDiagnosticsOpened', 'actorId', '', 'identifier_length', 'actor_id'],
            ['supportDiagnosticsOpened', 'actorId', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'identifier_length', 'actor_id'],
            ['supportDiagnosticsOpened', 'actorId', 'user@example.com', 'identifier_charset', 'actor_id'],
            ['supportDiagnosticsOpened', 'actorId', 'café', 'identifier_charset', 'actor_id'],
            ['supportDiagnosticsOpened', 'subjectId', '', 'identifier_length', 'subject.id'],
            ['supportDiagnosticsOpened', 'subjectId', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'identifier_length', 'subject.id'],
            ['supportDiagnosticsOpened', 'subjectId', 'user@example.com', 'identifier_charset', 'subject.id'],
            ['supportDiagnosticsOpened', 'subjectId', 'café', 'identifier_charset', 'subject.id'],
            ['supportDiagnosticsOpened', 'subjectType', 'not_a_subject_type', 'subject_type_not_allowed', 'subject.type'],
            ['supportDiagnosticsOpened', 'surface', 'not_in_the_list', 'metadata_value_not_allowed', 'metadata.surface'],
            ['operationStarted', 'tenantId', '', 'identifier_length', 'tenant_id'],
            ['operationStarted', 'tenantId', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'identifier_length', 'tenant_id'],
            ['operationStarted', 'tenantId', 'user@example.com', 'identifier_charset', 'tenant_id'],
            ['operationStarted', 'tenantId', 'café', 'identifier_charset', 'tenant_id'],
            ['operationStarted', 'workspaceId', '', 'identifier_length', 'workspace_id'],
            ['operationStarted', 'workspaceId', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'identifier_length', 'workspace_id'],
            ['operationStarted', 'workspaceId', 'user@example.com', 'identifier_charset', 'workspace_id'],
            ['operationStarted', 'workspaceId', 'café', 'identifier_charset', 'workspace_id'],
            ['operationStarted', 'actorId', '', 'identifier_length', 'actor_id'],
            ['operationStarted', 'actorId', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'identifier_length', 'actor_id'],
            ['operationStarted', 'actorId', 'user@example.com', 'identifier_charset', 'actor_id'],
            ['operationStarted', 'actorId', 'café', 'identifier_charset', 'actor_id'],
            ['operationStarted', 'subjectId', '', 'identifier_length', 'subject.id'],
            ['operationStarted', 'subjectId', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'identifier_length', 'subject.id'],
            ['operationStarted', 'subjectId', 'user@example.com', 'identifier_charset', 'subject.id'],
            ['operationStarted', 'subjectId', 'café', 'identifier_charset', 'subject.id'],
            ['operationStarted', 'subjectType', 'not_a_subject_type', 'subject_type_not_allowed', 'subject.type'],
            ['operationStarted', 'operationType', '', 'metadata_value_length', 'metadata.operation_type'],
            ['operationStarted', 'operationType', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'metadata_value_length', 'metadata.operation_type'],
            ['operationStarted', 'operationType', 'Upper', 'metadata_value_charset', 'metadata.operation_type'],
            ['operationStarted', 'operationType', 'two words', 'metadata_value_charset', 'metadata.operation_type'],
            ['reportCreated', 'tenantId', '', 'identifier_length', 'tenant_id'],
            ['reportCreated', 'tenantId', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'identifier_length', 'tenant_id'],
            ['reportCreated', 'tenantId', 'user@example.com', 'identifier_charset', 'tenant_id'],
            ['reportCreated', 'tenantId', 'café', 'identifier_charset', 'tenant_id'],
            ['reportCreated', 'workspaceId', '', 'identifier_length', 'workspace_id'],
            ['reportCreated', 'workspaceId', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'identifier_length', 'workspace_id'],
            ['reportCreated', 'workspaceId', 'user@example.com', 'identifier_charset', 'workspace_id'],
            ['reportCreated', 'workspaceId', 'café', 'identifier_charset', 'workspace_id'],
            ['reportCreated', 'actorId', '', 'identifier_length', 'actor_id'],
            ['reportCreated', 'actorId', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'identifier_length', 'actor_id'],
            ['reportCreated', 'actorId', 'user@example.com', 'identifier_charset', 'actor_id'],
            ['reportCreated', 'actorId', 'café', 'identifier_charset', 'actor_id'],
            ['reportCreated', 'subjectId', '', 'identifier_length', 'subject.id'],
            ['reportCreated', 'subjectId', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'identifier_length', 'subject.id'],
            ['reportCreated', 'subjectId', 'user@example.com', 'identifier_charset', 'subject.id'],
            ['reportCreated', 'subjectId', 'café', 'identifier_charset', 'subject.id'],
            ['reportCreated', 'subjectType', 'not_a_subject_type', 'subject_type_not_allowed', 'subject.type'],
            ['reportCreated', 'reportType', '', 'metadata_value_length', 'metadata.report_type'],
            ['reportCreated', 'reportType', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'metadata_value_length', 'metadata.report_type'],
            ['reportCreated', 'reportType', 'Upper', 'metadata_value_charset', 'metadata.report_type'],
            ['reportCreated', 'reportType', 'two words', 'metadata_value_charset', 'metadata.report_type'],
            ['reviewPackGenerationRequested', 'tenantId', '', 'identifier_length', 'tenant_id'],
            ['reviewPackGenerationRequested', 'tenantId', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'identifier_length', 'tenant_id'],
            ['reviewPackGenerationRequested', 'tenantId', 'user@example.com', 'identifier_charset', 'tenant_id'],
            ['reviewPackGenerationRequested', 'tenantId', 'café', 'identifier_charset', 'tenant_id'],
            ['reviewPackGenerationRequested', 'workspaceId', '', 'identifier_length', 'workspace_id'],
            ['reviewPackGenerationRequested', 'workspaceId', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'identifier_length', 'workspace_id'],
            ['reviewPackGenerationRequested', 'workspaceId', 'user@example.com', 'identifier_charset', 'workspace_id'],
            ['reviewPackGenerationRequested', 'workspaceId', 'café', 'identifier_charset', 'workspace_id'],
            ['reviewPackGenerationRequested', 'actorId', '', 'identifier_length', 'actor_id'],
            ['reviewPackGenerationRequested', 'actorId', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'identifier_length', 'actor_id'],
            ['reviewPackGenerationRequested', 'actorId', 'user@example.com', 'identifier_charset', 'actor_id'],
            ['reviewPackGenerationRequested', 'actorId', 'café', 'identifier_charset', 'actor_id'],
            ['reviewPackGenerationRequested', 'subjectId', '', 'identifier_length', 'subject.id'],
            ['reviewPackGenerationRequested', 'subjectId', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'identifier_length', 'subject.id'],
            ['reviewPackGenerationRequested', 'subjectId', 'user@example.com', 'identifier_charset', 'subject.id'],
            ['reviewPackGenerationRequested', 'subjectId', 'café', 'identifier_charset', 'subject.id'],
            ['reviewPackGenerationRequested', 'subjectType', 'not_a_subject_type', 'subject_type_not_allowed', 'subject.type'],
        ];
    }
}
