<?php

declare(strict_types=1);

namespace AdoptionLedger\Tests\Laravel;

use AdoptionLedger\Laravel\AdoptionLedgerServiceProvider;
use AdoptionLedger\Laravel\Facades\AdoptionLedger;
use AdoptionLedger\Laravel\InvalidConfiguration;
use AdoptionLedger\Laravel\MilestoneNotRecorded;
use AdoptionLedger\Tests\CatalogExamples;
use Illuminate\Contracts\Console\Kernel as ConsoleKernel;
use Illuminate\Contracts\Debug\ExceptionHandler;
use Illuminate\Foundation\Application;
use Illuminate\Support\Facades\DB;
use PHPUnit\Framework\AssertionFailedError;
use PHPUnit\Framework\TestCase;

/**
 * The package's promises on every setup a Laravel app has, without AWS (an
 * endpoint that refuses connections stands for an unreachable ledger): the
 * `sync` connection, the `null` and `log` drivers chosen from `.env`, a
 * setting it cannot understand, an outage's logs, and the fake.
 */
final class EverySetupTest extends TestCase
{
    /** @var list<string> environment variables a test set, unset after it */
    private array $env = [];

    protected function tearDown(): void
    {
        foreach ($this->env as $name) {
            putenv($name);
            unset($_ENV[$name], $_SERVER[$name]);
        }
        AdoptionLedger::clearResolvedInstances();
        TestApp::release();
    }

    public function testOnSyncARolledBackActionSendsNothingAndACommittedOneSendsAfterTheCommit(): void
    {
        $sent = 0;
        $app = $this->app(['adoption-ledger.queue.connection' => 'sync', 'adoption-ledger.driver' => 'log']);
        TestApp::createActionsTable();
        $app['log']->listen(static function ($message) use (&$sent): void {
            if (str_contains((string) $message->message, 'milestone (log driver, not sent)')) {
                ++$sent;
            }
        });
        [$milestone] = CatalogExamples::oneOfEach(new \DateTimeImmutable('-1 minute'), 'sync');
        try {
            DB::transaction(static function () use ($milestone): void {
                DB::table('actions')->insert(['name' => 'created']);
                AdoptionLedger::record($milestone);
                throw new \RuntimeException('the user action failed');
            });
        } catch (\RuntimeException) {
        }
        self::assertSame(0, $sent, 'nothing sent for a rolled-back action');
        DB::transaction(static function () use ($milestone, &$sent): void {
            DB::table('actions')->insert(['name' => 'created']);
            AdoptionLedger::record($milestone);
            self::assertSame(0, $sent, 'not before the commit');
        });
        self::assertSame(1, $sent, 'sent once, after the commit');
    }

    public function testOnSyncAnUnreachableLedgerNeverBreaksTheRequestAndIsReportedOnce(): void
    {
        $app = $this->app([
            'adoption-ledger.queue.connection' => 'sync',
            'adoption-ledger.queue.tries' => 5,
            'adoption-ledger.lambda_endpoint' => 'http://'.self::closedPort(),
        ]);
        TestApp::createActionsTable();
        [$milestone] = CatalogExamples::oneOfEach(new \DateTimeImmutable('-1 minute'), 'closed');
        // The user's request: an action in a transaction, then the milestone.
        \Illuminate\Support\Facades\Route::post('/reports', static function () use ($milestone) {
            DB::transaction(static function () use ($milestone): void {
                DB::table('actions')->insert(['name' => 'kept']);
                AdoptionLedger::record($milestone);
            });

            return new \Illuminate\Http\JsonResponse(['created' => true], 201);
        });
        $response = $app->make(\Illuminate\Contracts\Http\Kernel::class)->handle(\Illuminate\Http\Request::create('/reports', 'POST', [], [], [], ['REMOTE_ADDR' => '10.1.2.7', 'HTTP_ACCEPT' => 'application/json']));
        self::assertSame(201, $response->getStatusCode(), 'the request succeeds: '.$response->getContent());
        self::assertSame(1, DB::table('actions')->count(), "the user's action is kept");
        $log = TestApp::log($app);
        self::assertSame(1, substr_count($log, '.ERROR: adoption-ledger: milestone not recorded'), $log);
        self::assertSame(1, substr_count($log, '.ERROR:'), $log);
        self::assertStringNotContainsString('will retry', $log, 'on sync there is no retry');
        self::assertSame(1, self::reported($app, MilestoneNotRecorded::class), 'reported once');
        self::assertStringNotContainsString($milestone->actorId, $log);
    }

