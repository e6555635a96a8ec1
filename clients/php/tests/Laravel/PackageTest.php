<?php

declare(strict_types=1);

namespace AdoptionLedger\Tests\Laravel;

use AdoptionLedger\Aws\Http;
use AdoptionLedger\Aws\SummaryApi;
use AdoptionLedger\Laravel\Facades\AdoptionLedger;
use AdoptionLedger\Laravel\AdoptionLedgerServiceProvider;
use AdoptionLedger\Laravel\Ledger;
use AdoptionLedger\Tests\CatalogExamples;
use AsyncAws\Core\Credentials\Credentials;
use AsyncAws\Core\Credentials\NullProvider;
use Illuminate\Contracts\Http\Kernel as HttpKernel;
use Illuminate\Foundation\Application;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Route;
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
