<?php

declare(strict_types=1);

namespace AdoptionLedger\Tests\Filament;

use Composer\InstalledVersions;

/**
 * Filament 3 and Livewire 3 without Composer: the packages of a folder in
 * Composer's vendor layout (`<vendor>/<package>/composer.json`), with a
 * `SOURCES.tsv` naming each one's tag and commit, as
 * ../shared/php-vendor/filament-3.2.121 holds them. Their PSR-4 namespaces
 * and files are loaded, Composer's `InstalledVersions` learns their versions
 * (Filament asks it for its assets' versions), and {@see packages()} gives
 * their composer.json for the test app's `installed.json`, from which Laravel
 * discovers their service providers.
 */
final class Vendor
{
    private static ?string $dir = null;

    /** @param array<string, string|list<string>> $namespaces PSR-4 prefixes to directories, added to */
    public static function load(array &$namespaces, ?string $dir): void
    {
        if (null === $dir) {
            return;
        }
        if (!is_file("$dir/SOURCES.tsv")) {
            throw new \RuntimeException("ADOPTION_LEDGER_TEST_FILAMENT=$dir holds no SOURCES.tsv: point it at ../shared/php-vendor/filament-3.2.121");
        }
        self::$dir = $dir;
        $versions = [];
        foreach (self::packages() as $name => $package) {
            foreach ($package['autoload']['psr-4'] ?? [] as $prefix => $path) {
                $namespaces[$prefix] = array_merge((array) ($namespaces[$prefix] ?? []), ["$dir/$name/$path"]);
            }
            foreach ($package['autoload']['files'] ?? [] as $file) {
                require_once "$dir/$name/$file";
            }
            $versions[$name] = [
                'pretty_version' => $package['version'],
                'version' => ltrim($package['version'], 'v').'.0',
                'reference' => $package['dist']['reference'] ?? null,
                'type' => 'library',
                'install_path' => "$dir/$name",
                'aliases' => [],
                'dev_requirement' => true,
            ];
        }
        InstalledVersions::reload([
            'root' => ['name' => 'adoption-ledger/client', 'pretty_version' => 'dev-main', 'version' => 'dev-main', 'reference' => null, 'type' => 'library', 'install_path' => \dirname(__DIR__, 2), 'aliases' => [], 'dev' => true],
            'versions' => $versions,
        ]);
    }

    /** Whether Filament's packages were loaded (by Composer, or from the folder). */
    public static function loaded(): bool
    {
        return class_exists(\Filament\Widgets\StatsOverviewWidget::class);
    }

    /**
     * Each package's composer.json, with its version and install path, by name.
     *
     * @return array<string, array<string, mixed>>
     */
    public static function packages(): array
    {
        if (null === self::$dir) {
            // Composer installed them: its own list says where.
            $installed = \dirname(__DIR__, 2).'/vendor/composer/installed.json';
            if (!is_file($installed)) {
                return [];
            }
            $list = json_decode((string) file_get_contents($installed), true, 512, \JSON_THROW_ON_ERROR);

            return array_column($list['packages'] ?? $list, null, 'name');
        }
        $packages = [];
        foreach (file(self::$dir.'/SOURCES.tsv', \FILE_IGNORE_NEW_LINES | \FILE_SKIP_EMPTY_LINES) ?: [] as $line) {
            [$name, , $tag, $commit] = explode("\t", $line);
            $package = json_decode((string) file_get_contents(self::$dir."/$name/composer.json"), true, 512, \JSON_THROW_ON_ERROR);
            $package['name'] = $name;
            $package['version'] = $tag;
            $package['dist'] = ['type' => 'path', 'reference' => $commit];
            $package['install-path'] = self::$dir."/$name";
            $packages[$name] = $package;
        }

        return $packages;
    }
}