    public function testAnOutageLogsOneWarningPerRetryAndOneErrorReportedOnceWithoutTraces(): void
    {
        $app = $this->app([
            'adoption-ledger.queue.tries' => 3,
            'adoption-ledger.queue.backoff' => [0],
            'adoption-ledger.lambda_endpoint' => 'http://'.self::closedPort(),
        ]);
        [$milestone] = CatalogExamples::oneOfEach(new \DateTimeImmutable('-1 minute'), 'outage');
        AdoptionLedger::record($milestone);
        $app->make(ConsoleKernel::class)->call('queue:work', ['connection' => 'database', '--stop-when-empty' => true, '--sleep' => 0]);

        $log = TestApp::log($app);
        $warnings = array_values(array_filter(explode("\n", $log), static fn (string $line): bool => str_contains($line, '.WARNING:')));
        self::assertCount(2, $warnings, $log);
        foreach ($warnings as $warning) {
            self::assertStringContainsString('adoption-ledger: milestone not recorded yet, will retry', $warning);
            self::assertStringNotContainsString('#0 ', $warning, 'no stack trace');
            self::assertStringNotContainsString('stacktrace', $warning, 'no stack trace');
        }
        // The last try: one ERROR (the report, as the app's handler logs it), once.
        self::assertSame(1, substr_count($log, '.ERROR:'), $log);
        self::assertSame(1, substr_count($log, '.ERROR: adoption-ledger: milestone not recorded'), $log);
        self::assertSame(1, self::reported($app, MilestoneNotRecorded::class), 'reported once');
        self::assertSame(1, \count($app->make(ExceptionHandler::class)->reported), 'nothing else reported');
        self::assertSame(1, DB::table('failed_jobs')->count());
        foreach ([$milestone->actorId, ...array_values($milestone->metadata)] as $secret) {
            self::assertStringNotContainsString($secret, $log);
        }
    }

    public function testTheNullDriverCanBeChosenFromTheEnvironment(): void
    {
        $this->setEnv('ADOPTION_LEDGER_DRIVER', 'null');
        $app = $this->app(['adoption-ledger.queue.connection' => 'sync', 'adoption-ledger.lambda_endpoint' => 'http://'.self::closedPort()]);
        self::assertSame('null', config('adoption-ledger.driver'), "env() reads `null` as PHP null: that is the null driver");
        [$milestone] = CatalogExamples::oneOfEach(new \DateTimeImmutable('-1 minute'), 'null');
        AdoptionLedger::record($milestone);
        self::assertSame('', TestApp::log($app), 'nothing sent, nothing to say');
        self::assertSame([], $app->make(ExceptionHandler::class)->reported);
    }

    public function testTheLogDriverWritesTheEventAndTimeOnly(): void
    {
        $this->setEnv('ADOPTION_LEDGER_DRIVER', 'log');
        $app = $this->app(['adoption-ledger.queue.connection' => 'sync']);
        [$milestone] = CatalogExamples::oneOfEach(new \DateTimeImmutable('-1 minute'), 'logged');
        AdoptionLedger::record($milestone);
        $log = TestApp::log($app);
        self::assertSame(1, substr_count($log, 'adoption-ledger: milestone (log driver, not sent)'), $log);
        self::assertStringContainsString($milestone->event, $log);
        foreach ([$milestone->actorId, $milestone->tenantId, $milestone->eventId, ...array_values($milestone->metadata)] as $secret) {
            self::assertStringNotContainsString($secret, $log);
        }
    }

