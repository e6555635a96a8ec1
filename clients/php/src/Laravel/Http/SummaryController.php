<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Http;

use AdoptionLedger\Laravel\Dashboard\Summaries;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;

/**
 * The dashboard's route to the summary API, for the `<adoption-summary>`
 * widget, mounted with `Route::adoptionLedgerSummary(...)`, which puts it
 * behind {@see AuthorizeSummary} (a signed-in user whom the
 * `viewAdoptionSummary` gate allows: deny-all until the host defines it) and
 * a throttle. Mount it inside the host's session middleware (`web`) so that
 * the user is known. What it answers for a window is {@see Summaries}'s
 * answer, always `no-store`.
 */
final class SummaryController
{
    public function __construct(private readonly Summaries $summaries)
    {
    }

    public function __invoke(Request $request): JsonResponse
    {
        $answer = $this->summaries->fetch($request->query('window'));

        return new JsonResponse($answer->body, $answer->status, ['Cache-Control' => 'no-store'] + $answer->headers);
    }
}
