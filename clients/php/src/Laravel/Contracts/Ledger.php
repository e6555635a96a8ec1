<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Contracts;

use AdoptionLedger\Milestone;
use AdoptionLedger\RecordResult;

/**
 * What the `AdoptionLedger` facade offers: the ledger, and its fake for the
 * host's tests ({@see \AdoptionLedger\Laravel\Testing\AdoptionLedgerFake}),
 * both honouring the database transaction the call is made in.
 */
interface Ledger
{
    /**
     * Records the milestone after the current database transaction commits
     * (at once outside one; never if it rolls back). Never throws into the
     * caller's request.
     */
    public function record(Milestone $milestone): void;

    /**
     * Records now and returns the answer: for back-fills, scripts and checks,
     * never for a user's request.
     *
     * @throws \AdoptionLedger\RecordingFailed when it may succeed later
     */
    public function recordNow(Milestone $milestone): RecordResult;

    /**
     * Erases every milestone of the tenant (offboarding), after the current
     * transaction commits.
     *
     * @throws \AdoptionLedger\InvalidErasure for an empty or blank id
     */
    public function forgetTenant(string $tenantId): void;

    /**
     * Erases one person's milestones within one tenant, after the current
     * transaction commits. Call it once per tenant the person acted in.
     *
     * @throws \AdoptionLedger\InvalidErasure for an empty or blank id
     */
    public function forgetActor(string $tenantId, string $actorId): void;
}
