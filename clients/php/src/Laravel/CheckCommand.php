<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel;

use AdoptionLedger\Aws\LambdaApi;
use AdoptionLedger\RecordingFailed;
use Illuminate\Console\Command;

/**
 * `php artisan adoption-ledger:check`: proves that the record and purge
 * functions the configuration names exist and that this server's role may
 * invoke them. It uses Lambda's `DryRun` invocation type, which checks both
 * without running the function: nothing is written, nothing is counted, and
 * no alarm fires.
 *
 * Local work only (`lambda_endpoint` set): `cargo lambda watch` has no
 * `DryRun` and answers it with a 500, so there the check invokes each
 * function with an empty request, which it must refuse as a missing field
 * (nothing is written; no alarm exists locally).
 */
final class CheckCommand extends Command
{
    protected $signature = 'adoption-ledger:check';

    protected $description = 'Check that the adoption ledger\'s functions exist and may be invoked (runs nothing, writes nothing)';

    /** Each function the configuration names, with the stack's policy that allows invoking it. */
    private const FUNCTIONS = [
        'record_function' => ['record', 'HostAppRecordInvokePolicyArn'],
        'purge_function' => ['purge', 'HostAppPurgeInvokePolicyArn'],
    ];

    public function handle(LambdaApi $lambda): int
    {
        if ('lambda' !== config('adoption-ledger.driver')) {
            $this->warn(sprintf('The driver is "%s": nothing is sent to AWS. Checking the functions anyway.', var_export(config('adoption-ledger.driver'), true)));
        }
        $failed = 0;
        foreach (self::FUNCTIONS as $key => [$role, $policy]) {
            $function = (string) config("adoption-ledger.$key");
            try {
                $status = $lambda->dryRun($function);
            } catch (RecordingFailed $error) {
                if (500 === $error->getCode() && null !== config('adoption-ledger.lambda_endpoint') && $this->refusesEmpty($lambda, $function)) {
                    $this->info(sprintf('%s (the %s function) answers at the local endpoint (no DryRun there: it refused an empty request, as it must; nothing was written).', $function, $role));
                    continue;
                }
                ++$failed;
                $this->error(sprintf('%s (the %s function, adoption-ledger.%s) could not be invoked: %s', $function, $role, $key, $error->getMessage()));
                if (403 === $error->getCode()) {
                    $this->line(sprintf("This role may not invoke it: attach the stack's %s to the role that runs it.", $policy));
                }
                if (404 === $error->getCode()) {
                    $this->line(sprintf("No such function: set adoption-ledger.%s to the stack's %s output.", $key, ucfirst($role).'FunctionName'));
                }
                continue;
            }
            $this->info(sprintf('%s (the %s function) exists and may be invoked (DryRun, HTTP %d: nothing ran).', $function, $role, $status));
        }

        return 0 === $failed ? self::SUCCESS : self::FAILURE;
    }

    /** Whether the function refused an empty request as a missing field (the local fallback). */
    private function refusesEmpty(LambdaApi $lambda, string $function): bool
    {
        try {
            $answer = $lambda->invoke($function, '{}');
        } catch (RecordingFailed) {
            return false;
        }

        return 'rejected' === ($answer['status'] ?? null) && 'missing_field' === ($answer['error']['code'] ?? null);
    }
}
