<?php

declare(strict_types=1);

namespace AdoptionLedger\Tests\Laravel;

use AdoptionLedger\Aws\Http;
use AdoptionLedger\Aws\SummaryApi;
use AdoptionLedger\Laravel\Events\ErasureFinished;
use AdoptionLedger\Laravel\Events\MilestoneRecorded;
use AdoptionLedger\Laravel\Events\MilestoneRejected;
use AdoptionLedger\Laravel\Facades\AdoptionLedger;
use AdoptionLedger\Laravel\AdoptionLedgerServiceProvider;
use AdoptionLedger\Laravel\Ledger;
use AdoptionLedger\Tests\CatalogExamples;
use AsyncAws\Core\Credentials\Credentials;
use AsyncAws\Core\Credentials\NullProvider;
use Illuminate\Contracts\Http\Kernel as HttpKernel;
use Illuminate\Foundation\Application;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Event;
use Illuminate\Support\Facades\Route;
use Illuminate\Support\Facades\Vite;
use PHPUnit\Framework\Attributes\RunInSeparateProcess;
use PHPUnit\Framework\AssertionFailedError;
use PHPUnit\Framework\TestCase;
use Symfony\Component\HttpClient\MockHttpClient;
use Symfony\Component\HttpClient\Response\MockResponse;

/** The Laravel bridge in a real (minimal) application, without AWS. */
final class PackageTest extends TestCase
{
    private Application $app;

    protected function setUp(): void
    {
        $this->app = TestApp::create();
    }

    protected function tearDown(): void
    {
        AdoptionLedger::clearResolvedInstances();
        TestApp::release();
    }

    public function testTheServiceProviderAndTheFacadeAreDiscoveredFromComposerMetadata(): void
    {
        self::assertArrayHasKey(AdoptionLedgerServiceProvider::class, $this->app->getLoadedProviders());
        self::assertInstanceOf(Ledger::class, \AdoptionLedger::getFacadeRoot());
        self::assertSame('lambda', config('adoption-ledger.driver'), 'the config is merged');
    }

    public function testTheFakeKeepsWhatIsRecordedAndAssertsOnIt(): void
    {
        $fake = AdoptionLedger::fake();
        AdoptionLedger::assertNothingRecorded();
        [$first] = CatalogExamples::oneOfEach(new \DateTimeImmutable('2026-11-27T09:30:00Z'), 'fake');
        AdoptionLedger::record($first);

        AdoptionLedger::assertRecorded($first->event);
        AdoptionLedger::assertRecorded($first->event, static fn ($m, array $payload): bool => 'tenant-fake' === $payload['tenant_id']);
        AdoptionLedger::assertRecordedTimes($first->event, 1);
        self::assertCount(1, $fake->recorded($first->event));
        self::assertFails(static fn () => AdoptionLedger::assertRecorded($first->event, static fn ($m, array $payload): bool => 'other' === $payload['tenant_id']));
        self::assertFails(static fn () => AdoptionLedger::assertNothingRecorded());
    }

    public function testTheFakeDispatchesTheLedgersEventsSoAHostsListenersRunInItsTests(): void
    {
        Event::fake();
        $fake = AdoptionLedger::fake();
        [$first, $second] = CatalogExamples::oneOfEach(new \DateTimeImmutable('2026-11-27T09:30:00Z'), 'events');
        AdoptionLedger::record($first);
        AdoptionLedger::forgetActor('tenant-events', 'user-events');
        Event::assertDispatched(MilestoneRecorded::class, static fn (MilestoneRecorded $event): bool => $event->milestone === $first);
        Event::assertDispatched(ErasureFinished::class, static fn (ErasureFinished $event): bool => 'user-events' === $event->scope->actorId);

        $fake->rejectWith('metadata_value_charset', 'metadata.surface');
        AdoptionLedger::record($second);
        Event::assertDispatched(MilestoneRejected::class, static fn (MilestoneRejected $event): bool => $event->milestone === $second && 'metadata_value_charset' === $event->code && 'metadata.surface' === $event->field);
        AdoptionLedger::assertNotRecorded($second->event);
    }

    public function testTheFakeKeepsErasuresAndAssertsOnThem(): void
    {
        AdoptionLedger::fake();
        AdoptionLedger::forgetTenant('tenant-leaving');
        AdoptionLedger::forgetActor('tenant-a', 'user-1');

        AdoptionLedger::assertTenantForgotten('tenant-leaving');
        AdoptionLedger::assertActorForgotten('tenant-a', 'user-1');
        self::assertFails(static fn () => AdoptionLedger::assertTenantForgotten('tenant-a'));
        self::assertFails(static fn () => AdoptionLedger::assertActorForgotten('tenant-b', 'user-1'));
        AdoptionLedger::assertNothingRecorded();
    }

