<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Events;

use AdoptionLedger\ErasureScope;

/**
 * The erasure job gave up: purge could not be invoked, or not finished, before
 * `queue.erasure_retry_hours` ran out (on `sync`, in the request that asked). Nothing erased is
 * restored: run it again to finish. Also reported once.
 */
final class ErasureFailed
{
    public function __construct(
        public readonly ErasureScope $scope,
        public readonly \Throwable $error,
    ) {
    }
}
