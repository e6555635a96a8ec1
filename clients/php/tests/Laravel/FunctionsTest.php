<?php

declare(strict_types=1);

namespace AdoptionLedger\Tests\Laravel;

use AdoptionLedger\InvalidMilestone;
use AdoptionLedger\Laravel\Events\ErasureFailed;
use AdoptionLedger\Laravel\Events\ErasureFinished;
use AdoptionLedger\Laravel\Events\MilestoneDuplicate;
use AdoptionLedger\Laravel\Events\MilestoneFailed;
use AdoptionLedger\Laravel\Events\MilestonePurged;
use AdoptionLedger\Laravel\Events\MilestoneRecorded;
use AdoptionLedger\Laravel\Events\MilestoneRejected;
use AdoptionLedger\Laravel\Facades\AdoptionLedger;
use AdoptionLedger\Laravel\LedgerRejected;
use AdoptionLedger\Milestone;
use AdoptionLedger\Milestones;
use AdoptionLedger\RecordResult;
use AdoptionLedger\Tests\CatalogExamples;
use Illuminate\Contracts\Console\Kernel as ConsoleKernel;
use Illuminate\Contracts\Debug\ExceptionHandler;
use Illuminate\Contracts\Http\Kernel as HttpKernel;
use Illuminate\Foundation\Application;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Event;
use Illuminate\Support\Facades\Route;
use PHPUnit\Framework\TestCase;

/**
 * The package in a minimal Laravel app against the real functions under
 * `cargo lambda watch`, with DynamoDB Local behind the fault proxy.
 * tests/integration/php.rs starts them and sets the environment; without it
 * these tests fail, saying so.
 */
final class FunctionsTest extends TestCase
{
    private Application $app;

    protected function setUp(): void
    {
        foreach (['ADOPTION_LEDGER_LAMBDA_ENDPOINT', 'ADOPTION_LEDGER_SUMMARY_URL', 'LEDGER_TEST_DYNAMODB', 'LEDGER_TEST_TABLE', 'LEDGER_TEST_FAULT_PROXY'] as $name) {
            if (false === getenv($name)) {
                // scripts/test-php sets them, and fails on any skipped test.
                self::markTestSkipped("$name is not set: these tests call the functions; run them through scripts/test-php (or scripts/test), or start scripts/dev and set the LEDGER_TEST_* variables");
            }
        }
        $this->app = TestApp::create([
            'adoption-ledger.record_function' => 'record',
            'adoption-ledger.purge_function' => 'purge',
            'adoption-ledger.queue.tries' => 3,
            'adoption-ledger.queue.backoff' => [0],
        ]);
    }

    protected function tearDown(): void
    {
        $this->outage(false);
        AdoptionLedger::clearResolvedInstances();
        TestApp::release();
    }

    public function testEveryEventLandsExactlyOneRowWithTheExpectedFieldsAfterTheCommit(): void
    {
        $milestones = CatalogExamples::oneOfEach(new \DateTimeImmutable('-2 minutes'), 'five');
        DB::transaction(static function () use ($milestones): void {
            foreach ($milestones as $milestone) {
                AdoptionLedger::record($milestone);
            }
        });
        // A rolled-back action records nothing.
        try {
            DB::transaction(static function (): void {
                AdoptionLedger::record(CatalogExamples::oneOfEach(new \DateTimeImmutable(), 'rolledback')[0]);
                throw new \RuntimeException('the user action failed');
            });
        } catch (\RuntimeException) {
        }
        self::assertSame(\count($milestones), DB::table('jobs')->count(), 'one job per milestone, none for the rolled-back action');
        $this->work();

        $rows = $this->rows('tenant-five');
        self::assertCount(\count($milestones), $rows);
        foreach ($milestones as $milestone) {
            $matching = array_values(array_filter($rows, static fn (array $row): bool => $row['event_id'] === $milestone->eventId));
            self::assertCount(1, $matching, $milestone->eventId);
            $row = $matching[0];
            $payload = $milestone->payload();
            foreach (['event', 'tenant_id', 'workspace_id', 'actor_id', 'occurred_at'] as $field) {
                self::assertSame($payload[$field], $row[$field], "$milestone->event: $field");
            }
            self::assertSame($payload['subject'], ['type' => $row['subject_type'], 'id' => $row['subject_id']]);
            self::assertEquals((array) $payload['metadata'], $row['metadata']);
        }
        self::assertSame([], $this->rows('tenant-rolledback'));
        self::assertSame(0, DB::table('jobs')->count() + DB::table('failed_jobs')->count());
    }

