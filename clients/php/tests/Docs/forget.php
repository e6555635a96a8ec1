<?php

use AdoptionLedger\Laravel\Facades\AdoptionLedger;

// A customer leaves: every row of the tenant.
AdoptionLedger::forgetTenant($tenant->id);

// An erasure request: once per tenant the person acted in.
AdoptionLedger::forgetActor($tenant->id, $user->id);
