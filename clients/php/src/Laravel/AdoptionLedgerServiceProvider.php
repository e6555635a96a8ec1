<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel;

use AdoptionLedger\Aws\Http;
use AdoptionLedger\Aws\LambdaApi;
use AdoptionLedger\Aws\SummaryApi;
use AdoptionLedger\LambdaRecorder;
use AdoptionLedger\LogRecorder;
use AdoptionLedger\NullRecorder;
use AdoptionLedger\Purger;
use AdoptionLedger\Recorder;
use Illuminate\Contracts\Auth\Access\Gate;
use Illuminate\Contracts\Container\Container;
use Illuminate\Routing\Middleware\ThrottleRequests;
use Illuminate\Support\Facades\Blade;
use Illuminate\Support\Facades\Route;
use Illuminate\Support\ServiceProvider;

/**
 * Auto-discovered through `extra.laravel` in composer.json: the config, the
 * recorder of the configured driver, the facade's ledger, the purger, the
 * dashboard route macro, the Blade component, the check and forget commands
 * and the publishable files.
 */
final class AdoptionLedgerServiceProvider extends ServiceProvider
{
    private const ROOT = __DIR__.'/../..';

    public function register(): void
    {
        $this->mergeConfigFrom(self::ROOT.'/config/adoption-ledger.php', 'adoption-ledger');

        $this->app->singleton(LambdaApi::class, fn (Container $app) => self::lambda($app, 'record'));
        $this->app->singleton(Recorder::class, fn (Container $app) => self::recorder($app, $app->make(LambdaApi::class)));
        $this->app->singleton(Reporter::class, fn (Container $app) => new Reporter(
            $app->make('log')->channel(config('adoption-ledger.log_channel')),
            $app->make(\Illuminate\Contracts\Debug\ExceptionHandler::class),
        ));
        $this->app->singleton(Ledger::class, fn (Container $app) => new Ledger(
            $app->make(\Illuminate\Contracts\Bus\Dispatcher::class),
            $app->make(Recorder::class),
            // Direct mode: one bounded attempt inside the user's request.
            self::recorder($app, self::lambda($app, 'direct')),
            $app->make(Reporter::class),
            (array) config('adoption-ledger.queue'),
        ));
        // Purge answers within its 60 s timeout: its own, longer client timeout.
        $this->app->singleton(Purger::class, fn (Container $app) => new Purger(
            self::lambda($app, 'purge'),
            (string) config('adoption-ledger.purge_function'),
        ));
        $this->app->singleton(SummaryApi::class, fn () => new SummaryApi(
            array_filter([
                'region' => (string) config('adoption-ledger.region'),
                'endpoint' => config('adoption-ledger.summary_url'),
            ]),
            null,
            Http::client((float) config('adoption-ledger.timeouts.summary')),
        ));
        $this->app->when(SummaryController::class)
            ->needs('$cacheSeconds')
            ->give(fn () => (int) config('adoption-ledger.summary.cache_seconds'));
    }

    public function boot(): void
    {
        $this->loadViewsFrom(self::ROOT.'/resources/views', 'adoption-ledger');
        Blade::component('adoption-summary', AdoptionSummaryComponent::class);

        // Closed until the host opens it: deny-all, unless the host defined
        // the gate already (its own definition, before or after this one, wins).
        $this->callAfterResolving(Gate::class, static function (Gate $gate): void {
            if (!$gate->has(AuthorizeSummary::GATE)) {
                $gate->define(AuthorizeSummary::GATE, static fn (): bool => false);
            }
        });

        Route::macro('adoptionLedgerSummary', function (string $uri = 'adoption/summary') {
            $perMinute = (int) config('adoption-ledger.summary.throttle_per_minute');

            // The middleware by class, so no alias has to exist in the host's
            // kernel. The throttle first: refused callers are throttled too.
            return Route::get($uri, SummaryController::class)
                ->middleware([ThrottleRequests::class.":$perMinute,1", AuthorizeSummary::class])
                ->name('adoption-ledger.summary');
        });

        if ($this->app->runningInConsole()) {
            $this->commands([CheckCommand::class, ForgetCommand::class]);
            $this->publishes([self::ROOT.'/config/adoption-ledger.php' => config_path('adoption-ledger.php')], 'adoption-ledger-config');
            $this->publishes([self::ROOT.'/resources/js/adoption-summary.js' => public_path('vendor/adoption-ledger/adoption-summary.js')], 'adoption-ledger-assets');
        }
    }

    /** The Lambda API, bounded by the `record`, `direct` or `purge` timeout. */
    private static function lambda(Container $app, string $timeout): LambdaApi
    {
        return new LambdaApi(
            array_filter([
                'region' => (string) config('adoption-ledger.region'),
                'endpoint' => config('adoption-ledger.lambda_endpoint'),
            ]),
            null,
            Http::client((float) config("adoption-ledger.timeouts.$timeout")),
        );
    }

    private static function recorder(Container $app, LambdaApi $lambda): Recorder
    {
        return match (config('adoption-ledger.driver')) {
            'lambda' => new LambdaRecorder($lambda, (string) config('adoption-ledger.record_function')),
            'log' => new LogRecorder($app->make('log')->channel(config('adoption-ledger.log_channel'))),
            'null' => new NullRecorder(),
            default => throw new \InvalidArgumentException('adoption-ledger.driver must be lambda, log or null, got '.var_export(config('adoption-ledger.driver'), true)),
        };
    }
}
