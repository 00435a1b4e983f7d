import assert from "node:assert/strict";
import { test } from "node:test";
import { dayStacks, escapeHtml, modelColours, reportHtml } from "../src/report";
import { REPORT } from "./fixtures";

test("days are sorted and, without by_day_model, one bar per day", () => {
  const stacks = dayStacks(REPORT);
  assert.deepEqual(stacks.map((s) => s.day), ["2026-03-01", "2026-03-02"]);
  assert.deepEqual(stacks[0].parts, [{ model: "all models", usd: 1.5 }]);
});

test("by_day_model stacks each day by model", () => {
  const stacks = dayStacks({
    ...REPORT,
    by_day_model: [
      { day: "2026-03-01", model: "claude-opus-4-6", usd: 1.4 },
      { day: "2026-03-01", model: "gpt-5.4-mini", usd: 0.1 },
      { day: "2026-03-02", model: "gpt-5.4-mini", usd: 0.25 },
    ],
  });
  assert.deepEqual(stacks[0].parts.map((p) => p.model), ["claude-opus-4-6", "gpt-5.4-mini"]);
  const html = reportHtml({ ...REPORT, by_day_model: [{ day: "2026-03-01", model: "gpt-5.4-mini", usd: 0.1 }] });
  assert.ok(html.includes("<title>2026-03-01 · gpt-5.4-mini: $0.10</title>"));
});

test("the page has inline SVG charts, tables, a strict CSP and no script or remote URL", () => {
  const html = reportHtml(REPORT, "vscode-webview://abc");
  assert.equal((html.match(/<svg /g) ?? []).length, 2);
  assert.ok(html.includes("<strong>$1.75</strong> over 4 runs"));
  assert.ok(html.includes("<td>claude-opus-4-6</td><td>anthropic</td><td>2</td><td>$1.40</td>"));
  assert.ok(html.includes("<td>multi_file_refactor</td>"));
  assert.ok(html.includes("default-src 'none'"));
  assert.ok(!/<script/i.test(html));
  assert.ok(!/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(html), "no remote resources");
  // The tallest bar fills the plot to the rounded maximum: 1.5 -> axis 2.00
  assert.ok(html.includes(">$2.00</text>"));
});

test("an empty ledger says so instead of drawing empty charts", () => {
  const html = reportHtml({ total_usd: 0, by_day: [], by_model: [], since: "2026-03-01T00:00:00Z", until: "2026-03-30T00:00:00Z" });
  assert.ok(html.includes("No runs recorded between 2026-03-01 and 2026-03-30."));
  assert.ok(!html.includes("<svg"));
});

test("model names are escaped and keep one colour", () => {
  assert.equal(escapeHtml(`<img src=x onerror="a">&'`), "&lt;img src=x onerror=&quot;a&quot;&gt;&amp;&#39;");
  const html = reportHtml({ ...REPORT, by_model: [{ model: "<b>evil</b>", usd: 1 }] });
  assert.ok(!html.includes("<b>evil</b>"));
  const colours = modelColours(["a", "b", "a"]);
  assert.equal(colours.size, 2);
  assert.notEqual(colours.get("a"), colours.get("b"));
});
