<?php

declare(strict_types=1);

namespace AdoptionLedger;

/**
 * What one erasure takes, named explicitly: a whole tenant, or one person
 * within it. Built only by its two named constructors, which refuse an empty
 * or blank id, so a missing actor id can never widen an erasure to the whole
 * tenant. Purge's payload carries the scope by name as well.
 */
final class ErasureScope
{
    public const TENANT = 'tenant';
    public const ACTOR = 'actor';

    private function __construct(
        public readonly string $scope,
        public readonly string $tenantId,
        public readonly ?string $actorId,
    ) {
    }

    /** Every milestone of the tenant (offboarding). */
    public static function tenant(string $tenantId): self
    {
        return new self(self::TENANT, self::id('tenant_id', $tenantId), null);
    }

    /** One person's milestones within the tenant (an erasure request). */
    public static function actor(string $tenantId, string $actorId): self
    {
        return new self(self::ACTOR, self::id('tenant_id', $tenantId), self::id('actor_id', $actorId));
    }

    /** Purge's request: the scope by name, and the ids it names. */
    public function payload(): array
    {
        return array_filter(
            ['scope' => $this->scope, 'tenant_id' => $this->tenantId, 'actor_id' => $this->actorId],
            static fn (?string $value): bool => null !== $value,
        );
    }

    /** @throws InvalidErasure when the id is empty or blank */
    private static function id(string $field, string $value): string
    {
        if ('' === trim($value)) {
            throw new InvalidErasure($field, sprintf('%s is empty: an erasure names exactly what it takes, and nothing was erased', $field));
        }

        return $value;
    }
}
