<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel;

/**
 * Reported (never thrown into a request) when a milestone or a purge could
 * not be done after its last try: the ledger was unreachable, refused this
 * server's role, or could not store. Its message names the event and the
 * cause, never an id.
 */
final class MilestoneNotRecorded extends \RuntimeException
{
}
