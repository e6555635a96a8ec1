<?php

declare(strict_types=1);

namespace AdoptionLedger;

/**
 * How record answered: recorded, duplicate (already there), purged (a purge
 * erased its tenant or person after it occurred: never stored, and sending it
 * again changes nothing) or rejected (with the field it names).
 */
final class RecordResult
{
    public const RECORDED = 'recorded';
    public const DUPLICATE = 'duplicate';
    public const REJECTED = 'rejected';
    public const PURGED = 'purged';

    private function __construct(
        public readonly string $status,
        public readonly string $eventId,
        public readonly ?string $code = null,
        public readonly ?string $field = null,
        public readonly ?string $message = null,
    ) {
    }

    /**
     * Reads record's answer.
     *
     * @throws RecordingFailed when the answer is not one record gives
     */
    public static function fromResponse(array $response, string $eventId): self
    {
        $status = $response['status'] ?? null;
        if (self::RECORDED === $status || self::DUPLICATE === $status || self::PURGED === $status) {
            return new self($status, (string) ($response['event_id'] ?? $eventId));
        }
        if (self::REJECTED === $status && \is_array($response['error'] ?? null)) {
            $error = $response['error'];

            return new self(self::REJECTED, $eventId, (string) ($error['code'] ?? ''), (string) ($error['field'] ?? ''), (string) ($error['message'] ?? ''));
        }

        throw new RecordingFailed('record answered something it never answers: '.substr(json_encode($response) ?: '?', 0, 200));
    }

    /** A result for drivers that store nothing (log, null, the fake). */
    public static function accepted(Milestone $milestone): self
    {
        return new self(self::RECORDED, $milestone->eventId);
    }

    /** Stored, now or before. */
    public function isStored(): bool
    {
        return self::RECORDED === $this->status || self::DUPLICATE === $this->status;
    }

    /** Erased by a purge that came after it occurred: never stored, and never to be sent again. */
    public function isPurged(): bool
    {
        return self::PURGED === $this->status;
    }

    public function isRejected(): bool
    {
        return self::REJECTED === $this->status;
    }
}
