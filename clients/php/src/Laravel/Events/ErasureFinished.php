<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Events;

use AdoptionLedger\ErasureScope;

/**
 * Purge finished an erasure: every row of the scope (a tenant, or one person in it) is gone, and
 * its tombstone makes record refuse what arrives later.
 */
final class ErasureFinished
{
    public function __construct(
        public readonly ErasureScope $scope,
    ) {
    }
}
