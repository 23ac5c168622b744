import type { RuleStats, VariantStats } from "../../api/rules";

type Counts = Pick<VariantStats, "shown" | "accepted" | "chats_started" | "acceptance_rate">;

/** "40%" of an acceptance rate (0..1); "–" while nothing was shown. */
export function rateText(rate: number | null): string {
  return rate === null ? "–" : `${Math.round(rate * 100)}%`;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** "12 shown · 3 accepted (25%) · 2 chats". */
export function countsText(counts: Counts): string {
  const accepted = `${counts.accepted} accepted (${rateText(counts.acceptance_rate)})`;
  return `${counts.shown} shown · ${accepted} · ${plural(counts.chats_started, "chat", "chats")}`;
}

/** What became of a rule's invitations, in its row of the list: the totals, and each variant's when the rule
 * tests A/B variants. */
export function RuleCounts({ stats, abTest }: { stats: RuleStats; abTest: boolean }) {
  return (
    <span className="rule-stats muted" data-fw="rule-stats">
      <span data-fw="rule-stats-total" title="Invitations shown, accepted (acceptance rate), chats they started">
        {countsText(stats)}
      </span>
      {abTest &&
        stats.variants
          .filter((v) => v.variant !== null)
          .map((v) => (
            <span key={v.variant} className="rule-stats-variant" data-fw="rule-stats-variant" data-variant={v.variant}>
              {`${v.variant}: ${countsText(v)}`}
            </span>
          ))}
    </span>
  );
}
