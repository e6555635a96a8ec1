<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel;

/** Reported (never thrown into a request) when record rejects a milestone or purge a request: a host-app bug to fix. */
final class LedgerRejected extends \RuntimeException
{
}
