<?php

use AdoptionLedger\Laravel\Facades\AdoptionLedger;
use AdoptionLedger\Milestones;

// In the host app's own feature test:
AdoptionLedger::fake();

$report = $this->createReport();

AdoptionLedger::assertRecorded(
    Milestones::REPORT_CREATED,
    fn ($milestone, array $payload) => $payload['subject']['id'] === (string) $report->id,
);
