<?php

use Illuminate\Support\Facades\Route;

// routes/web.php: the widget's data, behind the app's own auth and gate.
Route::middleware(['auth', 'can:view-adoption-summary'])->group(function () {
    Route::adoptionLedgerSummary('/admin/adoption/summary');
});
