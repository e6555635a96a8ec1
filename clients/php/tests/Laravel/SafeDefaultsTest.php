<?php

declare(strict_types=1);

namespace AdoptionLedger\Tests\Laravel;

use AdoptionLedger\Aws\LambdaApi;
use AdoptionLedger\Aws\SummaryApi;
use AdoptionLedger\ErasureScope;
use AdoptionLedger\InvalidErasure;
use AdoptionLedger\Laravel\Facades\AdoptionLedger;
use AdoptionLedger\Laravel\Jobs\ErasureLock;
use AdoptionLedger\Laravel\Jobs\ForgetActor;
use AdoptionLedger\Laravel\Jobs\ForgetTenant;
use AdoptionLedger\Laravel\LedgerRejected;
use AdoptionLedger\Laravel\Jobs\RecordMilestone;
use AdoptionLedger\Purger;
use AdoptionLedger\RecordResult;
use AdoptionLedger\Tests\CatalogExamples;
use Illuminate\Contracts\Cache\Repository as Cache;
use Illuminate\Contracts\Console\Kernel as ConsoleKernel;
use Illuminate\Contracts\Debug\ExceptionHandler;
use Illuminate\Contracts\Http\Kernel as HttpKernel;
use Illuminate\Foundation\Application;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Route;
use PHPUnit\Framework\TestCase;
use Symfony\Component\HttpClient\MockHttpClient;
use Symfony\Component\HttpClient\Response\MockResponse;

/**
 * Safe by default: erasure takes exactly what it names, nothing destructive
 * runs in production unasked, the dashboard route is closed until the host
 * opens it, queued jobs keep no ids in clear, the erasure jobs share one
 * lock, and the check runs nothing. Without AWS: Lambda is a mock that
 * records every request.
 */
final class SafeDefaultsTest extends TestCase
{
    private Application $app;

    /** @var list<array{url: string, headers: array<string, string>, body: string}> */
    private array $calls = [];

    protected function setUp(): void
    {
        $this->app = TestApp::create(['adoption-ledger.purge_function' => 'purge', 'adoption-ledger.record_function' => 'record']);
    }

    protected function tearDown(): void
    {
        AdoptionLedger::clearResolvedInstances();
        TestApp::release();
    }

    public function testTheForgetCommandRefusesAnEmptyOrBlankActorAndErasesNothing(): void
    {
        $this->lambda(static fn (): MockResponse => new MockResponse('{"status":"done","rows_deleted":9}'));
        foreach (['', '   '] as $actor) {
            $exit = $this->artisan('adoption-ledger:forget', ['tenant' => 't-42', '--actor' => $actor, '--force' => true]);
            $output = $this->printed();
            self::assertSame(2, $exit, "--actor='$actor' is invalid input: $output");
            self::assertStringContainsString('actor_id is empty', $output);
            self::assertStringContainsString('leave --actor out', $output);
        }
        $exit = $this->artisan('adoption-ledger:forget', ['tenant' => ' ', '--force' => true]);
        self::assertSame(2, $exit, 'a blank tenant is invalid input');
        self::assertStringContainsString('tenant_id is empty', $this->printed());
        self::assertSame([], $this->calls, 'purge was never invoked');
    }

    public function testTheForgetCommandAsksInProductionAndForceSkipsTheQuestion(): void
    {
        $this->lambda(static fn (): MockResponse => new MockResponse('{"status":"done","rows_deleted":3}'));
        $this->app['env'] = 'production';
        $exit = $this->artisan('adoption-ledger:forget', ['tenant' => 't-42', '--no-interaction' => true]);
        self::assertSame(1, $exit, 'not confirmed: nothing done');
        self::assertStringContainsStringIgnoringCase('This erases every milestone of tenant t-42, for good.', $this->printed());
        self::assertSame([], $this->calls, 'purge was never invoked');

        $exit = $this->artisan('adoption-ledger:forget', ['tenant' => 't-42', '--actor' => 'u-7', '--force' => true]);
        self::assertSame(0, $exit, $this->printed());
        self::assertCount(1, $this->calls);
        self::assertSame(['scope' => 'actor', 'tenant_id' => 't-42', 'actor_id' => 'u-7'], json_decode($this->calls[0]['body'], true));
    }

