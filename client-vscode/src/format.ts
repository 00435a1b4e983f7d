// Pure text for the quick pick, the status bar and messages. No `vscode` import.
import type { CandidateJson, DecisionJson, StatusJson } from "./protocol";

/** `~$0.42`, `~$0.0042`: the same rounding as the server's code action titles. */
export function formatUsd(usd: number): string {
  if (!(usd > 0)) return "$0";
  if (usd >= 0.01) return `~$${usd.toFixed(2)}`;
  if (usd >= 1e-4) return `~$${Number(usd.toPrecision(2))}`;
  return "<$0.0001";
}

/** `$1.23`: an amount already spent, not an estimate. */
export function formatSpent(usd: number): string {
  return `$${(usd > 0 ? usd : 0).toFixed(2)}`;
}

export interface PickItem {
  label: string;
  description: string;
  detail: string;
  model: string;
  recommended: boolean;
  available: boolean;
}

interface Row {
  model: string;
  cost: number;
  score: number;
  quality?: number;
  available: boolean;
  eligible: boolean;
  hint?: string;
  blocked: string[];
}

function rows(decision: DecisionJson): Row[] {
  if (decision.candidates && decision.candidates.length > 0) {
    return decision.candidates.map((c: CandidateJson) => ({
      model: c.model,
      cost: c.estimated_cost_usd,
      score: c.score,
      quality: c.quality,
      available: c.available !== false,
      eligible: c.eligible !== false,
      hint: c.setup_hint ?? undefined,
      blocked: c.blocked_by ?? [],
    }));
  }
  const chosen: Row = {
    model: decision.model,
    cost: decision.estimated_cost_usd,
    score: Number.NaN,
    available: true,
    eligible: true,
    blocked: [],
  };
  return [
    chosen,
    ...decision.alternatives.map((a) => ({
      model: a.model,
      cost: a.estimated_cost_usd,
      score: a.score,
      quality: a.quality,
      available: a.available !== false,
      eligible: true,
      blocked: [],
    })),
  ];
}

/**
 * Quick pick items: the routed model first (with the routing reasons), then eligible alternatives
 * that can run, then those missing a key (with the set-up hint). Models a hard limit blocked are
 * left out: the server would refuse them.
 */
export function pickItems(decision: DecisionJson): PickItem[] {
  const all = rows(decision);
  const chosen = all.find((r) => r.model === decision.model);
  const others = all.filter((r) => r.model !== decision.model && r.eligible);
  const ordered = [
    ...(chosen ? [chosen] : []),
    ...others.filter((r) => r.available),
    ...others.filter((r) => !r.available),
  ];
  return ordered.map((r) => {
    const recommended = r.model === decision.model;
    const name = recommended && decision.display_name ? decision.display_name : r.model;
    const parts = [formatUsd(r.cost)];
    if (Number.isFinite(r.score)) parts.push(`score ${r.score.toFixed(2)}`);
    if (r.quality !== undefined) parts.push(`quality ${r.quality.toFixed(1)}`);
    let detail: string;
    if (recommended) {
      detail = decision.reasons.join(" · ") || `routed as ${decision.category}`;
    } else if (!r.available) {
      detail = `not available: ${r.hint ?? "provider not configured"}`;
    } else {
      detail = "alternative";
    }
    return {
      label: recommended ? `$(star-full) ${name}` : name,
      description: parts.join(" · ") + (recommended ? ` · ${decision.category}` : ""),
      detail,
      model: r.model,
      recommended,
      available: r.available,
    };
  });
}

/** Status bar text, e.g. `$(pulse) $1.20 / $20.00 · balanced`. */
export function statusText(status: StatusJson): string {
  if (status.spent_today_usd === undefined) return `$(warning) spend unknown · ${status.objective}`;
  const spent = formatSpent(status.spent_today_usd);
  const cap = status.daily_usd != null ? ` / ${formatSpent(status.daily_usd)}` : "";
  return `$(pulse) ${spent}${cap} · ${status.objective}`;
}

export function statusTooltip(status: StatusJson): string {
  const lines = [`modelroute: objective ${status.objective} (click to switch)`];
  if (status.spent_today_usd === undefined) {
    lines.push(status.ledger_error ?? "the spend ledger cannot be read");
    return lines.join("\n");
  }
  const today = status.daily_usd != null ? ` of ${formatSpent(status.daily_usd)}` : " (no daily cap)";
  lines.push(`Today: ${formatSpent(status.spent_today_usd)}${today}`);
  if (status.spent_month_usd !== undefined) {
    const month = status.monthly_usd != null ? ` of ${formatSpent(status.monthly_usd)}` : "";
    lines.push(`This month: ${formatSpent(status.spent_month_usd)}${month}`);
  }
  return lines.join("\n");
}

/** Share of the daily budget used, 0..∞; undefined without a cap. The status bar warns past 80%. */
export function budgetShare(status: StatusJson): number | undefined {
  if (status.spent_today_usd === undefined || status.daily_usd == null || status.daily_usd <= 0) return undefined;
  return status.spent_today_usd / status.daily_usd;
}

/** The message of a JSON-RPC error, without the "Request ... failed with message:" wrapping. */
export function errorMessage(err: unknown): string {
  if (err && typeof err === "object" && "message" in err) {
    const text = String((err as { message: unknown }).message);
    return text.replace(/^Request [^ ]+ failed with message: /, "");
  }
  return String(err);
}
