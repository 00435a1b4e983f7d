// The spend report as HTML with inline SVG bar charts: no scripts, no CDN. No `vscode` import.
import { formatSpent } from "./format";
import type { ReportJson } from "./protocol";

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

// Colours that read on light and dark themes; models keep their colour across charts.
const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"];

export function modelColours(models: string[]): Map<string, string> {
  const colours = new Map<string, string>();
  [...new Set(models)].forEach((m, i) => colours.set(m, PALETTE[i % PALETTE.length]));
  return colours;
}

export interface Stack {
  day: string;
  parts: { model: string; usd: number }[];
}

/** Spend per day, split by model where the report has `by_day_model`, else one bar per day. */
export function dayStacks(report: ReportJson): Stack[] {
  const days = new Map<string, Stack>();
  for (const d of report.by_day) days.set(d.day, { day: d.day, parts: [] });
  if (report.by_day_model && report.by_day_model.length > 0) {
    for (const row of report.by_day_model) {
      const stack = days.get(row.day) ?? { day: row.day, parts: [] };
      stack.parts.push({ model: row.model, usd: row.usd });
      days.set(row.day, stack);
    }
  } else {
    for (const d of report.by_day) days.get(d.day)!.parts.push({ model: "all models", usd: d.usd });
  }
  return [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
}

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** Vertical stacked bars, one per day. */
export function daySvg(stacks: Stack[], colours: Map<string, string>, width = 640, height = 220): string {
  const left = 56;
  const bottom = 36;
  const top = 12;
  const plotW = width - left - 8;
  const plotH = height - bottom - top;
  const totals = stacks.map((s) => s.parts.reduce((t, p) => t + p.usd, 0));
  const max = niceMax(Math.max(0, ...totals));
  const slot = stacks.length > 0 ? plotW / stacks.length : plotW;
  const barW = Math.max(2, Math.min(40, slot * 0.7));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Spend by day" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
  ];
  for (const frac of [0, 0.5, 1]) {
    const y = top + plotH - frac * plotH;
    out.push(`<line x1="${left}" x2="${width - 8}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" class="grid"/>`);
    out.push(`<text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" class="axis">${escapeHtml(formatSpent(max * frac))}</text>`);
  }
  const labelEvery = Math.max(1, Math.ceil(stacks.length / 8));
  stacks.forEach((stack, i) => {
    const x = left + i * slot + (slot - barW) / 2;
    let y = top + plotH;
    for (const part of stack.parts) {
      const h = (part.usd / max) * plotH;
      y -= h;
      const title = `${stack.day} · ${part.model}: ${formatSpent(part.usd)}`;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${colours.get(part.model) ?? PALETTE[0]}"><title>${escapeHtml(title)}</title></rect>`,
      );
    }
    if (i % labelEvery === 0) {
      out.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle" class="axis">${escapeHtml(stack.day.slice(5))}</text>`);
    }
  });
  out.push("</svg>");
  return out.join("");
}

/** Horizontal bars, one per model. */
export function modelSvg(report: ReportJson, colours: Map<string, string>, width = 640): string {
  const rowH = 24;
  const labelW = 190;
  const models = [...report.by_model].sort((a, b) => b.usd - a.usd);
  const height = Math.max(rowH, models.length * rowH) + 8;
  const max = niceMax(Math.max(0, ...models.map((m) => m.usd)));
  const plotW = width - labelW - 80;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Spend by model" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
  ];
  models.forEach((m, i) => {
    const y = 4 + i * rowH;
    const w = (m.usd / max) * plotW;
    out.push(`<text x="${labelW - 8}" y="${y + 15}" text-anchor="end" class="label">${escapeHtml(m.model)}</text>`);
    out.push(
      `<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${colours.get(m.model) ?? PALETTE[0]}"><title>${escapeHtml(`${m.model}: ${formatSpent(m.usd)}`)}</title></rect>`,
    );
    out.push(`<text x="${(labelW + w + 6).toFixed(1)}" y="${y + 15}" class="label">${escapeHtml(formatSpent(m.usd))}</text>`);
  });
  out.push("</svg>");
  return out.join("");
}

function table(head: string[], rows: string[][]): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("");
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

/** The whole webview page. `cspSource` is the webview's; no script runs in it. */
export function reportHtml(report: ReportJson, cspSource = "'none'"): string {
  const stacks = dayStacks(report);
  const models = [...report.by_model.map((m) => m.model), ...stacks.flatMap((s) => s.parts.map((p) => p.model))];
  const colours = modelColours(models);
  const since = report.since ? report.since.slice(0, 10) : "the start";
  const until = report.until ? report.until.slice(0, 10) : "now";
  const empty = report.by_day.length === 0 && report.by_model.length === 0;
  const legend = [...colours.entries()]
    .map(([m, c]) => `<span class="key"><span class="swatch" style="background:${c}"></span>${escapeHtml(m)}</span>`)
    .join(" ");
  const sections = empty
    ? `<p>No runs recorded between ${escapeHtml(since)} and ${escapeHtml(until)}.</p>`
    : [
        `<h2>Spend by day</h2>${daySvg(stacks, colours)}<div class="legend">${legend}</div>`,
        `<h2>Spend by model</h2>${modelSvg(report, colours)}`,
        `<h2>By model</h2>` +
          table(
            ["Model", "Provider", "Runs", "Spend", "Input tokens", "Output tokens"],
            report.by_model.map((m) => [
              m.model,
              m.provider ?? "",
              String(m.runs ?? ""),
              formatSpent(m.usd),
              String(m.input_tokens ?? ""),
              String(m.output_tokens ?? ""),
            ]),
          ),
        report.by_category && report.by_category.length > 0
          ? `<h2>By category</h2>` +
            table(
              ["Category", "Runs", "Spend"],
              report.by_category.map((c) => [c.category, String(c.runs ?? ""), formatSpent(c.usd)]),
            )
          : "",
      ].join("\n");
  const held = report.reserved_usd ? ` (${formatSpent(report.reserved_usd)} held by runs in progress)` : "";
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${cspSource} data:; style-src ${cspSource} 'unsafe-inline';">
<title>modelroute spend</title>
<style>
body { font-family: var(--vscode-font-family, sans-serif); color: var(--vscode-foreground, #222); padding: 0 16px; }
.axis, .label { font-size: 11px; fill: var(--vscode-foreground, #222); }
.grid { stroke: var(--vscode-editorWidget-border, #ccc); stroke-width: 1; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { text-align: left; padding: 2px 12px 2px 0; border-bottom: 1px solid var(--vscode-editorWidget-border, #ddd); }
.legend { margin: 4px 0 12px; font-size: 12px; }
.key { margin-right: 12px; white-space: nowrap; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
</style></head><body>
<h1>modelroute spend</h1>
<p>${escapeHtml(since)} to ${escapeHtml(until)}: <strong>${escapeHtml(formatSpent(report.total_usd))}</strong> over ${report.run_count ?? 0} runs${escapeHtml(held)}.</p>
${sections}
</body></html>`;
}