    /** On `sync`, a new app's queue connection: nothing for a rolled-back action, one row for a committed one. */
    public function testOnSyncARolledBackActionLandsNoRowAndACommittedOneLandsOne(): void
    {
        $this->app['config']->set('adoption-ledger.queue.connection', 'sync');
        AdoptionLedger::clearResolvedInstances();
        $this->app->forgetInstance(\AdoptionLedger\Laravel\Ledger::class);
        [$milestone] = CatalogExamples::oneOfEach(new \DateTimeImmutable('-2 minutes'), 'syncrollback');
        try {
            DB::transaction(static function () use ($milestone): void {
                AdoptionLedger::record($milestone);
                throw new \RuntimeException('the user action failed');
            });
        } catch (\RuntimeException) {
        }
        self::assertSame([], $this->rows('tenant-syncrollback'), 'no row for a rolled-back action');
        DB::transaction(static function () use ($milestone): void {
            AdoptionLedger::record($milestone);
        });
        self::assertCount(1, $this->rows('tenant-syncrollback'), 'one row, sent after the commit');
        self::assertSame(0, DB::table('jobs')->count() + DB::table('failed_jobs')->count());
    }

    public function testResendsAsHostsReallyMakeThemAreNotConflicts(): void
    {
        $ledger = AdoptionLedger::getFacadeRoot();
        // Any retry built from the same stored data.
        $at = new \DateTimeImmutable('-10 minutes');
        foreach ([CatalogExamples::oneOfEach($at, 'resend'), CatalogExamples::oneOfEach($at, 'resend')] as $round => $milestones) {
            foreach ($milestones as $milestone) {
                self::assertSame(0 === $round ? RecordResult::RECORDED : RecordResult::DUPLICATE, $ledger->recordNow($milestone)->status);
            }
        }
        // A reload of the diagnostics page later the same day.
        $opened = $at->setTime((int) $at->format('H'), 0);
        $first = Milestones::supportDiagnosticsOpened('tenant-reload', 'ws-1', 'user-1', $opened, 'run-1', 'operation_run', 'operation_run_viewer');
        $reload = Milestones::supportDiagnosticsOpened('tenant-reload', 'ws-1', 'user-1', $opened->modify('+1 minute'), 'run-1', 'operation_run', 'operation_run_viewer');
        self::assertSame($first->eventId, $reload->eventId);
        self::assertSame(RecordResult::RECORDED, $ledger->recordNow($first)->status);
        self::assertSame(RecordResult::DUPLICATE, $ledger->recordNow($reload)->status);
        // The same checkpoint completed again by another admin.
        $done = Milestones::onboardingCheckpointCompleted('tenant-admins', 'ws-1', 'admin-1', $at, 'session-1', 'connect_source');
        $again = Milestones::onboardingCheckpointCompleted('tenant-admins', 'ws-1', 'admin-2', $at->modify('+5 minutes'), 'session-2', 'connect_source');
        self::assertSame(RecordResult::RECORDED, $ledger->recordNow($done)->status);
        self::assertSame(RecordResult::DUPLICATE, $ledger->recordNow($again)->status);

        self::assertCount(\count(Milestones::EVENTS), $this->rows('tenant-resend'));
        $reloads = $this->rows('tenant-reload');
        self::assertCount(1, $reloads);
        self::assertSame($first->occurredAt, $reloads[0]['occurred_at'], 'the first one wins');
        $admins = $this->rows('tenant-admins');
        self::assertCount(1, $admins);
        self::assertSame('admin-1', $admins[0]['actor_id']);
    }

    public function testARejectedMilestoneIsReportedOnceAndNeverRetried(): void
    {
        $milestones = CatalogExamples::oneOfEach(new \DateTimeImmutable('-1 minute'), 'rejected');
        $payload = $milestones[0]->payload();
        // An identifier-shaped metadata value is checked by record only.
        $payload['metadata'] = array_map(static fn (): string => 'Not Valid!', (array) $payload['metadata']);
        self::assertNotEmpty($payload['metadata'], 'the first catalog event has metadata');
        AdoptionLedger::record(Milestone::fromPayload($payload));
        $this->work();

        self::assertSame(0, DB::table('jobs')->count(), 'not retried');
        self::assertSame(0, DB::table('failed_jobs')->count(), 'not a failure');
        $reported = array_filter($this->app->make(ExceptionHandler::class)->reported, static fn ($e): bool => $e instanceof LedgerRejected);
        self::assertCount(1, $reported, 'reported once');
        $log = TestApp::log($this->app);
        self::assertSame(1, substr_count($log, 'adoption-ledger: milestone rejected'));
        self::assertStringContainsString('"code":"metadata_value_charset"', $log);
        self::assertStringNotContainsString('Not Valid!', $log, 'never a metadata value');
        self::assertSame([], $this->rows('tenant-rejected'));
    }

