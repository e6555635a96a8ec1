<?php

declare(strict_types=1);

namespace AdoptionLedger;

/**
 * Recording did not happen and may succeed later: the function could not be
 * reached in time, was not allowed to be invoked, or could not store the
 * milestone. Retry it (the queued job does, with backoff); never treat it as
 * a rejection.
 */
final class RecordingFailed extends \RuntimeException
{
}
