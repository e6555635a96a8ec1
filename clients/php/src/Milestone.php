<?php

declare(strict_types=1);

namespace AdoptionLedger;

/**
 * One milestone, ready to send: the record request payload, built only by
 * {@see Milestones} (generated from the ledger's catalog), so its event id
 * follows the catalog's scheme and its time comes from stored data.
 */
final class Milestone
{
    /**
     * @param array{type: string, id: string}|null $subject
     * @param array<string, string>                $metadata
     */
    private function __construct(
        public readonly string $event,
        public readonly string $tenantId,
        public readonly string $workspaceId,
        public readonly string $actorId,
        public readonly string $eventId,
        public readonly string $occurredAt,
        public readonly ?array $subject,
        public readonly array $metadata,
    ) {
    }

    /**
     * @internal for the generated {@see Milestones} only
     *
     * @param array{type: string, id: string}|null $subject
     * @param array<string, string>                $metadata
     * @param list<string>                         $eventIdParts after the event name
     */
    public static function build(
        string $event,
        string|int $tenantId,
        string|int $workspaceId,
        string|int $actorId,
        \DateTimeInterface $occurredAt,
        ?array $subject,
        array $metadata,
        array $eventIdParts,
    ): self {
        return new self(
            $event,
            (string) $tenantId,
            (string) $workspaceId,
            (string) $actorId,
            implode(':', [$event, ...$eventIdParts]),
            self::utcMillis($occurredAt),
            $subject,
            $metadata,
        );
    }

    /** The time as the ledger stores it: UTC with milliseconds, e.g. 2026-11-27T09:30:00.123Z. */
    public static function utcMillis(\DateTimeInterface $at): string
    {
        return \DateTimeImmutable::createFromInterface($at)
            ->setTimezone(new \DateTimeZone('UTC'))
            ->format('Y-m-d\TH:i:s.v\Z');
    }

    /** The UTC day of a time, as event ids carry it. */
    public static function utcDay(\DateTimeInterface $at): string
    {
        return substr(self::utcMillis($at), 0, 10);
    }

    /** The record request payload. */
    public function payload(): array
    {
        $payload = [
            'event' => $this->event,
            'tenant_id' => $this->tenantId,
            'workspace_id' => $this->workspaceId,
            'actor_id' => $this->actorId,
            'event_id' => $this->eventId,
            'occurred_at' => $this->occurredAt,
        ];
        if (null !== $this->subject) {
            $payload['subject'] = $this->subject;
        }
        // An empty metadata list is sent as {}: record accepts both.
        $payload['metadata'] = (object) $this->metadata;

        return $payload;
    }

    public function toJson(): string
    {
        return json_encode($this->payload(), \JSON_THROW_ON_ERROR | \JSON_UNESCAPED_SLASHES);
    }

    /**
     * A milestone from a payload this package built, e.g. one a queued job
     * carried. The payload is trusted: the function validates it again.
     */
    public static function fromPayload(array $payload): self
    {
        return new self(
            (string) $payload['event'],
            (string) $payload['tenant_id'],
            (string) $payload['workspace_id'],
            (string) $payload['actor_id'],
            (string) $payload['event_id'],
            (string) $payload['occurred_at'],
            isset($payload['subject']) ? ['type' => (string) $payload['subject']['type'], 'id' => (string) $payload['subject']['id']] : null,
            array_map('strval', (array) ($payload['metadata'] ?? [])),
        );
    }
}
