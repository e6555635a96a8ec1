<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel;

use AdoptionLedger\Aws\LambdaApi;
use AdoptionLedger\RecordingFailed;
use Illuminate\Console\Command;

/**
 * `php artisan adoption-ledger:check`: proves that the record function is
 * reachable and that this server's role may invoke it, and writes nothing. It
 * sends an empty payload, which record must reject as `missing_field` on
 * `event`: any other answer, or none, fails the check.
 */
final class CheckCommand extends Command
{
    protected $signature = 'adoption-ledger:check';

    protected $description = 'Check that the adoption ledger\'s record function is reachable and may be invoked (writes nothing)';

    public function handle(LambdaApi $lambda): int
    {
        $function = (string) config('adoption-ledger.record_function');
        if ('lambda' !== config('adoption-ledger.driver')) {
            $this->warn(sprintf('The driver is "%s": nothing is sent to AWS. Checking %s anyway.', config('adoption-ledger.driver'), $function));
        }
        try {
            $answer = $lambda->invoke($function, '{}');
        } catch (RecordingFailed $error) {
            $this->error('The record function could not be invoked: '.$error->getMessage());
            if (403 === $error->getCode()) {
                $this->line("This server's role may not invoke it: attach the stack's HostAppRecordInvokePolicyArn to the role.");
            }

            return self::FAILURE;
        }
        $code = $answer['error']['code'] ?? null;
        $field = $answer['error']['field'] ?? null;
        if ('rejected' === ($answer['status'] ?? null) && 'missing_field' === $code && 'event' === $field) {
            $this->info(sprintf('%s is reachable and may be invoked (it rejected the empty check payload as expected; nothing was written).', $function));

            return self::SUCCESS;
        }
        $this->error(sprintf('%s answered unexpectedly: %s', $function, json_encode($answer)));

        return self::FAILURE;
    }
}
