<?php

declare(strict_types=1);

namespace AdoptionLedger\Tests\Laravel;

use Illuminate\Foundation\Exceptions\Handler;

/** The app's exception handler, keeping what was reported so tests can count it. */
final class RecordingHandler extends Handler
{
    /** @var list<\Throwable> */
    public array $reported = [];

    public function report(\Throwable $e): void
    {
        $this->reported[] = $e;
        parent::report($e);
    }
}
