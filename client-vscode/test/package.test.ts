// The manifest and the bundle agree: every contributed command is registered by activate(),
// and activate() explains a missing server. The bundle runs with a stubbed `vscode` module.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import Module from "node:module";
import { join } from "node:path";
import { test } from "node:test";
import { makeVscodeStub } from "./vscodeStub";

const ROOT = join(__dirname, "..", "..");

test("activate registers every contributed command and reports a missing server with the install command", async () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const stub = makeVscodeStub({ "modelroute.server.path": join(ROOT, "no-such-modelroute") });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const loader = Module as any;
  const original = loader._load;
  loader._load = function (request: string, ...rest: unknown[]) {
    return request === "vscode" ? stub.api : original.call(this, request, ...rest);
  };
  try {
    const ext = require(join(ROOT, "dist", "extension.js"));
    const context = { subscriptions: [] as { dispose(): unknown }[] };
    await ext.activate(context);
    const contributed = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual([...stub.commands.keys()].sort(), contributed);
    assert.equal(pkg.main, "./dist/extension.js");
    assert.equal(stub.errors.length, 1);
    assert.match(stub.errors[0], /modelroute language server was not found/);
    assert.match(stub.errors[0], /pipx install \/path\/to\/modelroute \(a checkout of the modelroute repository, or a wheel built from it\)/);
    assert.doesNotMatch(stub.errors[0], /pip install (--upgrade )?modelroute\b/);
    assert.ok(stub.statusBar.text.startsWith("$(pulse) modelroute"));
    assert.equal(stub.statusBar.command, "modelroute.vscode.switchObjective");
    // With no server running, a command says so instead of throwing.
    await stub.commands.get("modelroute.vscode.showSpend")!();
    assert.match(stub.errors.at(-1)!, /does not offer modelroute\.report|not running/);
    for (const d of context.subscriptions) d.dispose();
    await ext.deactivate();
  } finally {
    loader._load = original;
  }
});

test("the manifest targets the VS Code version the typings and the language client need", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const lc = JSON.parse(readFileSync(join(ROOT, "node_modules", "vscode-languageclient", "package.json"), "utf8"));
  const types = pkg.devDependencies["@types/vscode"];
  assert.equal(`^${types}`, pkg.engines.vscode, "@types/vscode must not be newer than engines.vscode");
  assert.equal(lc.engines.vscode, pkg.engines.vscode);
  assert.equal(pkg.dependencies["vscode-languageclient"].split(".")[0], "11");
});
