<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel;

/**
 * Reported once (at boot, or by `adoption-ledger:check`), never thrown into a
 * request: a setting of config/adoption-ledger.php that cannot be understood.
 */
final class InvalidConfiguration extends \RuntimeException
{
}
