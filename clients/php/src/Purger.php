<?php

declare(strict_types=1);

namespace AdoptionLedger;

use AdoptionLedger\Aws\LambdaApi;

/**
 * Erases through the purge function: a whole tenant (offboarding), or one
 * person's rows within a tenant (erasure; call once per tenant the person
 * acted in). Purge stops before its deadline and answers "not done" on a
 * large tenant; this invokes it again until it answers done.
 */
final class Purger
{
    public function __construct(
        private readonly LambdaApi $lambda,
        private readonly string $function,
    ) {
    }

    /**
     * Invokes purge until it answers done or rejected, at most `$invocations`
     * times; `$progress` is called with each answer. The scope is named in
     * the request (`"scope": "tenant"` or `"actor"`), so purge itself refuses
     * a request whose actor went missing on the way.
     *
     * @param callable(PurgeResult, int): void|null $progress
     *
     * @throws PurgeFailed when purge could not be invoked or could not start
     */
    public function purge(ErasureScope $scope, int $invocations = 20, ?callable $progress = null): PurgeResult
    {
        $json = json_encode($scope->payload(), \JSON_THROW_ON_ERROR | \JSON_UNESCAPED_SLASHES);
        $total = null;
        for ($i = 1; $i <= max(1, $invocations); ++$i) {
            try {
                $answer = PurgeResult::fromResponse($this->lambda->invoke($this->function, $json));
            } catch (RecordingFailed $error) {
                throw new PurgeFailed(str_replace('record', 'purge', $error->getMessage()), $error->getCode(), $error);
            }
            $total = null === $total ? $answer : $answer->after($total);
            if (null !== $progress) {
                $progress($answer, $i);
            }
            if (!$answer->isDone() && !$answer->isRejected()) {
                continue;
            }

            return $total;
        }

        return $total;
    }
}
