<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Http;

use Illuminate\Http\Request;
use Symfony\Component\HttpFoundation\Response;

/**
 * `Cache-Control: no-store` on every answer of the dashboard route, whatever
 * gave it: the summary, a refusal, a throttled 429, an error page.
 */
final class NoStore
{
    public function handle(Request $request, \Closure $next): Response
    {
        $response = $next($request);
        $response->headers->set('Cache-Control', 'no-store');

        return $response;
    }
}
