<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel;

use AdoptionLedger\Milestone;
use AdoptionLedger\RecordResult;
use Illuminate\Support\Facades\Facade;

/**
 * @method static void         record(Milestone $milestone)
 * @method static RecordResult recordNow(Milestone $milestone)
 * @method static void         assertRecorded(string $event, ?callable $callback = null)
 * @method static void         assertRecordedTimes(string $event, int $times)
 * @method static void         assertNothingRecorded()
 * @method static void         forgetTenant(string $tenantId)
 * @method static void         forgetActor(string $tenantId, string $actorId)
 * @method static void         assertTenantForgotten(string $tenantId)
 * @method static void         assertActorForgotten(string $tenantId, string $actorId)
 *
 * @see Ledger
 * @see AdoptionLedgerFake
 */
final class AdoptionLedger extends Facade
{
    /** Swaps the ledger for a fake that keeps what would be recorded, for the host's own tests. */
    public static function fake(): AdoptionLedgerFake
    {
        $fake = new AdoptionLedgerFake();
        static::swap($fake);

        return $fake;
    }

    protected static function getFacadeAccessor(): string
    {
        return Ledger::class;
    }
}
