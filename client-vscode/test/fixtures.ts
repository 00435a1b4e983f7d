import type { DecisionJson, ReportJson } from "../src/protocol";

/** Shaped like Decision.to_json() from server/modelroute/route/model.py. */
export const DECISION: DecisionJson = {
  category: "quick_edit",
  confidence: 0.82,
  model: "gpt-5.4-mini",
  display_name: "GPT-5.4 mini",
  provider: "openai",
  estimated_cost_usd: 0.0042,
  estimated_cost_range_usd: [0.003, 0.006],
  estimated_tokens: { input: 1200, output: 300 },
  alternatives: [
    { model: "claude-sonnet-4-6", provider: "anthropic", estimated_cost_usd: 0.021, score: 0.71, quality: 8.2, available: true },
    { model: "kimi-k2.5", provider: "moonshot", estimated_cost_usd: 0.0011, score: 0.64, quality: 7.1, available: false },
  ],
  reasons: ["quick_edit: a small local change", "cheapest model rated ≥ 7 for quick edits"],
  notes: [],
  candidates: [
    { model: "gpt-5.4-mini", score: 0.83, quality: 7.6, estimated_cost_usd: 0.0042, eligible: true, available: true, blocked_by: [], setup_hint: null },
    { model: "kimi-k2.5", score: 0.64, quality: 7.1, estimated_cost_usd: 0.0011, eligible: true, available: false, blocked_by: [], setup_hint: "set MOONSHOT_API_KEY" },
    { model: "claude-sonnet-4-6", score: 0.71, quality: 8.2, estimated_cost_usd: 0.021, eligible: true, available: true, blocked_by: [], setup_hint: null },
    { model: "claude-opus-4-6", score: 0.5, quality: 9.1, estimated_cost_usd: 0.9, eligible: false, available: true, blocked_by: ["per_request_usd"], setup_hint: null },
  ],
};

export const REPORT: ReportJson = {
  since: "2026-03-01T00:00:00Z",
  until: "2026-03-03T12:00:00Z",
  run_count: 4,
  total_usd: 1.75,
  reserved_usd: 0,
  by_day: [
    { day: "2026-03-02", runs: 1, usd: 0.25 },
    { day: "2026-03-01", runs: 3, usd: 1.5 },
  ],
  by_model: [
    { model: "claude-opus-4-6", provider: "anthropic", runs: 2, usd: 1.4, input_tokens: 40000, output_tokens: 9000 },
    { model: "gpt-5.4-mini", provider: "openai", runs: 2, usd: 0.35, input_tokens: 30000, output_tokens: 4000 },
  ],
  by_category: [{ category: "multi_file_refactor", runs: 2, usd: 1.4 }],
};