    public function testTheComponentLoadsTheWidgetWithThePagesNonce(): void
    {
        file_put_contents($this->app->resourcePath('views/page.blade.php'), '<x-adoption-ledger::summary src="/admin/adoption/summary" nonce="n0nce-123" windows="7d,30d" />');
        $html = view('page')->render();
        self::assertStringContainsString('<script type="module" src="/vendor/adoption-ledger/adoption-summary.js" nonce="n0nce-123"></script>', $html);
        self::assertStringContainsString('<adoption-summary src="/admin/adoption/summary" windows="7d,30d"  nonce="n0nce-123"></adoption-summary>', $html);
    }

    public function testTheComponentTakesTheNonceLaravelsViteUses(): void
    {
        Vite::useCspNonce('vite-n0nce');
        file_put_contents($this->app->resourcePath('views/page.blade.php'), '<x-adoption-ledger::summary src="/admin/adoption/summary" />');
        $html = view('page')->render();
        self::assertStringContainsString('<script type="module" src="/vendor/adoption-ledger/adoption-summary.js" nonce="vite-n0nce"></script>', $html);
        self::assertStringContainsString('nonce="vite-n0nce"></adoption-summary>', $html);

        file_put_contents($this->app->resourcePath('views/given.blade.php'), '<x-adoption-ledger::summary src="/admin/adoption/summary" nonce="given" />');
        self::assertStringContainsString('nonce="given"></script>', view('given')->render(), 'a nonce given wins');
    }

    /** In a process of its own: it defines spatie/laravel-csp's global helper. */
    #[RunInSeparateProcess]
    public function testSpatiesCspNonceWinsWhereItIsInstalled(): void
    {
        eval('function csp_nonce(): string { return "spatie-n0nce"; }');
        Vite::useCspNonce('vite-n0nce');
        file_put_contents($this->app->resourcePath('views/page.blade.php'), '<x-adoption-ledger::summary src="/admin/adoption/summary" />');
        self::assertStringContainsString('nonce="spatie-n0nce"></script>', view('page')->render());
    }

    public function testWithoutANonceAnywhereTheScriptCarriesNone(): void
    {
        file_put_contents($this->app->resourcePath('views/page.blade.php'), '<x-adoption-ledger::summary src="/admin/adoption/summary" />');
        self::assertStringContainsString('<script type="module" src="/vendor/adoption-ledger/adoption-summary.js"></script>', view('page')->render());
    }

    public function testTheWidgetAndTheConfigArePublishable(): void
    {
        $published = $this->app->make('Illuminate\Contracts\Console\Kernel')->call('vendor:publish', ['--tag' => 'adoption-ledger-assets']);
        self::assertSame(0, $published);
        self::assertFileEquals(__DIR__.'/../../resources/js/adoption-summary.js', public_path('vendor/adoption-ledger/adoption-summary.js'));
        $this->app->make('Illuminate\Contracts\Console\Kernel')->call('vendor:publish', ['--tag' => 'adoption-ledger-config']);
        self::assertFileEquals(__DIR__.'/../../config/adoption-ledger.php', config_path('adoption-ledger.php'));
    }

    public function testTheSummaryRouteAllowsOnlyTheFourWindowsAndNeverCaches(): void
    {
        $calls = 0;
        $this->summaryUpstream(static function () use (&$calls): MockResponse {
            ++$calls;

            return new MockResponse('{"total": 3}', ['http_code' => 200]);
        });
        foreach (['24h', '7d', '30d', '90d'] as $window) {
            $response = $this->get("/adoption/summary?window=$window");
            self::assertSame(200, $response->getStatusCode());
            self::assertSame(['total' => 3], json_decode((string) $response->getContent(), true));
            self::assertStringContainsString('no-store', (string) $response->headers->get('cache-control'));
        }
        // The aggregate answer is cached briefly: a second 7d call reaches no upstream.
        $this->get('/adoption/summary?window=7d');
        self::assertSame(4, $calls);
        foreach (['1y', '', '7d;drop'] as $window) {
            $response = $this->get('/adoption/summary?window='.rawurlencode($window));
            self::assertSame(400, $response->getStatusCode(), $window);
            self::assertSame('invalid_window', json_decode((string) $response->getContent(), true)['error']['code']);
        }
        self::assertSame(4, $calls, 'nothing outside the allow-list is forwarded');
    }

