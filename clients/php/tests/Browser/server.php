<?php

declare(strict_types=1);

// A host page for the browser test of the component under a strict CSP
// (tests/integration/csp.rs), served by PHP's built-in server in each tested
// Laravel's root: `php -S 127.0.0.1:PORT tests/Browser/server.php`.
//
// - `/`: a page with `<x-adoption-ledger::summary>` only, sent with
//   `Content-Security-Policy: default-src 'self'; script-src 'nonce-…'`, the
//   nonce handed to `Vite::useCspNonce()` as a host's CSP middleware does
//   (`/?vite=off`: the same policy, but Vite is not told the nonce);
// - `/adoption/summary`: the package's route over the summary function
//   (ADOPTION_LEDGER_SUMMARY_URL), for a signed-in admin;
// - `/vendor/adoption-ledger/adoption-summary.js`: the module, as
//   `vendor:publish --tag=adoption-ledger-assets` would serve it.

use AdoptionLedger\Tests\Laravel\TestApp;
use Illuminate\Contracts\Http\Kernel as HttpKernel;
use Illuminate\Http\Request;
use Illuminate\Http\Response;
use Illuminate\Support\Facades\Route;
use Illuminate\Support\Facades\Vite;

require __DIR__.'/../bootstrap.php';

$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', \PHP_URL_PATH);
if ('/vendor/adoption-ledger/adoption-summary.js' === $path) {
    header('Content-Type: text/javascript');
    readfile(__DIR__.'/../../resources/js/adoption-summary.js');

    return true;
}

$app = TestApp::create();
TestApp::signIn($app);
// No `web` group in this bare kernel: the admin is signed in above.
Route::adoptionLedgerSummary('/adoption/summary');
Route::get('/', static function (Request $request) {
    $nonce = bin2hex(random_bytes(16));
    if ('off' !== $request->query('vite')) {
        Vite::useCspNonce($nonce);
    }
    $html = view('page')->render();

    return new Response($html, 200, [
        'Content-Type' => 'text/html; charset=utf-8',
        'Content-Security-Policy' => "default-src 'self'; script-src 'nonce-$nonce'; style-src 'self'",
    ]);
});
file_put_contents($app->resourcePath('views/page.blade.php'), "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Adoption</title></head>\n<body><main><x-adoption-ledger::summary src=\"/adoption/summary\" /></main></body></html>\n");

$kernel = $app->make(HttpKernel::class);
$request = Request::capture();
$response = $kernel->handle($request);
$response->send();
$kernel->terminate($request, $response);