    public function testAStorageOutageIsRetriedAndNothingIsLost(): void
    {
        [$milestone] = CatalogExamples::oneOfEach(new \DateTimeImmutable('-1 minute'), 'outage');
        $this->outage(true);
        AdoptionLedger::record($milestone);
        $this->work(once: true);
        $job = DB::table('jobs')->first();
        self::assertNotNull($job, 'released for a retry, not dropped');
        self::assertSame(1, (int) $job->attempts);
        self::assertSame([], $this->rows('tenant-outage'));

        $this->outage(false);
        $this->work();
        self::assertSame(0, DB::table('jobs')->count() + DB::table('failed_jobs')->count());
        self::assertCount(1, $this->rows('tenant-outage'));
    }

    public function testAfterItsLastTryAJobLandsInFailedJobs(): void
    {
        [$milestone] = CatalogExamples::oneOfEach(new \DateTimeImmutable('-1 minute'), 'gaveup');
        $this->outage(true);
        AdoptionLedger::record($milestone);
        $this->work();
        self::assertSame(0, DB::table('jobs')->count());
        self::assertSame(1, DB::table('failed_jobs')->count(), 'after 3 tries');
        self::assertStringContainsString('adoption-ledger: milestone not recorded', TestApp::log($this->app));
    }

    public function testTheSummaryRouteAnswersEveryWindowFromTheSummaryApi(): void
    {
        Route::adoptionLedgerSummary('/adoption/summary');
        TestApp::signIn($this->app);
        AdoptionLedger::getFacadeRoot()->recordNow(CatalogExamples::oneOfEach(new \DateTimeImmutable('-3 minutes'), 'summary')[0]);
        foreach (['24h', '7d', '30d', '90d'] as $window) {
            $response = $this->get("/adoption/summary?window=$window");
            self::assertSame(200, $response->getStatusCode(), $response->getContent().TestApp::log($this->app));
            $summary = json_decode((string) $response->getContent(), true);
            self::assertSame($window, $summary['window']['key']);
            self::assertSame(array_values(Milestones::EVENTS), array_column($summary['families'], 'event'));
            self::assertGreaterThanOrEqual(1, $summary['total']);
        }
        self::assertSame(400, $this->get('/adoption/summary?window=1y')->getStatusCode());
    }

    /** Against the local emulator, which has no DryRun: both functions answer, nothing is written. */
    public function testTheCheckCommandFindsRecordAndPurgeAndWritesNothing(): void
    {
        $console = $this->app->make(ConsoleKernel::class);
        $exit = $console->call('adoption-ledger:check');
        $output = $console->output();
        self::assertSame(0, $exit, $output);
        self::assertStringContainsString('record (the record function) answers at the local endpoint', $output);
        self::assertStringContainsString('purge (the purge function) answers at the local endpoint', $output);
        self::assertStringContainsString('/lambda-url/summary answers (GET /summary?window=24h: 200)', $output);

        $this->app['config']->set('adoption-ledger.purge_function', 'no-such-function');
        $this->app->forgetInstance(\AdoptionLedger\Aws\LambdaApi::class);
        self::assertSame(1, $console->call('adoption-ledger:check'), 'a wrong purge function name is found by the check, not by forget');
        self::assertStringContainsString('no-such-function (the purge function, adoption-ledger.purge_function) could not be invoked', $console->output());
    }

    public function testForgetTenantErasesTheTenantThroughPurgeAndLeavesOthers(): void
    {
        $ledger = AdoptionLedger::getFacadeRoot();
        foreach ([...CatalogExamples::oneOfEach(new \DateTimeImmutable('-5 minutes'), 'leaving'), ...CatalogExamples::oneOfEach(new \DateTimeImmutable('-5 minutes'), 'staying')] as $milestone) {
            self::assertTrue($ledger->recordNow($milestone)->isStored());
        }
        self::assertCount(5, $this->rows('tenant-leaving'));
        DB::transaction(static function (): void {
            AdoptionLedger::forgetTenant('tenant-leaving');
        });
        $this->work();

        self::assertSame(0, DB::table('jobs')->count() + DB::table('failed_jobs')->count());
        self::assertSame([], $this->rows('tenant-leaving'));
        self::assertCount(5, $this->rows('tenant-staying'));
    }

