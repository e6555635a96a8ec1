<?php

declare(strict_types=1);

namespace AdoptionLedger\Aws;

use Symfony\Component\HttpClient\HttpClient;
use Symfony\Contracts\HttpClient\HttpClientInterface;

/**
 * The HTTP client behind every call: bounded in time, and without the SDK's
 * own retries, so the caller (a queued job, or a request that must not wait)
 * decides what happens next.
 */
final class Http
{
    /**
     * @param float $timeout seconds: the longest the connection may take, the
     *                       longest silence while waiting for the answer (a
     *                       summary answers only when it is done), and the
     *                       whole call
     */
    public static function client(float $timeout): HttpClientInterface
    {
        return HttpClient::create([
            'timeout' => $timeout,
            'max_duration' => $timeout,
        ]);
    }
}
