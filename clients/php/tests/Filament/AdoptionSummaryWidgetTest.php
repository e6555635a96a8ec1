<?php

declare(strict_types=1);

namespace AdoptionLedger\Tests\Filament;

use AdoptionLedger\Filament\AdoptionSummaryWidget;
use AdoptionLedger\Laravel\Dashboard\Summaries;
use AdoptionLedger\Laravel\Facades\AdoptionLedger;
use AdoptionLedger\Tests\CatalogExamples;
use AdoptionLedger\Tests\Laravel\TestApp;
use Illuminate\Foundation\Application;
use Illuminate\Support\Facades\Blade;
use Livewire\Livewire;
use PHPUnit\Framework\TestCase;

/**
 * The Filament widget on Filament 3.2 and Livewire 3.8 (in the trixie root,
 * from ../shared/php-vendor), in a Laravel app that discovers Filament's
 * providers as a host's does, against the real summary function under
 * `cargo lambda watch` (tests/integration/php.rs starts it).
 */
final class AdoptionSummaryWidgetTest extends TestCase
{
    private Application $app;

    protected function setUp(): void
    {
        if (!Vendor::loaded()) {
            self::fail('Filament is not loaded: run this suite through scripts/test-php (ADOPTION_LEDGER_TEST_FILAMENT), or after composer install');
        }
        foreach (['ADOPTION_LEDGER_LAMBDA_ENDPOINT', 'ADOPTION_LEDGER_SUMMARY_URL'] as $name) {
            if (false === getenv($name)) {
                // scripts/test-php sets them, and fails on any skipped test.
                self::markTestSkipped("$name is not set: these tests call the functions; run them through scripts/test-php (or scripts/test), or start scripts/dev and set the LEDGER_TEST_* variables");
            }
        }
        $this->app = TestApp::create(['adoption-ledger.record_function' => 'record'], filament: true);
    }

    protected function tearDown(): void
    {
        AdoptionLedger::clearResolvedInstances();
        TestApp::release();
    }

    public function testEveryWindowShowsOneCardPerFamilyWithItsCountChartAndLastSeenThenTheActiveWorkspaces(): void
    {
        foreach (CatalogExamples::oneOfEach(new \DateTimeImmutable('-5 minutes'), 'filament') as $milestone) {
            self::assertTrue(AdoptionLedger::recordNow($milestone)->isStored());
        }
        TestApp::signIn($this->app);
        foreach (Summaries::WINDOWS as $window) {
            $summary = app(Summaries::class)->fetch($window);
            self::assertTrue($summary->isOk(), $window);
            $html = $this->widget(['filters' => ['window' => $window]]);
            foreach ($summary->body['families'] as $family) {
                $card = self::card($html, $family['event']);
                self::assertStringContainsString(e($family['label']), $card, $window);
                self::assertStringContainsString('>'.number_format($family['count']).'<', preg_replace('/\s+/', '', $card) ?? '', "$window: {$family['event']}'s count");
                self::assertGreaterThan(0, $family['count'], 'every family has a milestone in every window');
                self::assertStringContainsString('Last seen ', $card);
                self::assertSame(\count($family['buckets']), self::chartPoints($card), "$window: one chart point per bucket");
            }
            $workspaces = self::card($html, 'active_workspaces');
            self::assertStringContainsString('>'.number_format($summary->body['active_workspaces']).'<', preg_replace('/\s+/', '', $workspaces) ?? '');
            self::assertStringContainsString(\sprintf('in the last %s', ['24h' => '24 hours', '7d' => '7 days', '30d' => '30 days', '90d' => '90 days'][$window]), $workspaces);
            self::assertSame(\count($summary->body['families']) + 1, substr_count($html, 'data-event='), "$window: a card per family, then the workspaces");
        }
    }

    public function testItShowsSevenDaysUntilAWindowIsPickedAndFollowsFilamentFourPageFilters(): void
    {
        self::assertStringContainsString('in the last 7 days', $this->widget([]));
        self::assertStringContainsString('in the last 30 days', $this->widget(['pageFilters' => ['window' => '30d']]));
        self::assertStringContainsString('in the last 24 hours', $this->widget(['filters' => ['window' => '24h']]));
    }

