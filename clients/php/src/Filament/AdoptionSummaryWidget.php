<?php

declare(strict_types=1);

namespace AdoptionLedger\Filament;

use AdoptionLedger\Laravel\Dashboard\SummaryAnswer;
use AdoptionLedger\Laravel\Dashboard\Summaries;
use AdoptionLedger\Laravel\Http\AuthorizeSummary;
use AdoptionLedger\Windows;
use Filament\Widgets\StatsOverviewWidget;
use Filament\Widgets\StatsOverviewWidget\Stat;
use Illuminate\Support\Facades\Gate;
use Livewire\Attributes\Reactive;

/**
 * The adoption summary as a native Filament widget: one card per event
 * family (its count, a sparkline of its buckets, when it was last seen),
 * then the active workspaces. List it in a panel's `->widgets([...])`.
 *
 * - It follows the dashboard's `window` filter (`filters` on Filament 3,
 *   `pageFilters` from 4 on), `7d` until one is picked; an unknown window is
 *   refused as the route refuses it (`invalid_window`), as a card.
 * - Only for people the `viewAdoptionSummary` gate allows ({@see canView()}),
 *   as the route.
 * - It reads through the package's own client and cache ({@see Summaries}):
 *   an upstream failure is a card that says so, never an exception.
 *
 * Filament is optional: nothing of the package loads this class unless a
 * panel lists it.
 */
final class AdoptionSummaryWidget extends StatsOverviewWidget
{
    /** The dashboard filter this widget follows, and the windows it takes. */
    public const FILTER = 'window';

    /** The dashboard's filters on Filament 3 (`InteractsWithPageFilters`). */
    #[Reactive]
    public ?array $filters = null;

    /** The dashboard's filters from Filament 4 on. */
    #[Reactive]
    public ?array $pageFilters = null;

    public static function canView(): bool
    {
        $user = auth()->user();

        return null !== $user && Gate::forUser($user)->allows(AuthorizeSummary::GATE);
    }

    /** The window the dashboard asks for, or the default. */
    public function window(): mixed
    {
        $filters = $this->pageFilters ?? $this->filters ?? [];

        return $filters[self::FILTER] ?? Summaries::DEFAULT_WINDOW;
    }

    /** The summary is cached for 30 s (`summary.cache_seconds`): no need to ask every 5 s. */
    protected function getPollingInterval(): ?string
    {
        return '60s';
    }

    /** @return array<Stat> */
    protected function getStats(): array
    {
        $answer = app(Summaries::class)->fetch($this->window());
        if (!$answer->isOk()) {
            return [self::unavailable($answer)];
        }
        $summary = $answer->body;
        $stats = [];
        foreach ((array) ($summary['families'] ?? []) as $family) {
            $stats[] = Stat::make((string) ($family['label'] ?? $family['event'] ?? '?'), number_format((int) ($family['count'] ?? 0)))
                ->description(self::lastSeen($family['last_seen_at'] ?? null))
                ->chart(array_map(static fn (array $bucket): int => (int) ($bucket['count'] ?? 0), (array) ($family['buckets'] ?? [])))
                ->extraAttributes(['data-event' => (string) ($family['event'] ?? '')]);
        }
        $stats[] = Stat::make('Active workspaces', number_format((int) ($summary['active_workspaces'] ?? 0)))
            ->description(sprintf('%s milestones in the last %s', number_format((int) ($summary['total'] ?? 0)), self::spelled((string) ($summary['window']['key'] ?? ''))))
            ->extraAttributes(['data-event' => 'active_workspaces']);

        return $stats;
    }

    private static function unavailable(SummaryAnswer $answer): Stat
    {
        return Stat::make('Product adoption', 'Unavailable')
            ->description(sprintf('%s (%s)', $answer->errorMessage(), $answer->errorCode() ?? $answer->status))
            ->color('danger')
            ->extraAttributes(['data-error' => (string) $answer->errorCode()]);
    }

    private static function lastSeen(mixed $at): string
    {
        if (!\is_string($at) || '' === $at) {
            return 'Not seen in this window';
        }
        try {
            return 'Last seen '.(new \DateTimeImmutable($at))->setTimezone(new \DateTimeZone('UTC'))->format('M j, H:i').' UTC';
        } catch (\Exception) {
            return 'Last seen '.$at;
        }
    }

    private static function spelled(string $window): string
    {
        return Windows::LABELS[$window] ?? $window;
    }
}