    public function testForgetActorErasesOnlyThatPersonInThatTenant(): void
    {
        $ledger = AdoptionLedger::getFacadeRoot();
        $at = new \DateTimeImmutable('-4 minutes');
        foreach (['user-gone', 'user-kept'] as $actor) {
            $ledger->recordNow(Milestones::reportCreated('tenant-erasure', 'ws-1', $actor, $at, "report-$actor", 'usage'));
        }
        AdoptionLedger::forgetActor('tenant-erasure', 'user-gone');
        $this->work();

        $actors = array_column($this->rows('tenant-erasure'), 'actor_id');
        self::assertSame(['user-kept'], $actors);
        self::assertStringNotContainsString('user-gone', TestApp::log($this->app), 'never an actor id in the log');
    }

    public function testARejectedPurgeIsReportedOnceAndNeverRetried(): void
    {
        AdoptionLedger::forgetTenant('not a tenant id');
        $this->work();

        self::assertSame(0, DB::table('jobs')->count(), 'not retried');
        self::assertSame(0, DB::table('failed_jobs')->count(), 'not a failure');
        $reported = array_filter($this->app->make(ExceptionHandler::class)->reported, static fn ($e): bool => $e instanceof LedgerRejected);
        self::assertCount(1, $reported, 'reported once');
        self::assertStringContainsString('"code":"identifier_charset"', TestApp::log($this->app));
    }

    public function testAPurgeThatCannotStartIsRetriedByTheQueue(): void
    {
        $this->outage(true);
        AdoptionLedger::forgetTenant('tenant-retried');
        $this->work(once: true);
        $job = DB::table('jobs')->first();
        self::assertNotNull($job, 'released for a retry, not dropped');
        $this->outage(false);
        $this->work();
        self::assertSame(0, DB::table('jobs')->count() + DB::table('failed_jobs')->count());
    }

    public function testTheForgetCommandPurgesUntilDoneAndPrintsProgress(): void
    {
        $ledger = AdoptionLedger::getFacadeRoot();
        foreach (CatalogExamples::oneOfEach(new \DateTimeImmutable('-6 minutes'), 'command') as $milestone) {
            $ledger->recordNow($milestone);
        }
        $console = $this->app->make(ConsoleKernel::class);
        $exit = $console->call('adoption-ledger:forget', ['tenant' => 'tenant-command']);
        $output = $console->output();
        self::assertSame(0, $exit, $output);
        self::assertStringContainsString('invocation 1: done, 5 row(s) deleted', $output);
        self::assertSame([], $this->rows('tenant-command'));

        $exit = $console->call('adoption-ledger:forget', ['tenant' => '#day']);
        self::assertSame(2, $exit, 'a rejection is invalid input');
        self::assertStringContainsString('identifier_charset on tenant_id', $console->output());
    }

    public function testTheBuildersRefuseExactlyWhatRecordRefusesWithTheSameCodeAndField(): void
    {
        $ledger = AdoptionLedger::getFacadeRoot();
        $arguments = CatalogExamples::arguments(new \DateTimeImmutable('-2 minutes'), 'agree');
        $cases = CatalogExamples::rejections();
        self::assertNotEmpty($cases);
        foreach ($cases as [$builder, $argument, $value, $code, $field]) {
            $case = "$builder($argument: ".var_export($value, true).')';
            try {
                Milestones::$builder(...[$argument => $value] + $arguments[$builder]);
                self::fail("the builder accepted $case");
            } catch (InvalidMilestone $refused) {
                $byBuilder = [$refused->rejectCode, $refused->field];
            }
            // The same value, sent to record past the builder: the valid
            // milestone's payload with that one field changed.
            $payload = Milestones::$builder(...$arguments[$builder])->payload();
            $payload['metadata'] = (array) $payload['metadata'];
            [$top, $key] = explode('.', $field, 2) + [1 => null];
            if (null === $key) {
                $payload[$top] = $value;
            } else {
                $payload[$top][$key] = $value;
            }
            $answer = $ledger->recordNow(Milestone::fromPayload($payload));
            self::assertTrue($answer->isRejected(), "record accepted $case: $answer->status");
            self::assertSame([$code, $field], [$answer->code, $answer->field], "record on $case");
            self::assertSame($byBuilder, [$answer->code, $answer->field], "the builder and record agree on $case");
        }
        self::assertSame([], $this->rows('tenant-agree'), 'nothing of them was written');
    }

