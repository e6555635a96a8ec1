<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel;

use Illuminate\Contracts\Container\Container;

/**
 * Runs a callback once the current database transaction commits: at once
 * outside a transaction, and never when it rolls back. Laravel's own
 * `afterCommit` on a job does not hold on the `sync` queue connection (Laravel
 * 8 runs the job at dispatch), so the ledger defers its dispatch itself,
 * whatever the connection.
 */
final class AfterCommit
{
    public function __construct(private readonly Container $app)
    {
    }

    public function run(callable $callback): void
    {
        if ($this->app->bound('db.transactions')) {
            $this->app->make('db.transactions')->addCallback($callback);

            return;
        }
        $callback();
    }
}
