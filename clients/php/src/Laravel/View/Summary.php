<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\View;

use Illuminate\Foundation\Vite;
use Illuminate\View\Component;

/**
 * `<x-adoption-ledger::summary src="..." />`: the widget's module and element, with
 * the page's CSP nonce on the script (and on the element, for browsers
 * without constructed stylesheets).
 */
final class Summary extends Component
{
    public string $nonce;

    public function __construct(
        public string $src,
        ?string $nonce = null,
        public ?string $windows = null,
        public string $asset = '/vendor/adoption-ledger/adoption-summary.js',
    ) {
        $this->nonce = $nonce ?? self::pageNonce();
    }

    /**
     * The page's nonce where the host has one: spatie/laravel-csp's
     * `csp_nonce()`, else the nonce Laravel's Vite uses
     * (`Vite::useCspNonce()`), else none.
     */
    private static function pageNonce(): string
    {
        if (\function_exists('csp_nonce')) {
            return (string) csp_nonce();
        }
        // The facade's class has no `cspNonce` method of its own: ask the
        // instance behind it (a singleton in every Laravel this package supports).
        if (class_exists(Vite::class)) {
            return (string) app(Vite::class)->cspNonce();
        }

        return '';
    }

    public function render()
    {
        return view('adoption-ledger::components.adoption-summary');
    }
}