    public function testOnSyncEveryFinalOutcomeIsAnEventAHostCanListenTo(): void
    {
        $this->app['config']->set('adoption-ledger.queue.connection', 'sync');
        $this->app['config']->set('adoption-ledger.erasure.connection', 'sync');
        AdoptionLedger::clearResolvedInstances();
        $this->app->forgetInstance(\AdoptionLedger\Laravel\Ledger::class);
        $seen = [];
        Event::listen([MilestoneRecorded::class, MilestoneDuplicate::class, MilestoneRejected::class, MilestonePurged::class, MilestoneFailed::class, ErasureFinished::class, ErasureFailed::class], static function (object $event) use (&$seen): void {
            $seen[] = $event;
        });
        $arguments = CatalogExamples::arguments(new \DateTimeImmutable('-3 minutes'), 'events')['reportCreated'];
        $report = Milestones::reportCreated(...$arguments);

        AdoptionLedger::record($report);
        AdoptionLedger::record($report);
        // The same report sent again with other content: record refuses it.
        AdoptionLedger::record(Milestones::reportCreated(...['reportType' => 'another_type'] + $arguments));
        AdoptionLedger::forgetActor($report->tenantId, $report->actorId);
        // Erased: a milestone of that person from before the purge is refused.
        AdoptionLedger::record(Milestones::reportCreated(...['subjectId' => 'report-late'] + $arguments));
        $this->outage(true);
        AdoptionLedger::record(Milestones::reportCreated(...['actorId' => 'user-other', 'subjectId' => 'report-lost'] + $arguments));
        $this->outage(false);

        self::assertSame(
            [MilestoneRecorded::class, MilestoneDuplicate::class, MilestoneRejected::class, ErasureFinished::class, MilestonePurged::class, MilestoneFailed::class],
            array_map(static fn (object $event): string => $event::class, $seen),
        );
        self::assertSame($report->toJson(), $seen[0]->milestone->toJson());
        self::assertSame(['idempotency_conflict', 'event_id'], [$seen[2]->code, $seen[2]->field]);
        self::assertSame(['actor', $report->tenantId, $report->actorId], [$seen[3]->scope->scope, $seen[3]->scope->tenantId, $seen[3]->scope->actorId]);
        self::assertStringContainsString('report-lost', $seen[5]->milestone->eventId);
        self::assertInstanceOf(\AdoptionLedger\RecordingFailed::class, $seen[5]->error);
    }

    /** Runs the queue worker in this process until the queue is empty (or for one job). */
    private function work(bool $once = false): void
    {
        // Not --quiet: Symfony Console would make every later command of this process quiet too.
        // The recording queue and the erasure queue, as one worker here.
        $options = ['connection' => 'database', '--queue' => 'default,adoption-ledger-erasure', '--sleep' => 0] + ($once ? ['--once' => true] : ['--stop-when-empty' => true]);
        $this->app->make(ConsoleKernel::class)->call('queue:work', $options);
    }

    /** @return list<array<string, mixed>> */
    private function rows(string $tenant): array
    {
        $scan = new TableScan(['endpoint' => getenv('LEDGER_TEST_DYNAMODB'), 'region' => 'us-east-1', 'accessKeyId' => 'local', 'accessKeySecret' => 'local']);

        return $scan->rowsOf((string) getenv('LEDGER_TEST_TABLE'), $tenant);
    }

    /** Switches the fault proxy in front of DynamoDB: while on, every request is throttled. */
    private function outage(bool $on): void
    {
        $url = getenv('LEDGER_TEST_FAULT_PROXY');
        if (false === $url) {
            return;
        }
        $context = stream_context_create(['http' => ['method' => 'POST', 'timeout' => 5, 'ignore_errors' => true]]);
        $answer = file_get_contents(rtrim($url, '/').'/__outage/'.($on ? 'on' : 'off'), false, $context);
        self::assertNotFalse($answer, 'the fault proxy answers its switch');
    }

    private function get(string $uri): \Symfony\Component\HttpFoundation\Response
    {
        return $this->app->make(HttpKernel::class)->handle(Request::create($uri, 'GET', [], [], [], ['REMOTE_ADDR' => '10.1.2.4', 'HTTP_ACCEPT' => 'application/json']));
    }
}
