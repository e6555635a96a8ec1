<?php

declare(strict_types=1);

namespace AdoptionLedger\Tests\Laravel;

use AdoptionLedger\Laravel\Facades\AdoptionLedger;
use Illuminate\Foundation\Application;
use Illuminate\Support\Facades\Facade;
use PHPUnit\Framework\TestCase;

/**
 * Every class, interface, trait, function and facade method of the
 * frameworks (Illuminate, Symfony, PSR, async-aws) that the package's code
 * names exists in the Laravel this suite runs on. The suite runs on Laravel
 * 10.48 and 13, so each exists at both ends of the range the package claims;
 * that it exists in 11 and 12 between them is inferred, not run.
 *
 * The names are read from src/ with PHP's own tokenizer, so a new use of the
 * framework is checked without being listed here. Filament and Livewire are
 * checked by the Filament widget's own suite.
 */
final class FrameworkApiTest extends TestCase
{
    /** Namespaces of the package itself and of what the Filament suite checks. */
    private const NOT_HERE = ['AdoptionLedger\\', 'Filament\\', 'Livewire\\'];

    /** Functions the package calls only after asking whether they exist. */
    private const OPTIONAL_FUNCTIONS = ['csp_nonce'];

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

    public function testEveryFrameworkClassInterfaceAndTraitThePackageNamesExists(): void
    {
        $names = [];
        foreach (self::sources() as $file) {
            foreach (self::classNames($file) as $name) {
                $names[$name][] = basename($file);
            }
        }
        self::assertGreaterThan(30, \count($names), 'the package names the framework in many places');
        $missing = array_filter(array_keys($names), static fn (string $name): bool => !class_exists($name) && !interface_exists($name) && !trait_exists($name));
        self::assertSame([], array_values($missing), 'named by the package, missing in Laravel '.Application::VERSION);
    }

    public function testEveryFunctionThePackageCallsExists(): void
    {
        $calls = [];
        foreach (self::sources() as $file) {
            foreach (self::functionCalls($file) as $function) {
                $calls[$function] = true;
            }
        }
        foreach (['app', 'config', 'view'] as $helper) {
            self::assertArrayHasKey($helper, $calls, "the package calls Laravel's $helper()");
        }
        $missing = array_filter(array_keys($calls), static fn (string $function): bool => !\in_array($function, self::OPTIONAL_FUNCTIONS, true) && !\function_exists($function));
        self::assertSame([], array_values($missing), 'called by the package, missing in Laravel '.Application::VERSION);
    }

    public function testEveryFacadeAndStaticMethodThePackageCallsExists(): void
    {
        $calls = [];
        foreach (self::sources() as $file) {
            foreach (self::facadeCalls($file) as $call) {
                $calls[implode('::', $call)] = $call;
            }
        }
        self::assertArrayHasKey('Illuminate\\Support\\Facades\\Route::macro', $calls);
        $missing = [];
        foreach ($calls as $label => [$class, $method]) {
            // A facade's method is its root's (or a macro on it); any other
            // class's static method is its own.
            $target = is_subclass_of($class, Facade::class) ? $class::getFacadeRoot() : $class;
            $macroable = method_exists($target, 'hasMacro') && $target::hasMacro($method);
            if (!method_exists($target, $method) && !$macroable && !method_exists($class, $method)) {
                $missing[] = $label;
            }
        }
        self::assertSame([], $missing, 'called by the package, missing in Laravel '.Application::VERSION);
    }

    /** @return list<string> every PHP file of the package's code */
    private static function sources(): array
    {
        $files = [];
        $iterator = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator(\dirname(__DIR__, 2).'/src', \FilesystemIterator::SKIP_DOTS));
        foreach ($iterator as $file) {
            if ('php' === $file->getExtension()) {
                $files[] = $file->getPathname();
            }
        }
        sort($files);

        return $files;
    }

    /** @return array<string, string> short name (or alias) to the full name, from the file's `use` lines */
    private static function imports(string $file): array
    {
        preg_match_all('/^use (?!function )([A-Za-z0-9_\\\\]+)(?: as (\w+))?;/m', (string) file_get_contents($file), $matches, \PREG_SET_ORDER);
        $imports = [];
        foreach ($matches as $match) {
            $imports[$match[2] ?? '' ?: substr((string) strrchr('\\'.$match[1], '\\'), 1)] = $match[1];
        }

        return $imports;
    }

    private static function ours(string $name): bool
    {
        foreach (self::NOT_HERE as $prefix) {
            if (str_starts_with($name, $prefix)) {
                return true;
            }
        }

        return !str_contains($name, '\\');
    }

    /** @return list<string> the framework's classes, interfaces and traits the file names */
    private static function classNames(string $file): array
    {
        $names = array_values(self::imports($file));
        foreach (\PhpToken::tokenize((string) file_get_contents($file)) as $token) {
            if ($token->is(\T_NAME_FULLY_QUALIFIED)) {
                $names[] = ltrim($token->text, '\\');
            }
        }

        return array_values(array_unique(array_filter($names, static fn (string $name): bool => !self::ours($name) && !\function_exists($name))));
    }

    /** @return list<string> the functions the file calls by bare name (not methods, not declarations) */
    private static function functionCalls(string $file): array
    {
        $tokens = array_values(array_filter(\PhpToken::tokenize((string) file_get_contents($file)), static fn (\PhpToken $t): bool => !$t->isIgnorable()));
        $calls = [];
        foreach ($tokens as $i => $token) {
            $next = $tokens[$i + 1] ?? null;
            $previous = $tokens[$i - 1] ?? null;
            if (!$token->is([\T_STRING, \T_NAME_FULLY_QUALIFIED]) || null === $next || '(' !== $next->text) {
                continue;
            }
            if (null !== $previous && $previous->is([\T_OBJECT_OPERATOR, \T_NULLSAFE_OBJECT_OPERATOR, \T_DOUBLE_COLON, \T_FUNCTION, \T_NEW, \T_CONST])) {
                continue;
            }
            $name = ltrim($token->text, '\\');
            if (\in_array(strtolower($name), ['array', 'list', 'isset', 'empty', 'match', 'fn', 'self', 'static', 'parent'], true)) {
                continue;
            }
            if (\function_exists($name) && (new \ReflectionFunction($name))->isInternal()) {
                continue;
            }
            $calls[] = $name;
        }

        return array_values(array_unique($calls));
    }

    /** @return list<array{0: string, 1: string}> the static calls the file makes on imported framework classes */
    private static function facadeCalls(string $file): array
    {
        $imports = self::imports($file);
        $tokens = array_values(array_filter(\PhpToken::tokenize((string) file_get_contents($file)), static fn (\PhpToken $t): bool => !$t->isIgnorable()));
        $calls = [];
        foreach ($tokens as $i => $token) {
            if (!$token->is(\T_DOUBLE_COLON) || !isset($tokens[$i - 1], $tokens[$i + 1], $tokens[$i + 2])) {
                continue;
            }
            $class = $tokens[$i - 1]->text;
            $class = $imports[$class] ?? ltrim($class, '\\');
            if (self::ours($class) || !$tokens[$i + 1]->is(\T_STRING) || '(' !== $tokens[$i + 2]->text) {
                continue;
            }
            $calls[] = [$class, $tokens[$i + 1]->text];
        }

        return $calls;
    }
}