    public function testOutsideProductionTheForgetCommandNamesTheScopeInTheRequest(): void
    {
        $this->lambda(static fn (): MockResponse => new MockResponse('{"status":"done","rows_deleted":3}'));
        self::assertSame(0, $this->artisan('adoption-ledger:forget', ['tenant' => 't-42']), $this->printed());
        self::assertSame(['scope' => 'tenant', 'tenant_id' => 't-42'], json_decode($this->calls[0]['body'], true));
    }

    public function testTheFacadeTheJobsAndThePurgerRefuseABlankScope(): void
    {
        foreach ([
            'facade, actor' => static fn () => AdoptionLedger::forgetActor('t-42', ''),
            'facade, blank actor' => static fn () => AdoptionLedger::forgetActor('t-42', " \t"),
            'facade, tenant' => static fn () => AdoptionLedger::forgetTenant(''),
            'job, actor' => static fn () => new ForgetActor('t-42', ' '),
            'job, tenant' => static fn () => new ForgetTenant(''),
            'scope' => static fn () => ErasureScope::actor('', 'u-1'),
        ] as $entry => $call) {
            try {
                $call();
                self::fail("$entry accepted a blank id");
            } catch (InvalidErasure $refused) {
                self::assertStringContainsString('is empty', $refused->getMessage(), $entry);
            }
        }
        self::assertSame(0, DB::table('jobs')->count(), 'nothing queued');
    }

    public function testTheSummaryRouteMountedAsAOneLinerAnswers401Or403NeverData(): void
    {
        $this->app['config']->set('adoption-ledger.summary_url', 'https://summary.example.test');
        $this->app->instance(SummaryApi::class, new SummaryApi(
            ['region' => 'eu-west-1', 'endpoint' => 'https://summary.example.test', 'accessKeyId' => 'AKIDEXAMPLE', 'accessKeySecret' => 'secret'],
            null,
            new MockHttpClient(function (string $method, string $url): MockResponse {
                $this->calls[] = ['url' => $url, 'headers' => [], 'body' => ''];

                return new MockResponse('{"total": 3}', ['http_code' => 200]);
            }),
        ));
        Route::adoptionLedgerSummary();

        $anonymous = $this->get('/adoption/summary?window=7d');
        self::assertSame(401, $anonymous->getStatusCode());
        self::assertSame('unauthenticated', json_decode((string) $anonymous->getContent(), true)['error']['code']);
        self::assertStringContainsString('no-store', (string) $anonymous->headers->get('cache-control'));

        TestApp::signIn($this->app, null);
        $denied = $this->get('/adoption/summary?window=7d');
        self::assertSame(403, $denied->getStatusCode(), 'the package gate denies everyone');
        self::assertSame('forbidden', json_decode((string) $denied->getContent(), true)['error']['code']);
        self::assertStringContainsString('no-store', (string) $denied->headers->get('cache-control'));
        self::assertSame([], $this->calls, 'nothing reached the summary API');

        TestApp::signIn($this->app, true);
        self::assertSame(200, $this->get('/adoption/summary?window=7d')->getStatusCode(), 'open once the host defines the gate');
        self::assertCount(1, $this->calls);
    }

