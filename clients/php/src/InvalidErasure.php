<?php

declare(strict_types=1);

namespace AdoptionLedger;

/** An erasure that names nothing it can take (an empty or blank id): refused before anything is sent. */
final class InvalidErasure extends \InvalidArgumentException
{
    public function __construct(public readonly string $field, string $message)
    {
        parent::__construct($message);
    }
}
