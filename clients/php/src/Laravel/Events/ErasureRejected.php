<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Events;

use AdoptionLedger\ErasureScope;

/**
 * Purge refused the erasure's request (a host-app bug: an id that is not one); nothing was erased
 * and it is not retried. Also logged once and reported once.
 */
final class ErasureRejected
{
    public function __construct(
        public readonly ErasureScope $scope,
        public readonly string $code,
        public readonly string $field,
    ) {
    }
}
