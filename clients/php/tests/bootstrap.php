<?php

declare(strict_types=1);

// The test autoloaders: Debian's packaged Laravel, async-aws/core and Symfony
// HttpClient (no Composer registry is reachable here), and this package's
// PSR-4 namespaces as composer.json declares them.
foreach (['Illuminate/autoload.php', 'AsyncAws/Core/autoload.php', 'Symfony/Component/HttpClient/autoload.php'] as $autoload) {
    require_once $autoload;
}

$composer = json_decode((string) file_get_contents(__DIR__.'/../composer.json'), true, 512, \JSON_THROW_ON_ERROR);
$namespaces = $composer['autoload']['psr-4'] + $composer['autoload-dev']['psr-4'];
// The longest prefix first: AdoptionLedger\Tests\ before AdoptionLedger\.
uksort($namespaces, static fn (string $a, string $b): int => \strlen($b) <=> \strlen($a));
spl_autoload_register(static function (string $class) use ($namespaces): void {
    foreach ($namespaces as $prefix => $directory) {
        if (str_starts_with($class, $prefix)) {
            $file = __DIR__.'/../'.$directory.str_replace('\\', '/', substr($class, \strlen($prefix))).'.php';
            if (is_file($file)) {
                require $file;
            }

            return;
        }
    }
});
