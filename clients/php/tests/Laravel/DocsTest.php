<?php

declare(strict_types=1);

namespace AdoptionLedger\Tests\Laravel;

use AdoptionLedger\Laravel\Facades\AdoptionLedger;
use AdoptionLedger\Laravel\Http\AuthorizeSummary;
use Illuminate\Auth\GenericUser;
use Illuminate\Contracts\Auth\Access\Gate;
use AdoptionLedger\Milestones;
use Illuminate\Foundation\Application;
use Illuminate\Support\Carbon;
use PHPUnit\Framework\TestCase;

/**
 * Every PHP and Blade snippet in the docs is a file under tests/Docs that a
 * test here runs, and the docs hold exactly that file's text, marked with
 * `<!-- snippet: clients/php/tests/Docs/NAME -->` right before the block.
 */
final class DocsTest extends TestCase
{
    private const PAGES = ['README.md', 'docs/integration.md', 'docs/widget.md'];

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

    public function testEveryPhpOrBladeBlockInTheDocsIsAMarkedSnippetWithTheFilesText(): void
    {
        $root = \dirname(__DIR__, 4);
        $seen = [];
        foreach (self::PAGES as $page) {
            $text = (string) file_get_contents("$root/$page");
            preg_match_all('/(?:<!-- snippet: (\S+) -->\n)?```(php|blade)\n(.*?)```/s', $text, $blocks, \PREG_SET_ORDER);
            foreach ($blocks as [, $file, $language, $body]) {
                self::assertNotSame('', $file, "$page has a $language block without a snippet marker:\n$body");
                self::assertFileExists("$root/$file");
                self::assertSame(self::body((string) file_get_contents("$root/$file")), $body, "$page: the block differs from $file");
                $seen[] = basename($file);
            }
        }
        $snippets = array_map('basename', glob(__DIR__.'/../Docs/*') ?: []);
        sort($snippets);
        $seen = array_values(array_unique($seen));
        sort($seen);
        self::assertSame($snippets, $seen, 'every snippet is shown in the docs');
    }

    public function testTheRecordSnippetQueuesTheMilestoneOfTheStoredAction(): void
    {
        $fake = AdoptionLedger::fake();
        $report = $this->createReport();
        self::assertCount(1, $recorded = $fake->recorded(Milestones::REPORT_CREATED));
        self::assertSame('2026-11-27T09:30:00.123Z', $recorded[0]->occurredAt);
        self::assertSame(Milestones::REPORT_CREATED.':'.$report->id, $recorded[0]->eventId);
    }

    public function testTheFakeSnippetPasses(): void
    {
        include __DIR__.'/../Docs/fake.php';
        $this->addToAssertionCount(1);
    }

    public function testTheForgetSnippetQueuesBothErasures(): void
    {
        AdoptionLedger::fake();
        $tenant = (object) ['id' => 'tenant-42'];
        $user = (object) ['id' => 'user-1001'];
        include __DIR__.'/../Docs/forget.php';
        AdoptionLedger::assertTenantForgotten('tenant-42');
        AdoptionLedger::assertActorForgotten('tenant-42', 'user-1001');
    }

    public function testTheListenerSnippetAlertsOnARejectionWithItsCodeAndField(): void
    {
        $alerts = $this->app->storagePath().'/logs/alerts.log';
        $this->app['config']->set('logging.channels.alerts', ['driver' => 'single', 'path' => $alerts, 'level' => 'debug']);
        include __DIR__.'/../Docs/listener.php';
        AdoptionLedger::fake()->rejectWith('metadata_value_charset', 'metadata.report_type');
        $this->createReport();
        $line = (string) file_get_contents($alerts);
        self::assertStringContainsString('CRITICAL: adoption milestone rejected', $line);
        self::assertStringContainsString('"event":"'.Milestones::REPORT_CREATED.'","code":"metadata_value_charset","field":"metadata.report_type"', $line);
    }

    public function testTheRoutesSnippetMountsTheRouteInTheSessionAndOpensItToAdminsOnly(): void
    {
        $gate = $this->app->make(Gate::class);
        $admin = new GenericUser(['id' => 1, 'is_admin' => true]);
        self::assertTrue($gate->forUser($admin)->denies('viewAdoptionSummary'), 'deny-all before the host defines the gate');
        include __DIR__.'/../Docs/routes.php';
        $this->app['router']->getRoutes()->refreshNameLookups();
        $route = $this->app['router']->getRoutes()->getByName('adoption-ledger.summary');
        self::assertNotNull($route);
        self::assertSame('admin/adoption/summary', $route->uri());
        self::assertSame('web', $route->gatherMiddleware()[0]);
        self::assertContains(AuthorizeSummary::class, $route->gatherMiddleware());
        self::assertTrue($gate->forUser($admin)->allows('viewAdoptionSummary'));
        self::assertTrue($gate->forUser(new GenericUser(['id' => 2, 'is_admin' => false]))->denies('viewAdoptionSummary'));
    }

    public function testTheBladeSnippetRendersTheWidget(): void
    {
        copy(__DIR__.'/../Docs/dashboard.blade.php', $this->app->resourcePath('views/dashboard.blade.php'));
        $html = view('dashboard')->render();
        self::assertStringContainsString('<script type="module" src="/vendor/adoption-ledger/adoption-summary.js"></script>', $html);
        self::assertStringContainsString('<adoption-summary src="/admin/adoption/summary"', $html);
    }

    /** The host's action, as the record snippet finishes it. */
    public function createReport(): object
    {
        $report = (object) [
            'id' => 9001,
            'tenant_id' => 42,
            'workspace_id' => 7,
            'type' => 'usage',
            'created_at' => Carbon::parse('2026-11-27 10:30:00.123', 'Europe/Berlin'),
        ];
        $request = new class() {
            public function user(): object
            {
                return (object) ['id' => 1001];
            }
        };
        include __DIR__.'/../Docs/record.php';

        return $report;
    }

    /** A snippet file's text as the docs show it: without the opening `<?php` line. */
    private static function body(string $file): string
    {
        return preg_replace('/\A<\?php\n\n/', '', $file) ?? $file;
    }
}
