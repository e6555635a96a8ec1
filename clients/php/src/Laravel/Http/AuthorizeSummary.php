<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Http;

use Illuminate\Contracts\Auth\Access\Gate;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;

/**
 * The dashboard route's own guard, always on: a signed-in user whom the
 * `viewAdoptionSummary` gate allows. The package defines that gate as
 * deny-all, so the route answers 401 (no user) or 403 (not allowed), never
 * data, until the host defines the gate for its console's admins.
 */
final class AuthorizeSummary
{
    public const GATE = 'viewAdoptionSummary';

    public function __construct(private readonly Gate $gate)
    {
    }

    public function handle(Request $request, \Closure $next): mixed
    {
        $user = $request->user();
        if (null === $user) {
            return self::refuse(401, 'unauthenticated', 'sign in to see the adoption summary');
        }
        if ($this->gate->forUser($user)->denies(self::GATE)) {
            return self::refuse(403, 'forbidden', 'this user may not see the adoption summary (the '.self::GATE.' gate)');
        }

        return $next($request);
    }

    private static function refuse(int $status, string $code, string $message): JsonResponse
    {
        return new JsonResponse(['error' => ['code' => $code, 'message' => $message]], $status, ['Cache-Control' => 'no-store']);
    }
}