    public function testADriverItCannotUnderstandIsReportedOnceAtBootNeverThrownAndItsMilestonesKept(): void
    {
        $this->setEnv('ADOPTION_LEDGER_DRIVER', 'lamda');
        $app = $this->app(['adoption-ledger.queue.tries' => 1]);
        self::assertSame(1, self::reported($app, InvalidConfiguration::class), 'reported once, at boot');
        self::assertStringContainsString("must be lambda, log or null, got 'lamda'", TestApp::log($app));
        [$milestone] = CatalogExamples::oneOfEach(new \DateTimeImmutable('-1 minute'), 'typo');
        AdoptionLedger::record($milestone);
        self::assertSame(1, DB::table('jobs')->count(), 'kept in the queue');
        $app->make(ConsoleKernel::class)->call('queue:work', ['connection' => 'database', '--stop-when-empty' => true, '--sleep' => 0]);
        self::assertSame(1, DB::table('failed_jobs')->count(), 'kept in failed_jobs, to retry once fixed');
        self::assertSame(1, self::reported($app, InvalidConfiguration::class), 'not reported again');

        $exit = $app->make(ConsoleKernel::class)->call('adoption-ledger:check');
        self::assertSame(1, $exit);
        self::assertStringContainsString('ADOPTION_LEDGER_DRIVER', $app->make(ConsoleKernel::class)->output());
    }

    public function testTheFakeHonoursTransactionsAsTheLedgerDoes(): void
    {
        $this->app();
        TestApp::createActionsTable();
        AdoptionLedger::fake();
        [$milestone] = CatalogExamples::oneOfEach(new \DateTimeImmutable('-1 minute'), 'fake');
        try {
            DB::transaction(static function () use ($milestone): void {
                AdoptionLedger::record($milestone);
                AdoptionLedger::forgetTenant('tenant-rolled-back');
                throw new \RuntimeException('the user action failed');
            });
        } catch (\RuntimeException) {
        }
        AdoptionLedger::assertNothingRecorded();
        AdoptionLedger::assertNothingForgotten();
        DB::transaction(static function () use ($milestone): void {
            AdoptionLedger::record($milestone);
        });
        AdoptionLedger::assertRecorded($milestone->event);
    }

    public function testTheFakeAssertsWhatWasNotDoneAndNamesTenantsAndPeopleWhenItFails(): void
    {
        $this->app();
        $fake = AdoptionLedger::fake();
        self::assertInstanceOf(\AdoptionLedger\Laravel\Contracts\Ledger::class, $fake, 'the same contract as the ledger');
        [$first, $second] = CatalogExamples::oneOfEach(new \DateTimeImmutable('-1 minute'), 'asserted');
        AdoptionLedger::record($first);
        AdoptionLedger::assertNotRecorded($second->event);
        AdoptionLedger::assertNotRecorded($first->event, static fn ($m, array $payload): bool => 'other' === $payload['tenant_id']);
        $message = self::failure(static fn () => AdoptionLedger::assertNotRecorded($first->event));
        self::assertStringContainsString("[$first->event] in tenant [tenant-asserted] by [user-asserted]", $message);
        $message = self::failure(static fn () => AdoptionLedger::assertRecorded($second->event));
        self::assertStringContainsString('tenant [tenant-asserted]', $message);

        AdoptionLedger::forgetActor('tenant-a', 'person-1');
        AdoptionLedger::assertActorNotForgotten('tenant-a', 'person-2');
        AdoptionLedger::assertTenantNotForgotten('tenant-a');
        $message = self::failure(static fn () => AdoptionLedger::assertActorForgotten('tenant-b', 'person-1'));
        self::assertStringContainsString('Person [person-1] was not forgotten in tenant [tenant-b]', $message);
        self::assertStringContainsString('person [person-1] in tenant [tenant-a]', $message);
        self::failure(static fn () => AdoptionLedger::assertActorNotForgotten('tenant-a', 'person-1'));
        self::failure(static fn () => AdoptionLedger::assertNothingForgotten());
    }

