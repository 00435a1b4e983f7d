// The contributed settings must be exactly what the Python schema generates (one schema, DESIGN 3).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const SCRIPT = join(__dirname, "..", "..", "scripts", "settings.mjs");

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function load(): Promise<any> {
  return import(SCRIPT);
}

test("package.json contributes.configuration matches modelroute.policy.vscode_configuration()", async () => {
  const settings = await load();
  const pkg = JSON.parse(readFileSync(settings.PACKAGE_JSON, "utf8"));
  const wanted = settings.expected();
  assert.deepEqual(settings.drift(pkg.contributes.configuration, wanted), [], "run `npm run settings` to regenerate");
  assert.deepEqual(pkg.contributes.configuration, wanted);
  assert.ok(Object.keys(wanted[0].properties).length > 20, "the generator produced the full schema");
});

test("drift names missing, changed and extra keys", async () => {
  const settings = await load();
  const wanted = [{ title: "t", properties: { "modelroute.a": { type: "string" }, "modelroute.b": { type: "number" } } }];
  const actual = [{ title: "t", properties: { "modelroute.a": { type: "boolean" }, "modelroute.c": {} } }];
  assert.deepEqual(settings.drift(actual, wanted), ["differs modelroute.a", "missing modelroute.b", "extra modelroute.c"]);
});

test("client-only settings do not collide with the schema and use keys the server ignores", async () => {
  const settings = await load();
  const schemaKeys = Object.keys(settings.generated().properties);
  for (const key of Object.keys(settings.CLIENT_SETTINGS.properties)) {
    assert.ok(!schemaKeys.includes(key), `${key} collides with the schema`);
    // server/modelroute/lsp/config.py drops these top-level keys as client-only.
    assert.ok(["server", "trace"].includes(key.split(".")[1]), key);
  }
});
