<?php

use Illuminate\Support\Facades\Gate;
use Illuminate\Support\Facades\Route;

// routes/web.php: the widget's data, inside the session middleware so the
// user is known. The route admits only signed-in users whom the
// viewAdoptionSummary gate allows; the package defines it as deny-all.
Route::middleware('web')->group(function () {
    Route::adoptionLedgerSummary('/admin/adoption/summary');
});

// App\Providers\AppServiceProvider::boot(): open it to the console's admins
// (and to the Filament widget, which asks the same gate).
Gate::define('viewAdoptionSummary', fn ($user): bool => true === $user->is_admin);