    public function testTheRouteAnswersAMissingWindowAs400AndAMissingUrlAsAClearError(): void
    {
        $app = $this->app(['adoption-ledger.summary_url' => null]);
        \Illuminate\Support\Facades\Route::adoptionLedgerSummary('/adoption/summary');
        TestApp::signIn($app);
        $get = static fn (string $uri) => $app->make(\Illuminate\Contracts\Http\Kernel::class)->handle(\Illuminate\Http\Request::create($uri, 'GET', [], [], [], ['REMOTE_ADDR' => '10.1.2.6', 'HTTP_ACCEPT' => 'application/json']));
        $missing = $get('/adoption/summary');
        self::assertSame(400, $missing->getStatusCode(), 'docs/widget.md: anything but the four windows is a 400');
        self::assertSame('invalid_window', json_decode((string) $missing->getContent(), true)['error']['code']);
        $unset = $get('/adoption/summary?window=7d');
        self::assertSame(503, $unset->getStatusCode());
        $error = json_decode((string) $unset->getContent(), true)['error'];
        self::assertSame('not_configured', $error['code']);
        self::assertStringContainsString('ADOPTION_LEDGER_SUMMARY_URL', $error['message']);
        self::assertStringContainsString('no-store', (string) $unset->headers->get('cache-control'));
    }

    public function testThePackageShipsWhatALaravelDeveloperLooksFor(): void
    {
        $root = \dirname(__DIR__, 2);
        foreach (['README.md', 'LICENSE', 'CHANGELOG.md', 'composer.json', 'config/adoption-ledger.php'] as $file) {
            self::assertFileExists("$root/$file");
        }
        foreach (['Commands', 'Contracts', 'Facades', 'Http', 'Jobs', 'Testing', 'View'] as $concern) {
            self::assertDirectoryExists("$root/src/Laravel/$concern");
        }
        $composer = json_decode((string) file_get_contents("$root/composer.json"), true, 512, \JSON_THROW_ON_ERROR);
        self::assertSame('AdoptionLedger\\Laravel\\Facades\\AdoptionLedger', $composer['extra']['laravel']['aliases']['AdoptionLedger']);
        self::assertSame('Apache-2.0', $composer['license']);
        self::assertStringContainsString('Apache License', (string) file_get_contents("$root/LICENSE"));
    }

    /** @param array<string, mixed> $config */
    private function app(array $config = []): Application
    {
        $app = TestApp::create($config);
        AdoptionLedger::clearResolvedInstances();

        return $app;
    }

    private function setEnv(string $name, string $value): void
    {
        putenv("$name=$value");
        $_ENV[$name] = $value;
        $_SERVER[$name] = $value;
        $this->env[] = $name;
    }

    /** An address nothing listens on: the ledger unreachable. */
    private static function closedPort(): string
    {
        $server = stream_socket_server('tcp://127.0.0.1:0');
        self::assertIsResource($server);
        $address = (string) stream_socket_get_name($server, false);
        fclose($server);

        return $address;
    }

    /** How many reported exceptions are of `$class`. */
    private static function reported(Application $app, string $class): int
    {
        return \count(array_filter($app->make(ExceptionHandler::class)->reported, static fn ($e): bool => $e instanceof $class));
    }

    /** The failure message of an assertion that must fail. */
    private static function failure(callable $assertion): string
    {
        try {
            $assertion();
        } catch (AssertionFailedError $failure) {
            return $failure->getMessage();
        }
        self::fail('the assertion passed, but should have failed');
    }
}
