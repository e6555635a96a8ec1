<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Events;

use AdoptionLedger\Milestone;

/**
 * Record rejected the milestone: a host-app bug to fix (sending it again cannot change the
 * answer). `$code` is record's stable rejection code (`metadata_value_charset`, ...) and `$field`
 * the field it names (`metadata.report_type`, ...); see docs/record.md. Also logged once (event,
 * code, field) and reported once.
 */
final class MilestoneRejected
{
    public function __construct(
        public readonly Milestone $milestone,
        public readonly string $code,
        public readonly string $field,
        public readonly string $message,
    ) {
    }
}
