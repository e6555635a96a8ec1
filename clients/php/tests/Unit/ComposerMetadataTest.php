<?php

declare(strict_types=1);

namespace AdoptionLedger\Tests\Unit;

use Composer\Semver\Semver;
use PHPUnit\Framework\TestCase;

/**
 * What Composer decides from composer.json, with Composer's own Semver: the
 * package installs beside the Laravel, Symfony and Filament lines it
 * supports, and refuses the ones it does not.
 */
final class ComposerMetadataTest extends TestCase
{
    /** @var array<string, mixed> */
    private array $composer;

    protected function setUp(): void
    {
        $this->composer = json_decode((string) file_get_contents(__DIR__.'/../../composer.json'), true, 512, \JSON_THROW_ON_ERROR);
    }

    public function testLaravelTenPointFortyEightToThirteenInstallAndNothingElse(): void
    {
        foreach (['10.48.0', '10.48.29', '11.0.0', '11.46.1', '12.0.0', '12.40.0', '13.0.0', '13.31.0'] as $laravel) {
            self::assertFalse($this->conflicts('laravel/framework', $laravel), "Laravel $laravel is supported");
        }
        foreach (['8.83.27', '9.52.16', '10.47.0', '14.0.0'] as $laravel) {
            self::assertTrue($this->conflicts('laravel/framework', $laravel), "Laravel $laravel is refused");
        }
    }

    public function testSymfonysHttpClientSixPointFourAndSevenAndPhpEightPointTwoOnAreRequired(): void
    {
        foreach (['6.4.50', '7.0.0', '7.4.22'] as $version) {
            self::assertTrue(Semver::satisfies($version, $this->composer['require']['symfony/http-client']), "symfony/http-client $version");
        }
        foreach (['5.4.53', '6.3.12', '8.0.0'] as $version) {
            self::assertFalse(Semver::satisfies($version, $this->composer['require']['symfony/http-client']), "symfony/http-client $version is refused");
        }
        foreach (['8.2.0', '8.4.27', '8.5.0'] as $php) {
            self::assertTrue(Semver::satisfies($php, $this->composer['require']['php']), "PHP $php");
        }
        self::assertFalse(Semver::satisfies('8.1.31', $this->composer['require']['php']));
        self::assertTrue(Semver::satisfies('1.25.0', $this->composer['require']['async-aws/core']));
        self::assertTrue(Semver::satisfies('1.30.0', $this->composer['require']['async-aws/core']));
    }

    public function testLaravelAndFilamentStayOptional(): void
    {
        self::assertArrayNotHasKey('laravel/framework', $this->composer['require']);
        self::assertArrayNotHasKey('filament/widgets', $this->composer['require']);
        self::assertArrayHasKey('laravel/framework', $this->composer['suggest']);
        self::assertArrayHasKey('filament/widgets', $this->composer['suggest']);
        self::assertFalse($this->conflicts('filament/widgets', '3.2.121'));
        self::assertTrue($this->conflicts('filament/widgets', '3.1.0'));
    }

    private function conflicts(string $package, string $version): bool
    {
        return Semver::satisfies($version, $this->composer['conflict'][$package] ?? '<0');
    }
}
