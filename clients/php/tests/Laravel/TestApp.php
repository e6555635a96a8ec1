<?php

declare(strict_types=1);

namespace AdoptionLedger\Tests\Laravel;

use AdoptionLedger\Tests\Filament\Vendor;
use Illuminate\Auth\GenericUser;
use Illuminate\Contracts\Auth\Access\Gate;
use Illuminate\Contracts\Console\Kernel as ConsoleKernelContract;
use Illuminate\Contracts\Debug\ExceptionHandler;
use Illuminate\Contracts\Http\Kernel as HttpKernelContract;
use Illuminate\Database\Schema\Blueprint;
use Illuminate\Foundation\Application;
use Illuminate\Queue\Console\WorkCommand;
use Illuminate\Support\Facades\Schema;

/**
 * A minimal Laravel application that registers nothing of this package by
 * hand: it finds the service provider and the facade the way an app does, in
 * `vendor/composer/installed.json`, written here as `composer install` would
 * from the package's composer.json (its `extra.laravel`). A SQLite database
 * holds the queue's `jobs` and `failed_jobs`.
 */
final class TestApp
{
    /** Apps made since the last {@see TestApp::release()}: each set error and exception handlers. */
    private static int $made = 0;

    /**
     * @param array<string, mixed> $config   extra configuration, by dotted key
     * @param bool                 $filament with Filament's and Livewire's packages installed
     *                                       (their providers discovered as this package's are)
     */
    public static function create(array $config = [], bool $filament = false): Application
    {
        $base = sys_get_temp_dir().'/adoption-ledger-app-'.bin2hex(random_bytes(6));
        foreach (['bootstrap/cache', 'config', 'storage/framework/cache', 'storage/framework/views', 'storage/logs', 'vendor/composer', 'public', 'resources/views'] as $dir) {
            mkdir("$base/$dir", 0777, true);
        }
        $package = json_decode((string) file_get_contents(__DIR__.'/../../composer.json'), true, 512, \JSON_THROW_ON_ERROR);
        $package['version'] = 'dev-main';
        $package['install-path'] = realpath(__DIR__.'/../..');
        $packages = [$package, ...array_values($filament ? Vendor::packages() : [])];
        file_put_contents("$base/vendor/composer/installed.json", json_encode(['packages' => $packages, 'dev' => true], \JSON_PRETTY_PRINT | \JSON_UNESCAPED_SLASHES));
        // Blade reads the app's composer.json when it compiles components (Filament's).
        file_put_contents("$base/composer.json", json_encode(['name' => 'adoption-ledger/test-app', 'autoload' => ['psr-4' => ['App\\' => 'app/']]]));
        touch("$base/database.sqlite");
        self::writeConfig($base, $filament);

        $app = new Application($base);
        $app->singleton(ConsoleKernelContract::class, \Illuminate\Foundation\Console\Kernel::class);
        $app->singleton(HttpKernelContract::class, \Illuminate\Foundation\Http\Kernel::class);
        $app->singleton(ExceptionHandler::class, RecordingHandler::class);
        // Counted before: a bootstrap that fails has set its handlers too.
        ++self::$made;
        $app->make(ConsoleKernelContract::class)->bootstrap();
        $app['auth']->viaRequest('nobody', static fn () => null);
        foreach ($config as $key => $value) {
            $app['config']->set($key, $value);
        }
        self::createQueueTables();

        return $app;
    }

