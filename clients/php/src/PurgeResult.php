<?php

declare(strict_types=1);

namespace AdoptionLedger;

/** How purge answered: done, not done yet (invoke again), or rejected (with the field it names). */
final class PurgeResult
{
    public const DONE = 'done';
    public const NOT_DONE = 'not_done';
    public const REJECTED = 'rejected';

    private function __construct(
        public readonly string $status,
        public readonly int $rowsDeleted,
        public readonly int $rowsLeft = 0,
        public readonly ?string $code = null,
        public readonly ?string $field = null,
    ) {
    }

    /**
     * Reads purge's answer.
     *
     * @throws PurgeFailed when the answer is not one purge gives
     */
    public static function fromResponse(array $response): self
    {
        $status = $response['status'] ?? null;
        $count = static fn (string $key): int => (int) ($response[$key] ?? 0);
        if (self::DONE === $status || self::NOT_DONE === $status) {
            return new self($status, $count('rows_deleted'), $count('rows_left'));
        }
        if (self::REJECTED === $status && \is_array($response['error'] ?? null)) {
            return new self(self::REJECTED, 0, 0, (string) ($response['error']['code'] ?? ''), (string) ($response['error']['field'] ?? ''));
        }

        throw new PurgeFailed('purge answered something it never answers: '.substr(json_encode($response) ?: '?', 0, 200));
    }

    /** The sum of several invocations' answers: the last one's status, every row deleted. */
    public function after(self $earlier): self
    {
        return new self($this->status, $earlier->rowsDeleted + $this->rowsDeleted, $this->rowsLeft, $this->code, $this->field);
    }

    public function isDone(): bool
    {
        return self::DONE === $this->status;
    }

    public function isRejected(): bool
    {
        return self::REJECTED === $this->status;
    }
}