    public function testQueuedJobsHoldNoIdOrMetadataInClearNotEvenInFailedJobs(): void
    {
        $this->app['config']->set('adoption-ledger.queue.tries', 1);
        [$milestone] = CatalogExamples::oneOfEach(new \DateTimeImmutable('-1 minute'), 'secret');
        $metadata = array_values($milestone->metadata);
        self::assertNotEmpty($metadata);
        AdoptionLedger::record($milestone);
        AdoptionLedger::forgetActor('tenant-secret', 'user-erased-9');
        $payloads = DB::table('jobs')->pluck('payload')->implode("\n");
        self::assertSame(2, DB::table('jobs')->count());
        foreach ([$milestone->actorId, 'user-erased-9', ...$metadata] as $clear) {
            self::assertStringNotContainsString($clear, $payloads);
        }

        // Its one try fails (Lambda answers 500): the record job ends in failed_jobs, still sealed.
        $this->lambda(static fn (): MockResponse => new MockResponse('{}', ['http_code' => 500]));
        DB::table('jobs')->delete();
        AdoptionLedger::record($milestone);
        $this->artisan('queue:work', ['connection' => 'database', '--stop-when-empty' => true, '--sleep' => 0]);
        self::assertSame(1, DB::table('failed_jobs')->count());
        $failed = DB::table('failed_jobs')->get()->map(static fn (object $row): string => $row->payload.$row->exception)->implode("\n");
        foreach ([$milestone->actorId, ...$metadata] as $clear) {
            self::assertStringNotContainsString($clear, $failed);
        }
    }

    public function testTheErasureJobsShareOneLockWhateverTheirClass(): void
    {
        $this->lambda(static fn (): MockResponse => new MockResponse('{"status":"done","rows_deleted":1}'));
        self::assertSame((new ErasureLock())->getLockKey(new ForgetTenant('t-1')), (new ErasureLock())->getLockKey(new ForgetActor('t-2', 'u-2')));
        // A tenant erasure holds the lock: a person's erasure waits, it does not run beside it.
        $held = $this->app->make(Cache::class)->lock((new ErasureLock())->getLockKey(new ForgetTenant('t-1')), 120);
        self::assertTrue($held->get());
        AdoptionLedger::forgetActor('t-2', 'u-2');
        $this->artisan('queue:work', ['connection' => 'database', '--once' => true, '--sleep' => 0]);
        self::assertSame([], $this->calls, 'purge not invoked while another erasure runs');
        self::assertSame(1, DB::table('jobs')->count(), 'released to wait, not dropped');
        $held->release();
    }

    public function testTheCheckCommandRunsNothingAndChecksRecordAndPurge(): void
    {
        $this->lambda(static fn (): MockResponse => new MockResponse('', ['http_code' => 204]));
        self::assertSame(0, $this->artisan('adoption-ledger:check'), $this->printed());
        self::assertCount(2, $this->calls);
        foreach ($this->calls as $call) {
            self::assertSame('DryRun', $call['headers']['x-amz-invocation-type'], 'Lambda checks the permission and runs nothing');
            self::assertSame('', $call['body']);
        }
        self::assertStringEndsWith('/functions/record/invocations', $this->calls[0]['url']);
        self::assertStringEndsWith('/functions/purge/invocations', $this->calls[1]['url']);

        // Where this process runs the erasure queue, a purge function the
        // role may not invoke fails the check and says which.
        $this->app['config']->set('adoption-ledger.erasure.here', true);
        $this->calls = [];
        $this->lambda(static fn (string $url): MockResponse => str_contains($url, '/purge/')
            ? new MockResponse('{"__type":"AccessDeniedException"}', ['http_code' => 403])
            : new MockResponse('', ['http_code' => 204]));
        self::assertSame(1, $this->artisan('adoption-ledger:check'));
        self::assertStringContainsString('HostAppPurgeInvokePolicyArn', $this->printed());
    }

    public function testElsewhereARoleThatMayNotEraseIsErasureNotConfiguredHereNotAFailure(): void
    {
        $this->lambda(static fn (string $url): MockResponse => str_contains($url, '/purge/')
            ? new MockResponse('{"__type":"AccessDeniedException"}', ['http_code' => 403])
            : new MockResponse('', ['http_code' => 204]));
        self::assertFalse(config('adoption-ledger.erasure.here'), 'not the erasure worker by default');
        self::assertSame(0, $this->artisan('adoption-ledger:check'), 'the web tier must not be told to grant purge');
        $printed = $this->printed();
        self::assertStringContainsString('Erasure is not configured here', $printed);
        self::assertStringNotContainsString('could not be invoked', $printed);
    }

