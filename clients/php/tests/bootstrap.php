<?php

declare(strict_types=1);

// The test autoloaders. Where Composer installed the dev dependencies
// (`composer install` in clients/php), its autoloader; else Debian's packaged
// Laravel, async-aws/core, Symfony HttpClient and Composer's own classes (no
// Composer registry is reachable on this project's machines), and this
// package's PSR-4 namespaces as composer.json declares them.
$vendor = __DIR__.'/../vendor/autoload.php';
if (is_file($vendor)) {
    require $vendor;

    return;
}

foreach (['Illuminate/autoload.php', 'AsyncAws/Core/autoload.php', 'Symfony/Component/HttpClient/autoload.php', 'Composer/Semver/autoload.php'] as $autoload) {
    require_once $autoload;
}
if (!class_exists(Composer\InstalledVersions::class)) {
    require_once 'Composer/InstalledVersions.php';
}

$composer = json_decode((string) file_get_contents(__DIR__.'/../composer.json'), true, 512, \JSON_THROW_ON_ERROR);
$namespaces = $composer['autoload']['psr-4'] + $composer['autoload-dev']['psr-4'];
// Filament's packages, where the suite was given them (the trixie root:
// ../shared/php-vendor/filament-3.2.121, in Composer's vendor layout).
require_once __DIR__.'/Filament/Vendor.php';
AdoptionLedger\Tests\Filament\Vendor::load($namespaces, getenv('ADOPTION_LEDGER_TEST_FILAMENT') ?: null);
// The longest prefix first: AdoptionLedger\Tests\ before AdoptionLedger\.
uksort($namespaces, static fn (string $a, string $b): int => \strlen($b) <=> \strlen($a));
spl_autoload_register(static function (string $class) use ($namespaces): void {
    foreach ($namespaces as $prefix => $directories) {
        if (str_starts_with($class, $prefix)) {
            foreach ((array) $directories as $directory) {
                $file = rtrim($directory, '/').'/'.str_replace('\\', '/', substr($class, \strlen($prefix))).'.php';
                $file = str_starts_with($file, '/') ? $file : __DIR__.'/../'.$file;
                if (is_file($file)) {
                    require $file;

                    return;
                }
            }
        }
    }
});