    private static function writeConfig(string $base, bool $filament): void
    {
        $files = [
            'app' => [
                'name' => 'adoption-ledger-test-app',
                'env' => 'testing',
                'debug' => true,
                'url' => 'http://localhost',
                'key' => 'base64:'.base64_encode(random_bytes(32)),
                'cipher' => 'AES-256-CBC',
                'providers' => [
                    \Illuminate\Auth\AuthServiceProvider::class,
                    \Illuminate\Foundation\Providers\FoundationServiceProvider::class,
                    \Illuminate\Foundation\Providers\ConsoleSupportServiceProvider::class,
                    \Illuminate\Bus\BusServiceProvider::class,
                    \Illuminate\Cache\CacheServiceProvider::class,
                    \Illuminate\Database\DatabaseServiceProvider::class,
                    \Illuminate\Encryption\EncryptionServiceProvider::class,
                    \Illuminate\Filesystem\FilesystemServiceProvider::class,
                    \Illuminate\Queue\QueueServiceProvider::class,
                    \Illuminate\View\ViewServiceProvider::class,
                    // What Livewire and Filament need beside.
                    ...($filament ? [\Illuminate\Session\SessionServiceProvider::class, \Illuminate\Translation\TranslationServiceProvider::class, \Illuminate\Routing\RoutingServiceProvider::class] : []),
                ],
                'aliases' => [],
            ],
            // A request guard that knows nobody until a test signs someone in.
            'auth' => [
                'defaults' => ['guard' => 'web'],
                'guards' => ['web' => ['driver' => 'nobody']],
            ],
            'database' => [
                'default' => 'sqlite',
                'connections' => ['sqlite' => ['driver' => 'sqlite', 'database' => "$base/database.sqlite", 'prefix' => '', 'foreign_key_constraints' => true]],
            ],
            'queue' => [
                'default' => 'database',
                'connections' => [
                    'database' => ['driver' => 'database', 'table' => 'jobs', 'queue' => 'default', 'retry_after' => 90, 'after_commit' => false],
                    // A new Laravel app's default connection.
                    'sync' => ['driver' => 'sync'],
                ],
                'failed' => ['driver' => 'database-uuids', 'database' => 'sqlite', 'table' => 'failed_jobs'],
            ],
            'cache' => ['default' => 'array', 'stores' => ['array' => ['driver' => 'array', 'serialize' => true]], 'prefix' => 'test'],
            'session' => ['driver' => 'array', 'lifetime' => 120, 'cookie' => 'test_session'],
            'view' => ['paths' => ["$base/resources/views"], 'compiled' => "$base/storage/framework/views"],
            'logging' => [
                'default' => 'single',
                'channels' => ['single' => ['driver' => 'single', 'path' => "$base/storage/logs/laravel.log", 'level' => 'debug']],
            ],
        ];
        foreach ($files as $name => $values) {
            file_put_contents("$base/config/$name.php", '<?php return '.var_export($values, true).';');
        }
    }

    /** The tables `php artisan queue:table` and `queue:failed-table` create. */
    private static function createQueueTables(): void
    {
        Schema::create('jobs', static function (Blueprint $table): void {
            $table->bigIncrements('id');
            $table->string('queue')->index();
            $table->longText('payload');
            $table->unsignedTinyInteger('attempts');
            $table->unsignedInteger('reserved_at')->nullable();
            $table->unsignedInteger('available_at');
            $table->unsignedInteger('created_at');
        });
        Schema::create('failed_jobs', static function (Blueprint $table): void {
            $table->id();
            $table->string('uuid')->unique();
            $table->text('connection');
            $table->text('queue');
            $table->longText('payload');
            $table->longText('exception');
            $table->timestamp('failed_at')->useCurrent();
        });
    }

    /**
     * Signs a user in for the app's next requests; `$allowed` defines the
     * `viewAdoptionSummary` gate for them as the host would (null: leaves the
     * package's deny-all default).
     */
    public static function signIn(Application $app, ?bool $allowed = true): GenericUser
    {
        $user = new GenericUser(['id' => 7, 'name' => 'console admin']);
        $app['auth']->guard()->setUser($user);
        if (null !== $allowed) {
            $app->make(Gate::class)->define('viewAdoptionSummary', static fn (GenericUser $who): bool => $allowed && 7 === $who->getAuthIdentifier());
        }

        return $user;
    }

    /**
     * Restores the error and exception handlers every app made since the last
     * call set (Laravel's bootstrap sets one of each), as Laravel's own test
     * case does: PHPUnit 11 flags a test that leaves them.
     */
    public static function release(): void
    {
        for (; self::$made > 0; --self::$made) {
            restore_error_handler();
            restore_exception_handler();
        }
        // Static state an app leaves for the next, as Laravel's own test case
        // flushes it: Artisan's start-up callbacks, and (Laravel 11+) the
        // worker command's "listeners registered" flag, without which a second
        // app's `queue:work` never logs a failed job.
        \Illuminate\Console\Application::forgetBootstrappers();
        if (method_exists(WorkCommand::class, 'flushState')) {
            WorkCommand::flushState();
        }
    }

    /** The database table a host's own action writes, to see it kept or rolled back. */
    public static function createActionsTable(): void
    {
        Schema::create('actions', static function (Blueprint $table): void {
            $table->id();
            $table->string('name');
        });
    }

    /** The lines the app logged. */
    public static function log(Application $app): string
    {
        $file = $app->storagePath().'/logs/laravel.log';

        return is_file($file) ? (string) file_get_contents($file) : '';
    }
}
