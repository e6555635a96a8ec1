<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel;

/** Reported (never thrown into a request) when record rejects a milestone: a host-app bug to fix. */
final class MilestoneRejected extends \RuntimeException
{
}
