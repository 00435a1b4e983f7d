import assert from "node:assert/strict";
import { test } from "node:test";
import * as flows from "../src/flows";
import type { PickItem } from "../src/format";
import type { Objective, ReportJson } from "../src/protocol";
import { DECISION, REPORT } from "./fixtures";

const ALL = ["modelroute.route", "modelroute.run", "modelroute.explainRoute", "modelroute.status", "modelroute.setObjective", "modelroute.report", "modelroute.cancelRun"];

function fakeServer(answers: Record<string, unknown>, commands = ALL) {
  const calls: { command: string; args: object; title?: string }[] = [];
  const server: flows.Server = {
    execute: async <T>(command: string, args: object, title?: string) => {
      calls.push({ command, args, title });
      const answer = answers[command];
      if (answer instanceof Error) throw answer;
      return answer as T;
    },
    supports: (c) => commands.includes(c),
  };
  return { server, calls };
}

function fakeUi(script: { input?: string; pick?: (items: { label: string }[]) => { label: string } | undefined }) {
  const log: string[] = [];
  const reports: ReportJson[] = [];
  const objectives: Objective[] = [];
  const ui: flows.Ui = {
    input: async (_prompt, value) => {
      log.push(`input(${value ?? ""})`);
      return script.input;
    },
    pick: async <T extends { label: string }>(items: T[], placeholder: string) => {
      log.push(`pick(${placeholder})`);
      return script.pick?.(items) as T | undefined;
    },
    info: (m) => log.push(`info: ${m}`),
    error: (m) => log.push(`error: ${m}`),
    showReport: (r) => reports.push(r),
    showMarkdown: async (md) => void log.push(`markdown: ${md}`),
    setObjectiveSetting: async (o) => void objectives.push(o),
  };
  return { ui, log, reports, objectives };
}

const SEL: flows.Selection = {
  uri: "file:///ws/app.py",
  range: { start: { line: 3, character: 0 }, end: { line: 5, character: 2 } },
  suggested: "add type hints",
};

test("route selection: instruction -> route -> pick -> run with the picked model", async () => {
  const { server, calls } = fakeServer({ "modelroute.route": DECISION, "modelroute.run": { message: "applied 1 edit" } });
  const { ui, log } = fakeUi({ input: " add type hints ", pick: (items) => items[1] });
  const model = await flows.routeSelection(server, ui, SEL);
  assert.equal(model, "claude-sonnet-4-6");
  assert.deepEqual(calls.map((c) => c.command), ["modelroute.route", "modelroute.run"]);
  assert.deepEqual(calls[0].args, { uri: SEL.uri, range: SEL.range, instruction: "add type hints" });
  assert.equal(calls[0].title, "modelroute: routing…");
  assert.deepEqual(calls[1].args, { uri: SEL.uri, range: SEL.range, instruction: "add type hints", model: "claude-sonnet-4-6" });
  assert.deepEqual(log, ["input(add type hints)", "pick(quick_edit (confidence 82%): pick the model to run)", "info: modelroute: applied 1 edit"]);
});

test("route selection stops on an empty instruction or a dismissed pick, and refuses an unavailable model", async () => {
  const a = fakeServer({ "modelroute.route": DECISION });
  assert.equal(await flows.routeSelection(a.server, fakeUi({ input: "  " }).ui, SEL), undefined);
  assert.equal(a.calls.length, 0);
  assert.equal(await flows.routeSelection(a.server, fakeUi({ input: "x", pick: () => undefined }).ui, SEL), undefined);
  assert.deepEqual(a.calls.map((c) => c.command), ["modelroute.route"]);
  const b = fakeServer({ "modelroute.route": DECISION });
  const { ui, log } = fakeUi({ input: "x", pick: (items) => items.find((i) => (i as PickItem).model === "kimi-k2.5") });
  assert.equal(await flows.routeSelection(b.server, ui, SEL), undefined);
  assert.ok(log.includes("error: modelroute: kimi-k2.5 cannot run here: set MOONSHOT_API_KEY"));
  assert.deepEqual(b.calls.map((c) => c.command), ["modelroute.route"]);
});

test("server errors are shown without the JSON-RPC wrapper; cancellation is silent", async () => {
  const { server } = fakeServer({ "modelroute.route": new Error("Request workspace/executeCommand failed with message: no model fits: budget") });
  const { ui, log } = fakeUi({ input: "x" });
  await flows.routeSelection(server, ui, SEL);
  assert.deepEqual(log.slice(1), ["error: modelroute: no model fits: budget"]);
  const c = fakeServer({ "modelroute.route": new Error("Request cancelled") });
  const quiet = fakeUi({ input: "x" });
  await flows.routeSelection(c.server, quiet.ui, SEL);
  assert.deepEqual(quiet.log, ["input(add type hints)"]);
});

test("a command the server lacks is named with the upgrade hint", async () => {
  const { server, calls } = fakeServer({}, ["modelroute.route"]);
  const { ui, log } = fakeUi({});
  await flows.showSpend(server, ui);
  assert.equal(calls.length, 0);
  assert.match(log[0], /does not offer modelroute\.report; upgrade it/);
  assert.equal(await flows.fetchStatus(server), undefined);
});

test("show spend renders the report; why-this-model falls back to a markdown preview", async () => {
  const { server } = fakeServer({ "modelroute.report": REPORT, "modelroute.explainRoute": { markdown: "# why", shown_document: false } });
  const { ui, log, reports } = fakeUi({ input: "why" });
  await flows.showSpend(server, ui);
  assert.deepEqual(reports, [REPORT]);
  await flows.whyThisModel(server, ui, SEL);
  assert.ok(log.includes("markdown: # why"));
});

test("switch objective uses setObjective, or the workspace setting on an older server", async () => {
  const a = fakeServer({ "modelroute.setObjective": null });
  const picked = fakeUi({ pick: (items) => items.find((i) => i.label === "cost") });
  assert.equal(await flows.switchObjective(a.server, picked.ui, "balanced"), "cost");
  assert.deepEqual(a.calls, [{ command: "modelroute.setObjective", args: { objective: "cost" }, title: undefined }]);
  assert.deepEqual(picked.objectives, []);
  const b = fakeServer({}, ["modelroute.route"]);
  const older = fakeUi({ pick: (items) => items[0] });
  assert.equal(await flows.switchObjective(b.server, older.ui, undefined), "quality");
  assert.deepEqual(older.objectives, ["quality"]);
  assert.equal(b.calls.length, 0);
});

test("cancel run sends modelroute.cancelRun with an empty object", async () => {
  const { server, calls } = fakeServer({ "modelroute.cancelRun": { cancelled: true } });
  await flows.cancelRun(server, fakeUi({}).ui);
  assert.deepEqual(calls, [{ command: "modelroute.cancelRun", args: {}, title: undefined }]);
});
