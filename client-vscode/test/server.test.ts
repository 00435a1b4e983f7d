import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  INSTALL_COMMAND,
  candidates,
  compareVersions,
  nodeEnvironment,
  parseVersion,
  resolveServer,
  type Environment,
  type RunResult,
} from "../src/server";

function fakeEnv(answers: Record<string, RunResult | Error>, files: string[] = []): Environment & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    platform: "linux",
    exists: (f) => files.includes(f),
    run: async (command, args) => {
      const key = [command, ...args].join(" ");
      calls.push(key);
      const answer = answers[key] ?? new Error("not found");
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

const ok = (version: string): RunResult => ({ code: 0, stdout: `modelroute ${version}\n`, stderr: "" });

test("versions parse from argparse output and compare numerically", () => {
  assert.equal(parseVersion("modelroute 0.1.0\n"), "0.1.0");
  assert.equal(parseVersion("Python 3.11.2"), undefined);
  assert.equal(compareVersions("0.10.0", "0.9.9"), 1);
  assert.equal(compareVersions("0.1.0", "0.1.0"), 0);
  assert.equal(compareVersions("0.0.9", "0.1"), -1);
});

test("search order: workspace .venv, python3 -m modelroute, PATH", () => {
  const env = fakeEnv({}, ["/ws/.venv/bin/modelroute"]);
  const list = candidates(undefined, ["/ws", "/other"], env);
  assert.deepEqual(
    list.map((c) => [c.command, ...c.prefix].join(" ")),
    ["/ws/.venv/bin/modelroute", "python3 -m modelroute", "modelroute"],
  );
});

test("the setting wins and is the only candidate; a Python interpreter runs the module", () => {
  const env = fakeEnv({});
  assert.deepEqual(candidates("/opt/mr/bin/modelroute", ["/ws"], env), [
    { source: "setting modelroute.server.path", command: "/opt/mr/bin/modelroute", prefix: [] },
  ]);
  assert.deepEqual(candidates("/usr/bin/python3.11", [], env)[0].prefix, ["-m", "modelroute"]);
});

test("resolveServer skips broken candidates and starts `serve` on the first good one", async () => {
  const env = fakeEnv({
    "/ws/.venv/bin/modelroute --version": { code: 1, stdout: "", stderr: "Traceback...\nImportError: no pygls" },
    "python3 -m modelroute --version": ok("0.2.0"),
  }, ["/ws/.venv/bin/modelroute"]);
  const found = await resolveServer(undefined, ["/ws"], env, "0.1.0");
  assert.deepEqual(found, { ok: true, command: "python3", args: ["-m", "modelroute", "serve"], version: "0.2.0", source: "python3 -m modelroute" });
});

test("a missing server gives the install command and what was tried", async () => {
  const found = await resolveServer(undefined, ["/ws"], fakeEnv({}));
  assert.equal(found.ok, false);
  if (found.ok) return;
  assert.equal(found.reason, "missing");
  assert.ok(found.message.includes(INSTALL_COMMAND));
  assert.ok(found.message.includes("modelroute.server.path"));
  assert.deepEqual(found.tried, ["python3 -m modelroute: not found", "modelroute: not found"]);
});

test("a server older than the minimum is named with the upgrade command", async () => {
  const found = await resolveServer(undefined, [], fakeEnv({ "modelroute --version": ok("0.0.3") }), "0.1.0");
  assert.equal(found.ok, false);
  if (found.ok) return;
  assert.equal(found.reason, "too_old");
  assert.match(found.message, /modelroute 0\.0\.3 \(modelroute\) is older than 0\.1\.0/);
  assert.ok(found.message.includes("pipx install --force"));
});

test("nodeEnvironment runs real executables: a fake CLI in a workspace .venv is found", async (t) => {
  if (process.platform === "win32") return t.skip("POSIX shell script");
  const ws = mkdtempSync(join(tmpdir(), "mr-ws-"));
  mkdirSync(join(ws, ".venv", "bin"), { recursive: true });
  const cli = join(ws, ".venv", "bin", "modelroute");
  writeFileSync(cli, "#!/bin/sh\necho 'modelroute 9.9.9'\n");
  chmodSync(cli, 0o755);
  const found = await resolveServer(undefined, [ws], nodeEnvironment(), "0.1.0");
  assert.deepEqual(found, { ok: true, command: cli, args: ["serve"], version: "9.9.9", source: `${ws}/.venv` });
  const missing = await resolveServer(join(ws, "nope"), [ws], nodeEnvironment());
  assert.equal(missing.ok, false);
});
