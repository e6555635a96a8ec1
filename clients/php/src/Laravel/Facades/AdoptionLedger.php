<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Facades;

use AdoptionLedger\Laravel\AfterCommit;
use AdoptionLedger\Laravel\Contracts\Ledger as LedgerContract;
use AdoptionLedger\Laravel\Testing\AdoptionLedgerFake;
use AdoptionLedger\Milestone;
use AdoptionLedger\RecordResult;
use Illuminate\Container\Container;
use Illuminate\Contracts\Events\Dispatcher;
use Illuminate\Support\Facades\Facade;

/**
 * @method static void         record(Milestone $milestone)
 * @method static RecordResult recordNow(Milestone $milestone)
 * @method static void         assertRecorded(string $event, ?callable $callback = null)
 * @method static void         assertRecordedTimes(string $event, int $times)
 * @method static void         assertNotRecorded(string $event, ?callable $callback = null)
 * @method static void         assertNothingRecorded()
 * @method static void         forgetTenant(string $tenantId)
 * @method static void         forgetActor(string $tenantId, string $actorId)
 * @method static void         assertTenantForgotten(string $tenantId)
 * @method static void         assertActorForgotten(string $tenantId, string $actorId)
 * @method static void         assertTenantNotForgotten(string $tenantId)
 * @method static void         assertActorNotForgotten(string $tenantId, string $actorId)
 * @method static void         assertNothingForgotten()
 * @method static AdoptionLedgerFake rejectWith(string $code, string $field)
 *
 * @see LedgerContract
 * @see AdoptionLedgerFake
 */
final class AdoptionLedger extends Facade
{
    /**
     * Swaps the ledger for a fake that keeps what would be recorded (after
     * the database commit, as the ledger sends it), for the host's own tests.
     */
    public static function fake(): AdoptionLedgerFake
    {
        $app = static::getFacadeApplication() ?? Container::getInstance();
        $fake = new AdoptionLedgerFake(new AfterCommit($app), $app->make(Dispatcher::class));
        static::swap($fake);

        return $fake;
    }

    protected static function getFacadeAccessor(): string
    {
        return LedgerContract::class;
    }
}
