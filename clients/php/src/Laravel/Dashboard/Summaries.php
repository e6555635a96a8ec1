<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Dashboard;

use AdoptionLedger\Aws\SummaryApi;
use AdoptionLedger\Windows;
use Illuminate\Contracts\Cache\Repository as Cache;
use Psr\Log\LoggerInterface;

/**
 * The dashboard's one way to the summary API, for the route (the
 * `<adoption-summary>` widget) and the Filament widget alike: it takes only
 * an allowed window, signs the call with the server's role, caches the
 * aggregate answer briefly (`summary.cache_seconds`), and turns every
 * upstream failure into an answer, never an exception:
 *
 * - an unknown window: 400 `invalid_window`, with the allowed windows;
 * - no `ADOPTION_LEDGER_SUMMARY_URL`: 503 `not_configured`, naming it;
 * - an upstream 403 (this server's role lacks the dashboard policy): 502
 *   `upstream_forbidden`, distinct from the 403 the host's gate gives a person;
 * - the API's own refusal (a window longer than the retention): as it is;
 * - an upstream 5xx: 502 `upstream_failed`; no answer in time: 504
 *   `upstream_unavailable`; both with `Retry-After`.
 */
final class Summaries
{
    /** The windows the summary API knows, shortest first (generated from the domain's). */
    public const WINDOWS = Windows::ALL;

    /** The window a dashboard shows until someone picks another. */
    public const DEFAULT_WINDOW = Windows::DEFAULT;

    public function __construct(
        private readonly SummaryApi $api,
        private readonly Cache $cache,
        private readonly LoggerInterface $log,
        private readonly int $cacheSeconds,
        private readonly mixed $summaryUrl,
    ) {
    }

    public function fetch(mixed $window): SummaryAnswer
    {
        if (!\is_string($window) || !\in_array($window, self::WINDOWS, true)) {
            return SummaryAnswer::error(400, 'invalid_window', 'window must be one of: '.implode(', ', self::WINDOWS), ['allowed_windows' => self::WINDOWS]);
        }
        if (!\is_string($this->summaryUrl) || '' === trim($this->summaryUrl)) {
            $this->log->error('adoption-ledger: ADOPTION_LEDGER_SUMMARY_URL is not set');

            return SummaryAnswer::error(503, 'not_configured', "ADOPTION_LEDGER_SUMMARY_URL (adoption-ledger.summary_url) is not set: set it to the stack's SummaryApiUrl output");
        }
        $key = 'adoption-ledger:summary:'.$window;
        $cached = $this->cache->get($key);
        if (\is_array($cached)) {
            return new SummaryAnswer(200, $cached);
        }
        try {
            $upstream = $this->api->summary($window);
        } catch (\RuntimeException $error) {
            $this->log->warning('adoption-ledger: the summary API did not answer', ['window' => $window, 'error' => $error->getMessage()]);

            return SummaryAnswer::error(504, 'upstream_unavailable', 'the summary API did not answer in time; retry shortly', [], ['Retry-After' => '30']);
        }
        $body = json_decode($upstream['body'], true);
        $status = $upstream['status'];
        if (200 === $status && \is_array($body)) {
            $this->cache->put($key, $body, $this->cacheSeconds);

            return new SummaryAnswer(200, $body);
        }
        if (403 === $status) {
            return SummaryAnswer::error(502, 'upstream_forbidden', "this server's role may not call the summary API: attach the stack's DashboardSummaryInvokePolicyArn to it");
        }
        if ($status >= 400 && $status < 500 && \is_array($body)) {
            return new SummaryAnswer($status, $body);
        }
        $this->log->warning('adoption-ledger: the summary API failed', ['window' => $window, 'status' => $status]);

        return SummaryAnswer::error(502, 'upstream_failed', 'the summary API failed; retry shortly', [], ['Retry-After' => '30']);
    }
}