    public function testErasureJobsGoToTheirOwnQueueNeverTheRecordingJobs(): void
    {
        [$milestone] = CatalogExamples::oneOfEach(new \DateTimeImmutable('-1 minute'), 'paths');
        AdoptionLedger::record($milestone);
        AdoptionLedger::forgetTenant('tenant-paths');
        AdoptionLedger::forgetActor('tenant-paths', 'user-paths');
        self::assertSame(['adoption-ledger-erasure', 'adoption-ledger-erasure', 'default'], DB::table('jobs')->orderBy('queue')->pluck('queue')->all());

        // A worker of the recording queue never runs an erasure.
        $this->lambda(static fn (): MockResponse => new MockResponse('{"status":"recorded","event_id":"x"}'));
        $this->artisan('queue:work', ['connection' => 'database', '--stop-when-empty' => true, '--sleep' => 0]);
        self::assertSame(['adoption-ledger-erasure', 'adoption-ledger-erasure'], DB::table('jobs')->pluck('queue')->all());
        self::assertCount(1, $this->calls);
        self::assertStringEndsWith('/functions/record/invocations', $this->calls[0]['url']);
    }

    public function testAPurgedMilestoneIsDoneNeitherRetriedNorReported(): void
    {
        [$milestone] = CatalogExamples::oneOfEach(new \DateTimeImmutable('-1 minute'), 'purged');
        $result = RecordResult::fromResponse(['status' => 'purged'], $milestone->eventId);
        self::assertTrue($result->isPurged());
        self::assertFalse($result->isStored());
        self::assertFalse($result->isRejected());

        $this->lambda(static fn (): MockResponse => new MockResponse('{"status":"purged","event_id":"x"}'));
        AdoptionLedger::record($milestone);
        $this->artisan('queue:work', ['connection' => 'database', '--stop-when-empty' => true, '--sleep' => 0]);
        self::assertSame(0, DB::table('jobs')->count() + DB::table('failed_jobs')->count());
        $reported = array_filter($this->app->make(ExceptionHandler::class)->reported, static fn ($e): bool => $e instanceof LedgerRejected);
        self::assertSame([], $reported);
        self::assertCount(1, $this->calls, 'sent once');
    }

    /** Lambda as a mock that records each request, answering `$answer($url)`. */
    private function lambda(callable $answer): void
    {
        $client = new MockHttpClient(function (string $method, string $url, array $options) use ($answer): MockResponse {
            $headers = [];
            foreach ($options['headers'] ?? [] as $line) {
                [$name, $value] = explode(':', $line, 2);
                $headers[strtolower(trim($name))] = trim($value);
            }
            $body = $options['body'] ?? '';
            $this->calls[] = ['url' => $url, 'headers' => $headers, 'body' => \is_string($body) ? $body : ''];

            return $answer($url);
        });
        $api = new LambdaApi(['region' => 'eu-west-1', 'accessKeyId' => 'AKIDEXAMPLE', 'accessKeySecret' => 'secret'], null, $client);
        $this->app->instance(LambdaApi::class, $api);
        $this->app->instance(Purger::class, new Purger($api, 'purge'));
        $this->app->forgetInstance(\AdoptionLedger\Recorder::class);
        $this->app->instance(\AdoptionLedger\Recorder::class, new \AdoptionLedger\LambdaRecorder($api, 'record'));
    }

    /** @param array<string, mixed> $arguments */
    private function artisan(string $command, array $arguments = []): int
    {
        return $this->app->make(ConsoleKernel::class)->call($command, $arguments);
    }

    /** What the last command printed (read once: the buffer empties). */
    private function printed(): string
    {
        return $this->app->make(ConsoleKernel::class)->output();
    }

    private function get(string $uri): \Symfony\Component\HttpFoundation\Response
    {
        return $this->app->make(HttpKernel::class)->handle(Request::create($uri, 'GET', [], [], [], ['REMOTE_ADDR' => '10.1.2.5', 'HTTP_ACCEPT' => 'application/json']));
    }
}
