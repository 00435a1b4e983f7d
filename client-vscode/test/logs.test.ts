import assert from "node:assert/strict";
import { test } from "node:test";
import { levelledWriter, parseServerLine, type LevelledLog, type LogLevel } from "../src/logs";

function recorder(): { log: LevelledLog; lines: [LogLevel, string][] } {
  const lines: [LogLevel, string][] = [];
  const at = (level: LogLevel) => (message: string) => void lines.push([level, message]);
  return { log: { trace: at("trace"), debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") }, lines };
}

test("a Python WARNING record is a warning, with the timestamp dropped", () => {
  assert.deepEqual(parseServerLine("2026-12-03 12:00:01,234 WARNING modelroute.lsp.config: no .git here"), {
    level: "warn",
    message: "modelroute.lsp.config: no .git here",
  });
  assert.equal(parseServerLine("2026-12-03 12:00:01,234 INFO pygls.server: started").level, "info");
  assert.equal(parseServerLine("2026-12-03 12:00:01,234 DEBUG x: y").level, "debug");
  assert.equal(parseServerLine("2026-12-03 12:00:01,234 CRITICAL x: y").level, "error");
  assert.equal(parseServerLine("WARNING:root:bare basicConfig format").level, "warn");
});

test("a traceback is an error and its frames stay with it; a warning's continuation stays a warning", () => {
  const { log, lines } = recorder();
  const write = levelledWriter(log);
  for (const line of [
    "2026-12-03 12:00:01,234 WARNING modelroute.x: settings problem",
    "  at line 3",
    "Traceback (most recent call last):",
    '  File "x.py", line 1, in <module>',
    "ValueError: boom",
    "2026-12-03 12:00:02,000 INFO modelroute.x: back to normal",
  ]) write(line);
  assert.deepEqual(
    lines.map(([level]) => level),
    ["warn", "warn", "error", "error", "error", "info"],
  );
});

test("an unrecognised first line is information, not an error", () => {
  const { log, lines } = recorder();
  levelledWriter(log)("listening on stdio");
  assert.deepEqual(lines, [["info", "listening on stdio"]]);
});
