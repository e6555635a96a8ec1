<?php

declare(strict_types=1);

namespace AdoptionLedger\Laravel\Dashboard;

/**
 * What the dashboard gets for one window: the summary API's aggregate (200),
 * or an error with its code, message and status, as the route answers it
 * and the Filament widget renders it. Never an identifier: the API returns none.
 */
final class SummaryAnswer
{
    /**
     * @param array<string, mixed>  $body    the summary, or `['error' => ['code' => ..., 'message' => ...]]`
     * @param array<string, string> $headers e.g. `Retry-After`
     */
    public function __construct(
        public readonly int $status,
        public readonly array $body,
        public readonly array $headers = [],
    ) {
    }

    /** @param array<string, mixed> $extra more fields of the error (e.g. `allowed_windows`) */
    public static function error(int $status, string $code, string $message, array $extra = [], array $headers = []): self
    {
        return new self($status, ['error' => ['code' => $code, 'message' => $message] + $extra], $headers);
    }

    public function isOk(): bool
    {
        return 200 === $this->status;
    }

    /** The error's code (`invalid_window`, `upstream_failed`, ...), or null for a summary. */
    public function errorCode(): ?string
    {
        $code = $this->body['error']['code'] ?? null;

        return \is_string($code) ? $code : null;
    }

    public function errorMessage(): string
    {
        $message = $this->body['error']['message'] ?? '';

        return \is_string($message) ? $message : '';
    }
}
