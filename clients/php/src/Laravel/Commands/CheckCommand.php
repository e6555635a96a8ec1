<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Commands;

use AdoptionLedger\Aws\LambdaApi;
use AdoptionLedger\Aws\SummaryApi;
use AdoptionLedger\Laravel\AdoptionLedgerServiceProvider;
use AdoptionLedger\RecordingFailed;
use Illuminate\Console\Command;

/**
 * `php artisan adoption-ledger:check`: reports a setting it cannot
 * understand, proves that the record and purge functions the configuration
 * names exist and that this server's role may invoke them, and, when a
 * summary URL is set, that the summary API answers this server's role. It uses Lambda's `DryRun` invocation type, which checks both
 * without running the function: nothing is written, nothing is counted, and
 * no alarm fires.
 *
 * Purge is this process's business only where it runs the erasure queue
 * (`erasure.here`): elsewhere a refusal to invoke it is reported as "erasure
 * is not configured here", not as a failure.
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

    public function handle(LambdaApi $lambda, SummaryApi $summary): int
    {
        $failed = 0;
        foreach (AdoptionLedgerServiceProvider::problems() as $problem) {
            ++$failed;
            $this->error($problem);
        }
        if (0 === $failed && 'lambda' !== config('adoption-ledger.driver')) {
            $this->warn(sprintf('The driver is %s: nothing is sent to AWS. Checking the functions anyway.', var_export(config('adoption-ledger.driver'), true)));
        }
        foreach (self::FUNCTIONS as $key => [$role, $policy]) {
            $function = (string) config("adoption-ledger.$key");
            try {
                $status = $lambda->dryRun($function);
            } catch (RecordingFailed $error) {
                if (500 === $error->getCode() && null !== config('adoption-ledger.lambda_endpoint') && $this->refusesEmpty($lambda, $function)) {
                    $this->info(sprintf('%s (the %s function) answers at the local endpoint (no DryRun there: it refused an empty request, as it must; nothing was written).', $function, $role));
                    continue;
                }
                if ('purge' === $role && 403 === $error->getCode() && !config('adoption-ledger.erasure.here')) {
                    // The web tier and the recording workers must not erase.
                    $this->line(sprintf("Erasure is not configured here: this role may not invoke %s, as it should not unless it runs the erasure queue (%s). The offboarding worker needs the stack's %s; run this check there with ADOPTION_LEDGER_ERASURE_HERE=true.", $function, (string) config('adoption-ledger.erasure.queue'), $policy));
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

        $failed += $this->checkSummary($summary) ? 0 : 1;

        return 0 === $failed ? self::SUCCESS : self::FAILURE;
    }

    /** The summary API, when a URL is set: one read of the 24h summary (it writes nothing, counts nothing). */
    private function checkSummary(SummaryApi $summary): bool
    {
        $url = config('adoption-ledger.summary_url');
        if (!\is_string($url) || '' === trim($url)) {
            $this->line('The summary API is not checked: ADOPTION_LEDGER_SUMMARY_URL is not set (the dashboard route needs it).');

            return true;
        }
        try {
            $answer = $summary->summary('24h');
        } catch (\RuntimeException $error) {
            $this->error('The summary API did not answer: '.$error->getMessage());

            return false;
        }
        if (200 === $answer['status']) {
            $this->info(sprintf('The summary API at %s answers (GET /summary?window=24h: 200).', $url));

            return true;
        }
        $this->error(sprintf('The summary API at %s answered HTTP %d.', $url, $answer['status']));
        if (403 === $answer['status']) {
            $this->line("This server's role may not call it: attach the stack's DashboardSummaryInvokePolicyArn to the role.");
        }

        return false;
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
