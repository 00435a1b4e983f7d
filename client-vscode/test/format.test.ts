import assert from "node:assert/strict";
import { test } from "node:test";
import { budgetShare, errorMessage, formatSpent, formatUsd, pickItems, statusText, statusTooltip } from "../src/format";
import { actionArgs, directiveInstruction } from "../src/protocol";
import { DECISION } from "./fixtures";

test("formatUsd rounds like the server's code action titles", () => {
  assert.equal(formatUsd(0.42), "~$0.42");
  assert.equal(formatUsd(12.3), "~$12.30");
  assert.equal(formatUsd(0.0042), "~$0.0042");
  assert.equal(formatUsd(0.00001), "<$0.0001");
  assert.equal(formatUsd(0), "$0");
  assert.equal(formatSpent(1.234), "$1.23");
});

test("pick items: routed model first with reasons, then runnable, then unavailable; blocked left out", () => {
  const items = pickItems(DECISION);
  assert.deepEqual(items.map((i) => i.model), ["gpt-5.4-mini", "claude-sonnet-4-6", "kimi-k2.5"]);
  const [first, second, third] = items;
  assert.equal(first.label, "$(star-full) GPT-5.4 mini");
  assert.ok(first.recommended);
  assert.equal(first.description, "~$0.0042 · score 0.83 · quality 7.6 · quick_edit");
  assert.match(first.detail, /cheapest model rated/);
  assert.equal(second.label, "claude-sonnet-4-6");
  assert.equal(second.description, "~$0.02 · score 0.71 · quality 8.2");
  assert.equal(third.available, false);
  assert.equal(third.detail, "not available: set MOONSHOT_API_KEY");
});

test("pick items fall back to alternatives when the decision has no candidates", () => {
  const items = pickItems({ ...DECISION, candidates: undefined });
  assert.deepEqual(items.map((i) => i.model), ["gpt-5.4-mini", "claude-sonnet-4-6", "kimi-k2.5"]);
  assert.equal(items[0].description, "~$0.0042 · quick_edit");
});

test("status text and tooltip show today's spend against the cap and the objective", () => {
  const status = { objective: "balanced", spent_today_usd: 1.2, daily_usd: 20, spent_month_usd: 33.5, monthly_usd: 200 };
  assert.equal(statusText(status), "$(pulse) $1.20 / $20.00 · balanced");
  assert.match(statusTooltip(status), /This month: \$33\.50 of \$200\.00/);
  assert.equal(budgetShare(status), 0.06);
  assert.equal(statusText({ objective: "cost", spent_today_usd: 0, daily_usd: null }), "$(pulse) $0.00 · cost");
  const unread = { objective: "cost", daily_usd: 20, ledger_error: "the spend ledger cannot be read (locked)" };
  assert.equal(statusText(unread), "$(warning) spend unknown · cost");
  assert.match(statusTooltip(unread), /cannot be read \(locked\)/);
  assert.equal(budgetShare(unread), undefined);
  assert.equal(budgetShare({ objective: "cost", spent_today_usd: 1, daily_usd: null }), undefined);
});

test("errorMessage strips the JSON-RPC wrapper", () => {
  assert.equal(errorMessage(new Error("Request workspace/executeCommand failed with message: no model fits")), "no model fits");
  assert.equal(errorMessage("plain"), "plain");
});

test("directive instruction pre-fills the input box", () => {
  assert.equal(directiveInstruction("    # add type hints and a docstring AI!"), "add type hints and a docstring");
  assert.equal(directiveInstruction("  // AI? why does this return a template string"), "why does this return a template string");
  assert.equal(directiveInstruction("<!-- AI! build a pricing page -->"), "build a pricing page");
  assert.equal(directiveInstruction("x = 1  # just a comment"), undefined);
  assert.equal(directiveInstruction("return a"), undefined);
});

test("actionArgs trims the instruction and adds the model only when given", () => {
  const range = { start: { line: 1, character: 0 }, end: { line: 2, character: 3 } };
  assert.deepEqual(actionArgs("file:///a.py", range, "  fix it "), { uri: "file:///a.py", range, instruction: "fix it" });
  assert.equal(actionArgs("file:///a.py", range, "x", "m").model, "m");
});
