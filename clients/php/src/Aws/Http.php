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
     * @param float $connectTimeout seconds to connect, and the longest silence while waiting
     * @param float $timeout        seconds for the whole call
     */
    public static function client(float $connectTimeout, float $timeout): HttpClientInterface
    {
        return HttpClient::create([
            'timeout' => $connectTimeout,
            'max_duration' => $timeout,
        ]);
    }
}