    public function testAnUpstream403IsA502ThatSaysTheServersRoleLacksThePolicy(): void
    {
        $this->summaryUpstream(static fn (): MockResponse => new MockResponse('{"message":"Forbidden"}', ['http_code' => 403]));
        $response = $this->get('/adoption/summary?window=7d');
        self::assertSame(502, $response->getStatusCode());
        self::assertSame('upstream_forbidden', json_decode((string) $response->getContent(), true)['error']['code']);
        self::assertStringContainsString('no-store', (string) $response->headers->get('cache-control'));
    }

    public function testAPassingUpstreamFailureIsAskedOnceMoreThenAnsweredAsA502(): void
    {
        $answers = [new MockResponse('{"message":"Internal Server Error"}', ['http_code' => 500]), new MockResponse('{"window":{"key":"7d"},"families":[]}', ['http_code' => 200])];
        $calls = 0;
        $this->summaryUpstream(static function () use (&$answers, &$calls): MockResponse {
            ++$calls;

            return array_shift($answers) ?? new MockResponse('{}', ['http_code' => 502]);
        });
        self::assertSame(200, $this->get('/adoption/summary?window=7d')->getStatusCode(), 'a 500, then the summary');
        self::assertSame(2, $calls);

        $answers = [new MockResponse('{}', ['http_code' => 502]), new MockResponse('{}', ['http_code' => 500])];
        $response = $this->get('/adoption/summary?window=30d');
        self::assertSame(502, $response->getStatusCode());
        self::assertStringContainsString('upstream_failed', (string) $response->getContent());
        self::assertSame(4, $calls, 'asked twice, no more');

        $answers = [new MockResponse('{"error":{"code":"summary_unavailable"}}', ['http_code' => 503])];
        self::assertSame(502, $this->get('/adoption/summary?window=90d')->getStatusCode());
        self::assertSame(5, $calls, 'a 503 (come back later) is not asked again');
    }

    public function testTheRouteIsThrottled(): void
    {
        $this->app['config']->set('adoption-ledger.summary.throttle_per_minute', 3);
        $this->summaryUpstream(static fn (): MockResponse => new MockResponse('{"total": 0}', ['http_code' => 200]));
        $statuses = [];
        for ($i = 0; $i < 5; ++$i) {
            $statuses[] = $this->get('/adoption/summary?window=24h')->getStatusCode();
        }
        self::assertSame([200, 200, 200, 429, 429], $statuses);
        $throttled = $this->get('/adoption/summary?window=24h');
        self::assertSame(429, $throttled->getStatusCode());
        self::assertStringContainsString('no-store', (string) $throttled->headers->get('cache-control'), 'a 429 is not cached either');
    }

    /** Direct mode (no queue) against an endpoint that accepts and never answers. */
    public function testDirectModeNeverThrowsIntoTheRequestAndGivesUpWithinThreeSeconds(): void
    {
        $blackHole = stream_socket_server('tcp://127.0.0.1:0');
        self::assertIsResource($blackHole);
        $address = stream_socket_get_name($blackHole, false);
        $app = TestApp::create([
            'adoption-ledger.queue.enabled' => false,
            'adoption-ledger.lambda_endpoint' => "http://$address",
        ]);
        [$milestone] = CatalogExamples::oneOfEach(new \DateTimeImmutable(), 'direct');
        $started = microtime(true);
        $app->make(Ledger::class)->record($milestone);
        $seconds = microtime(true) - $started;
        self::assertLessThan(3.5, $seconds, 'gave up within the direct timeout');
        self::assertStringContainsString('adoption-ledger: milestone not recorded', TestApp::log($app));
        fclose($blackHole);
    }

    private function summaryUpstream(callable $answer): void
    {
        $this->app['config']->set('adoption-ledger.summary_url', 'https://summary.example.test');
        $this->app->instance(SummaryApi::class, new SummaryApi(
            ['region' => 'eu-west-1', 'endpoint' => 'https://summary.example.test', 'accessKeyId' => 'AKIDEXAMPLE', 'accessKeySecret' => 'secret'],
            null,
            new MockHttpClient(static fn () => $answer()),
        ));
        Route::adoptionLedgerSummary('/adoption/summary');
        TestApp::signIn($this->app);
    }

    private function get(string $uri): \Symfony\Component\HttpFoundation\Response
    {
        return $this->app->make(HttpKernel::class)->handle(Request::create($uri, 'GET', [], [], [], ['REMOTE_ADDR' => '10.1.2.3', 'HTTP_ACCEPT' => 'application/json']));
    }

    private static function assertFails(callable $assertion): void
    {
        try {
            $assertion();
        } catch (AssertionFailedError) {
            return;
        }
        self::fail('the assertion passed, but should have failed');
    }
}
