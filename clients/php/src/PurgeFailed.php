<?php

declare(strict_types=1);

namespace AdoptionLedger;

/**
 * A purge did not run and may succeed later: the function could not be
 * reached in time, was not allowed to be invoked, or could not start. Retry
 * it (the queued jobs do, with backoff); nothing was deleted by that call.
 */
final class PurgeFailed extends \RuntimeException
{
}
