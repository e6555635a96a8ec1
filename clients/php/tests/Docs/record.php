<?php

use AdoptionLedger\Laravel\Facades\AdoptionLedger;
use AdoptionLedger\Milestones;

// After the user's action succeeded, e.g. in the controller once the report is saved:
AdoptionLedger::record(Milestones::reportCreated(
    tenantId: $report->tenant_id,
    workspaceId: $report->workspace_id,
    actorId: $request->user()->id,      // an id, never an email
    occurredAt: $report->created_at,    // the stored time of the action, never now()
    subjectId: $report->id,
    reportType: $report->type,          // lowercase identifier-shaped
));
