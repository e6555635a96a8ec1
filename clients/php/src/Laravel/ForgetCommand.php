<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel;

use AdoptionLedger\PurgeFailed;
use AdoptionLedger\Purger;
use AdoptionLedger\PurgeResult;
use Illuminate\Console\Command;

/**
 * `php artisan adoption-ledger:forget {tenant} [--actor=]`: erases a tenant's
 * milestones, or one person's within it, now, invoking purge until it is done
 * and printing each invocation's progress. For a runbook by hand; the host's
 * offboarding code dispatches ForgetTenant or ForgetActor instead.
 */
final class ForgetCommand extends Command
{
    protected $signature = 'adoption-ledger:forget {tenant : the tenant id} {--actor= : only this person\'s milestones within the tenant}';

    protected $description = 'Erase a tenant\'s milestones from the adoption ledger, or one person\'s within it';

    public function handle(Purger $purger): int
    {
        $tenant = (string) $this->argument('tenant');
        $actor = $this->option('actor');
        $actor = \is_string($actor) && '' !== $actor ? $actor : null;
        try {
            $result = $purger->purge($tenant, $actor, 1000, function (PurgeResult $answer, int $invocation): void {
                $this->line(sprintf('invocation %d: %s, %d row(s) deleted', $invocation, $answer->status, $answer->rowsDeleted));
            });
        } catch (PurgeFailed $error) {
            $this->error('purge could not be invoked: '.$error->getMessage());
            if (403 === $error->getCode()) {
                $this->line("This role may not invoke it: attach the stack's HostAppPurgeInvokePolicyArn to the offboarding role.");
            }

            return self::FAILURE;
        }
        if ($result->isRejected()) {
            $this->error(sprintf('purge rejected the request: %s on %s', $result->code, $result->field));

            return self::INVALID;
        }
        if (!$result->isDone()) {
            $this->error(sprintf('not done after %d row(s); run the command again', $result->rowsDeleted));

            return self::FAILURE;
        }
        $this->info(sprintf('done: %d row(s) deleted', $result->rowsDeleted));

        return self::SUCCESS;
    }
}
