<?php

// Generated from shared/domain/src/window.rs by scripts/regenerate; do not edit by hand.

declare(strict_types=1);

namespace AdoptionLedger;

/** The summary's windows, as the summary API knows them. */
final class Windows
{
    /** Every window, shortest first. */
    public const ALL = ['24h', '7d', '30d', '90d'];

    /** The window a dashboard shows until someone picks another. */
    public const DEFAULT = '7d';

    /** Each window in words, for people and assistive technology. */
    public const LABELS = ['24h' => '24 hours', '7d' => '7 days', '30d' => '30 days', '90d' => '90 days'];
}
