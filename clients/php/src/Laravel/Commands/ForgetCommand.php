<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Commands;

use AdoptionLedger\ErasureScope;
use AdoptionLedger\InvalidErasure;
use AdoptionLedger\Laravel\Reporter;
use AdoptionLedger\PurgeFailed;
use AdoptionLedger\Purger;
use AdoptionLedger\PurgeResult;
use Illuminate\Console\Command;
use Illuminate\Console\ConfirmableTrait;

/**
 * `php artisan adoption-ledger:forget {tenant} [--actor=] [--force]`: erases
 * a tenant's milestones, or one person's within it, now, invoking purge until
 * it is done and printing each invocation's progress. For a runbook by hand;
 * the host's offboarding code dispatches ForgetTenant or ForgetActor instead.
 *
 * It takes exactly what it names: `--actor` given empty or blank (an unset
 * shell variable) is refused, never read as "the whole tenant". In every
 * environment but `local` and `testing` it asks for confirmation first;
 * `--force` skips the question. Its outcome is an event, as a job's is
 * ({@see Reporter}).
 */
final class ForgetCommand extends Command
{
    use ConfirmableTrait;

    protected $signature = 'adoption-ledger:forget
        {tenant : the tenant id}
        {--actor= : only this person\'s milestones within the tenant}
        {--force : do not ask for confirmation (asked everywhere but local and testing)}';

    protected $description = 'Erase a tenant\'s milestones from the adoption ledger, or one person\'s within it';

    public function handle(Purger $purger, Reporter $reporter): int
    {
        try {
            $scope = $this->scope();
        } catch (InvalidErasure $error) {
            $this->error($error->getMessage().('actor_id' === $error->field ? '. To erase the whole tenant, leave --actor out.' : '.'));

            return self::INVALID;
        }
        $what = ErasureScope::TENANT === $scope->scope
            ? sprintf('every milestone of tenant %s', $scope->tenantId)
            : sprintf('one person\'s milestones in tenant %s', $scope->tenantId);
        // Everywhere but on a developer's machine and in tests: staging, `prod`
        // or `live` erase real people as surely as `production` does.
        $ask = fn (): bool => !$this->getLaravel()->environment(['local', 'testing']);
        if (!$this->confirmToProceed(sprintf('This erases %s, for good.', $what), $ask)) {
            return self::FAILURE;
        }
        try {
            $result = $purger->purge($scope, 1000, function (PurgeResult $answer, int $invocation): void {
                $this->line(sprintf('invocation %d: %s, %d row(s) deleted', $invocation, $answer->status, $answer->rowsDeleted));
            });
        } catch (PurgeFailed $error) {
            $this->error('purge could not be invoked: '.$error->getMessage());
            if (403 === $error->getCode()) {
                $this->line("This role may not invoke it: attach the stack's HostAppPurgeInvokePolicyArn to the offboarding role.");
            }

            return self::FAILURE;
        }
        $reporter->erasureAnswered($scope, $result);
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

    /**
     * The tenant alone only when `--actor` was not given at all; given in any
     * form (`--actor=`, `--actor ""`, `--actor`), it must name a person.
     *
     * @throws InvalidErasure
     */
    private function scope(): ErasureScope
    {
        $tenant = (string) $this->argument('tenant');
        if (!$this->input->hasParameterOption('--actor') && null === $this->option('actor')) {
            return ErasureScope::tenant($tenant);
        }

        return ErasureScope::actor($tenant, (string) $this->option('actor'));
    }
}
