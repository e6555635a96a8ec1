<?php

declare(strict_types=1);

namespace AdoptionLedger;

/**
 * A builder of {@see Milestones} refused a value that record would refuse:
 * thrown when the milestone is built, before anything is queued or sent, with
 * record's own rejection code and field (see docs/record.md), so the host
 * finds the bug in its own code, not in a log line after the fact. The
 * message names the field and the rule, never the value.
 */
final class InvalidMilestone extends \InvalidArgumentException
{
    public function __construct(
        /** Record's rejection code, e.g. `metadata_value_charset`. */
        public readonly string $rejectCode,
        /** The field as record names it, e.g. `metadata.report_type` or `subject.id`. */
        public readonly string $field,
        string $rule,
    ) {
        parent::__construct(sprintf('%s: %s (%s)', $field, $rule, $rejectCode));
    }
}
