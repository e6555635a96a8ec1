<?php

declare(strict_types=1);

// The adoption ledger's client configuration. Publish it with
// `php artisan vendor:publish --tag=adoption-ledger-config`. The environment is
// read here only, so `php artisan config:cache` keeps every value.

return [
    // lambda: send to the record function; log: write to the log instead (local
    // work without AWS); null: send nothing. (Laravel's env() reads the word
    // `null` as PHP null: that is the null driver too.)
    'driver' => env('ADOPTION_LEDGER_DRIVER', 'lambda') ?? 'null',

    // The stack's RecordFunctionName output, and its region.
    'record_function' => env('ADOPTION_LEDGER_RECORD_FUNCTION', 'adoption-ledger-record'),
    'region' => env('ADOPTION_LEDGER_REGION', env('AWS_DEFAULT_REGION', 'us-east-1')),

    // The stack's PurgeFunctionName output: what ForgetTenant, ForgetActor and
    // `php artisan adoption-ledger:forget` invoke. Only the offboarding role
    // may (HostAppPurgeInvokePolicyArn).
    'purge_function' => env('ADOPTION_LEDGER_PURGE_FUNCTION', 'adoption-ledger-purge'),

    // Only for local work: the Lambda API of `cargo lambda watch`, e.g. http://127.0.0.1:9000.
    'lambda_endpoint' => env('ADOPTION_LEDGER_LAMBDA_ENDPOINT'),

    // The stack's SummaryApiUrl output (the dashboard route calls it with SigV4).
    'summary_url' => env('ADOPTION_LEDGER_SUMMARY_URL'),

    // Recording runs in a queued job after the database commit, so the user's
    // request never waits for AWS and never fails because of it. Without a
    // queue (`queue.enabled` false), it runs at once and gives up after
    // `timeouts.direct` seconds, never throwing into the request.
    'queue' => [
        'enabled' => (bool) env('ADOPTION_LEDGER_QUEUE', true),
        'connection' => env('ADOPTION_LEDGER_QUEUE_CONNECTION'),
        'name' => env('ADOPTION_LEDGER_QUEUE_NAME'),
        // Attempts and the waits between them (seconds) when the ledger cannot store.
        'tries' => 5,
        'backoff' => [10, 30, 60, 120],
        // How long an erasure job (ForgetTenant, ForgetActor) keeps trying before
        // `failed_jobs`, in hours. One purge invocation per attempt (the job's
        // timeout is 80 s: keep the connection's `retry_after` above it); an
        // attempt that made progress continues at once.
        'erasure_retry_hours' => 24,
    ],

    // Erasure runs on a path of its own: ForgetTenant and ForgetActor go to
    // this connection and queue, never the recording jobs', so only the worker
    // that runs it needs permission to erase (HostAppPurgeInvokePolicyArn):
    //   php artisan queue:work {connection} --queue=adoption-ledger-erasure
    // `here`: this process runs that worker (or the `forget` command), so
    // `adoption-ledger:check` fails when it may not invoke purge; elsewhere
    // (the web tier, the recording workers) a refusal is "erasure not
    // configured here", as it should be.
    'erasure' => [
        'connection' => env('ADOPTION_LEDGER_ERASURE_CONNECTION'),
        'queue' => env('ADOPTION_LEDGER_ERASURE_QUEUE', 'adoption-ledger-erasure'),
        'here' => (bool) env('ADOPTION_LEDGER_ERASURE_HERE', false),
    ],

    // Seconds. Each bounds a call's connection, its wait for the answer and the whole call.
    'timeouts' => [
        // One Invoke from a queued job (record's own timeout is 10 s).
        'record' => 12.0,
        // Everything, in direct mode.
        'direct' => 3.0,
        // One summary call from the dashboard route (the summary's own timeout is 20 s).
        'summary' => 22.0,
        // One purge invocation (purge stops itself before its own 60 s timeout).
        'purge' => 65.0,
    ],

    // The dashboard route (`Route::adoptionLedgerSummary(...)`): how long an
    // aggregate answer is cached, and the route's throttle (requests per minute).
    'summary' => [
        'cache_seconds' => 30,
        'throttle_per_minute' => 60,
    ],

    // The log channel for rejections and failures (null: the default channel).
    'log_channel' => env('ADOPTION_LEDGER_LOG_CHANNEL'),
];
