<?php

use AdoptionLedger\Laravel\Events\MilestoneRejected;
use Illuminate\Support\Facades\Event;
use Illuminate\Support\Facades\Log;

// App\Providers\AppServiceProvider::boot(): a rejection is a bug in this app.
Event::listen(function (MilestoneRejected $rejected): void {
    Log::channel('alerts')->critical('adoption milestone rejected', [
        'event' => $rejected->milestone->event,
        'code' => $rejected->code,     // e.g. metadata_value_charset
        'field' => $rejected->field,   // e.g. metadata.report_type
    ]);
});
