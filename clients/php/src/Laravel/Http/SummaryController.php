<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Http;

use AdoptionLedger\Aws\SummaryApi;
use Illuminate\Contracts\Cache\Repository as Cache;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;
use Psr\Log\LoggerInterface;

/**
 * The dashboard's route to the summary API, for the `<adoption-summary>`
 * widget, mounted with `Route::adoptionLedgerSummary(...)`, which puts it
 * behind {@see AuthorizeSummary} (a signed-in user whom the
 * `viewAdoptionSummary` gate allows: deny-all until the host defines it) and
 * a throttle. Mount it inside the host's session middleware (`web`) so that
 * the user is known. It forwards only an allowed window,
 * signs the call with the server's role, caches the aggregate answer briefly,
 * and answers `no-store`. An upstream 403 means this server's role lacks the
 * dashboard policy: it becomes a 502 `upstream_forbidden`, distinct from the
 * 403 the host's gate gives a person who may not see the widget.
 */
final class SummaryController
{
    public const WINDOWS = ['24h', '7d', '30d', '90d'];

    public function __construct(
        private readonly SummaryApi $api,
        private readonly Cache $cache,
        private readonly LoggerInterface $log,
        private readonly int $cacheSeconds,
        private readonly mixed $summaryUrl,
    ) {
    }

    public function __invoke(Request $request): JsonResponse
    {
        $window = $request->query('window');
        if (!\is_string($window) || !\in_array($window, self::WINDOWS, true)) {
            return $this->answer(400, ['error' => [
                'code' => 'invalid_window',
                'message' => 'window must be one of: '.implode(', ', self::WINDOWS),
                'allowed_windows' => self::WINDOWS,
            ]]);
        }
        if (!\is_string($this->summaryUrl) || '' === trim($this->summaryUrl)) {
            $this->log->error('adoption-ledger: ADOPTION_LEDGER_SUMMARY_URL is not set');

            return $this->answer(503, ['error' => [
                'code' => 'not_configured',
                'message' => "ADOPTION_LEDGER_SUMMARY_URL (adoption-ledger.summary_url) is not set: set it to the stack's SummaryApiUrl output",
            ]]);
        }
        $key = 'adoption-ledger:summary:'.$window;
        $cached = $this->cache->get($key);
        if (\is_array($cached)) {
            return $this->answer(200, $cached);
        }
        try {
            $upstream = $this->api->summary($window);
        } catch (\RuntimeException $error) {
            $this->log->warning('adoption-ledger: the summary API did not answer', ['window' => $window, 'error' => $error->getMessage()]);

            return $this->answer(504, ['error' => ['code' => 'upstream_unavailable', 'message' => 'the summary API did not answer in time; retry shortly']], ['Retry-After' => '30']);
        }
        $body = json_decode($upstream['body'], true);
        $status = $upstream['status'];
        if (200 === $status && \is_array($body)) {
            $this->cache->put($key, $body, $this->cacheSeconds);

            return $this->answer(200, $body);
        }
        if (403 === $status) {
            return $this->answer(502, ['error' => ['code' => 'upstream_forbidden', 'message' => "this server's role may not call the summary API: attach the stack's DashboardSummaryInvokePolicyArn to it"]]);
        }
        if ($status >= 400 && $status < 500 && \is_array($body)) {
            // The API's own refusal (a window longer than the retention): passed on as it is.
            return $this->answer($status, $body);
        }

        $this->log->warning('adoption-ledger: the summary API failed', ['window' => $window, 'status' => $status]);

        return $this->answer(502, ['error' => ['code' => 'upstream_failed', 'message' => 'the summary API failed; retry shortly']], ['Retry-After' => '30']);
    }

    /** @param array<string, string> $headers */
    private function answer(int $status, array $body, array $headers = []): JsonResponse
    {
        return new JsonResponse($body, $status, ['Cache-Control' => 'no-store'] + $headers);
    }
}
