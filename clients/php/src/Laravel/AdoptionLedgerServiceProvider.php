<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel;

use AdoptionLedger\Aws\Http;
use AdoptionLedger\Aws\LambdaApi;
use AdoptionLedger\Aws\SummaryApi;
use AdoptionLedger\LambdaRecorder;
use AdoptionLedger\Laravel\Commands\CheckCommand;
use AdoptionLedger\Laravel\Commands\ForgetCommand;
use AdoptionLedger\Laravel\Contracts\Ledger as LedgerContract;
use AdoptionLedger\Laravel\Dashboard\Summaries;
use AdoptionLedger\Laravel\Http\AuthorizeSummary;
use AdoptionLedger\Laravel\Http\NoStore;
use AdoptionLedger\Laravel\Http\SummaryController;
use AdoptionLedger\LogRecorder;
use AdoptionLedger\NullRecorder;
use AdoptionLedger\Purger;
use AdoptionLedger\Recorder;
use AdoptionLedger\UnusableRecorder;
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
 * and the publishable files. Nothing it builds throws into a request: a
 * setting it cannot understand is reported once, at boot.
 */
final class AdoptionLedgerServiceProvider extends ServiceProvider
{
    private const ROOT = __DIR__.'/../..';

    /** The drivers `adoption-ledger.driver` may name. */
    public const DRIVERS = ['lambda', 'log', 'null'];

    public function register(): void
    {
        $this->mergeConfigFrom(self::ROOT.'/config/adoption-ledger.php', 'adoption-ledger');

        $this->app->singleton(LambdaApi::class, fn (Container $app) => self::lambda('record'));
        $this->app->singleton(Recorder::class, fn (Container $app) => self::recorder($app, $app->make(LambdaApi::class)));
        $this->app->singleton(Reporter::class, fn (Container $app) => new Reporter(
            $app->make('log')->channel(config('adoption-ledger.log_channel')),
            $app->make(\Illuminate\Contracts\Debug\ExceptionHandler::class),
            $app->make(\Illuminate\Contracts\Events\Dispatcher::class),
        ));
        $this->app->singleton(AfterCommit::class, fn (Container $app) => new AfterCommit($app));
        $this->app->singleton(Ledger::class, fn (Container $app) => new Ledger(
            $app->make(\Illuminate\Contracts\Bus\Dispatcher::class),
            $app->make(Recorder::class),
            // Direct mode: one bounded attempt inside the user's request.
            self::recorder($app, self::lambda('direct')),
            $app->make(Reporter::class),
            $app->make(AfterCommit::class),
            (array) config('adoption-ledger.queue'),
            (array) config('adoption-ledger.erasure'),
        ));
        $this->app->alias(Ledger::class, LedgerContract::class);
        // Purge answers within its 60 s timeout: its own, longer client timeout.
        $this->app->singleton(Purger::class, fn (Container $app) => new Purger(
            self::lambda('purge'),
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
        // Made afresh for each use: it reads the configuration as it is then.
        $this->app->bind(Summaries::class, fn (Container $app) => new Summaries(
            $app->make(SummaryApi::class),
            $app->make(\Illuminate\Contracts\Cache\Repository::class),
            $app->make('log'),
            (int) config('adoption-ledger.summary.cache_seconds'),
            config('adoption-ledger.summary_url'),
        ));
    }

    public function boot(): void
    {
        $this->loadViewsFrom(self::ROOT.'/resources/views', 'adoption-ledger');
        // <x-adoption-ledger::summary>: every class of View/ under the package's prefix.
        Blade::componentNamespace('AdoptionLedger\\Laravel\\View', 'adoption-ledger');

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
            // kernel. `no-store` outermost, so every answer carries it (a 429
            // and a refusal too); the throttle before the gate, so refused
            // callers are throttled as well.
            return Route::get($uri, SummaryController::class)
                ->middleware([NoStore::class, ThrottleRequests::class.":$perMinute,1", AuthorizeSummary::class])
                ->name('adoption-ledger.summary');
        });

        // A setting that cannot be understood is reported once, here, never
        // thrown into a request.
        $this->app->booted(function (Container $app): void {
            foreach (self::problems() as $problem) {
                $app->make(Reporter::class)->misconfigured($problem);
            }
        });

        if ($this->app->runningInConsole()) {
            $this->commands([CheckCommand::class, ForgetCommand::class]);
            $this->publishes([self::ROOT.'/config/adoption-ledger.php' => config_path('adoption-ledger.php')], 'adoption-ledger-config');
            $this->publishes([self::ROOT.'/resources/js/adoption-summary.js' => public_path('vendor/adoption-ledger/adoption-summary.js')], 'adoption-ledger-assets');
        }
    }

    /**
     * What the configuration gets wrong, in words an operator can act on.
     *
     * @return list<string>
     */
    public static function problems(): array
    {
        $problems = [];
        $driver = config('adoption-ledger.driver');
        if (!\in_array($driver, self::DRIVERS, true)) {
            $problems[] = sprintf('adoption-ledger.driver (ADOPTION_LEDGER_DRIVER) must be lambda, log or null, got %s: milestones are kept in failed_jobs until it is fixed', var_export($driver, true));
        }

        return $problems;
    }

    /** The Lambda API, bounded by the `record`, `direct` or `purge` timeout. */
    private static function lambda(string $timeout): LambdaApi
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
            default => new UnusableRecorder(self::problems()[0] ?? 'adoption-ledger.driver is invalid'),
        };
    }
}