    public function testAnUnknownWindowIsRefusedAsTheRouteRefusesIt(): void
    {
        $html = $this->widget(['filters' => ['window' => '1y']]);
        self::assertStringContainsString('data-error="invalid_window"', $html);
        self::assertStringContainsString(e('window must be one of: 24h, 7d, 30d, 90d'), $html);
        self::assertStringNotContainsString('data-event=', $html, 'no numbers for a window nobody asked for');
    }

    public function testOnlyPeopleTheGateAllowsSeeIt(): void
    {
        self::assertFalse(AdoptionSummaryWidget::canView(), 'nobody signed in');
        TestApp::signIn($this->app, null);
        self::assertFalse(AdoptionSummaryWidget::canView(), "signed in, the package's deny-all gate");
        TestApp::signIn($this->app, false);
        self::assertFalse(AdoptionSummaryWidget::canView(), 'the host denies');
        TestApp::signIn($this->app, true);
        self::assertTrue(AdoptionSummaryWidget::canView(), 'the host allows');
    }

    public function testAnUpstreamFailureIsACardNeverAnException(): void
    {
        $server = stream_socket_server('tcp://127.0.0.1:0');
        self::assertIsResource($server);
        $closed = (string) stream_socket_get_name($server, false);
        fclose($server);
        $this->app['config']->set('adoption-ledger.summary_url', "http://$closed");
        $this->app['config']->set('adoption-ledger.timeouts.summary', 2.0);
        $this->app->forgetInstance(\AdoptionLedger\Aws\SummaryApi::class);
        $html = $this->widget(['filters' => ['window' => '7d']]);
        self::assertStringContainsString('data-error="upstream_unavailable"', $html);
        self::assertStringContainsString('Unavailable', $html);

        $this->app['config']->set('adoption-ledger.summary_url', null);
        self::assertStringContainsString('data-error="not_configured"', $this->widget([]));
    }

    public function testItSitsInFilamentsWidgetGridAsADashboardRendersItAndUsesTheRoutesCache(): void
    {
        TestApp::signIn($this->app);
        $grid = '<x-filament-widgets::widgets :widgets="$widgets" :data="$data" />';
        // As a Filament 3 dashboard hands its widgets the filters. Lazy by
        // default: the page renders at once, the widget loads after.
        $lazy = Blade::render($grid, ['widgets' => [AdoptionSummaryWidget::class], 'data' => ['filters' => ['window' => '24h']]]);
        self::assertStringContainsString('adoption-ledger.filament.adoption-summary-widget', html_entity_decode($lazy), 'the widget, by its Livewire name');
        self::assertStringContainsString('__lazyLoad', $lazy, 'loaded after the page');
        self::assertSame(1, preg_match("/__lazyLoad\\(&#039;([A-Za-z0-9+\/=]+)&#039;\\)/", $lazy, $match));
        self::assertStringContainsString('"window":"24h"', (string) base64_decode($match[1], true), 'with the dashboard\'s filters');

        $html = Blade::render($grid, ['widgets' => [AdoptionSummaryWidget::make(['lazy' => false])], 'data' => ['filters' => ['window' => '24h']]]);
        self::assertStringContainsString('fi-wi-stats-overview', $html, "Filament's stats overview, in the grid");
        self::assertStringContainsString('wire:poll.60s', $html);
        self::assertStringContainsString('in the last 24 hours', $html);
        self::assertIsArray(cache()->get('adoption-ledger:summary:24h'), "the route's cache holds the answer");
    }

    /** @param array<string, mixed> $properties the widget's Livewire properties (the dashboard's filters) */
    private function widget(array $properties): string
    {
        return Livewire::test(AdoptionSummaryWidget::class, $properties)->html();
    }

    /** One stat card's HTML, found by its `data-event`. */
    private static function card(string $html, string $event): string
    {
        $start = strpos($html, 'data-event="'.$event.'"');
        self::assertNotFalse($start, "a card for $event");
        $end = strpos($html, 'data-event=', $start + 1);

        return substr($html, $start, false === $end ? null : $end - $start);
    }

    /** How many points the card's chart has (Filament hands them to its chart as JSON). */
    private static function chartPoints(string $card): int
    {
        self::assertSame(1, preg_match('/values: (?:JSON\.parse\(\')?(\[[^\]]*\])/', html_entity_decode($card), $match), 'a chart in the card');

        return \count(json_decode($match[1], true, 512, \JSON_THROW_ON_ERROR));
    }
}
