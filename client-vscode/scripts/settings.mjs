// Settings in package.json come from the one schema: `modelroute.policy.vscode_configuration()`.
//   node scripts/settings.mjs          rewrite contributes.configuration[0] in package.json
//   node scripts/settings.mjs --check  exit 1 when package.json has drifted from the schema
// The Python is $MODELROUTE_PYTHON, else ../.venv/bin/python, else python3.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
export const PACKAGE_JSON = resolve(here, "..", "package.json");

/** Settings only the extension reads; the server ignores the `server` and `trace` keys. */
export const CLIENT_SETTINGS = {
  title: "modelroute: editor",
  properties: {
    "modelroute.server.path": {
      type: "string",
      default: "",
      scope: "machine-overridable",
      markdownDescription:
        "The `modelroute` executable (or a Python interpreter that has modelroute installed). Empty: the workspace's `.venv`, then `python3 -m modelroute`, then `modelroute` on `PATH`.",
    },
    "modelroute.trace.server": {
      type: "string",
      enum: ["off", "messages", "verbose"],
      default: "off",
      scope: "window",
      description: "Log the LSP messages between VS Code and the modelroute server in the modelroute output.",
    },
  },
};

export function python() {
  if (process.env.MODELROUTE_PYTHON) return process.env.MODELROUTE_PYTHON;
  const venv = resolve(here, "..", "..", ".venv", process.platform === "win32" ? "Scripts/python.exe" : "bin/python");
  return existsSync(venv) ? venv : "python3";
}

export function generated() {
  const code = "import json, sys\nfrom modelroute.policy import vscode_configuration\njson.dump(vscode_configuration(), sys.stdout)";
  return JSON.parse(execFileSync(python(), ["-c", code], { encoding: "utf8" }));
}

export function expected() {
  return [generated(), CLIENT_SETTINGS];
}

/** Keys that differ between package.json and the schema, for a readable failure. */
export function drift(actual, wanted) {
  const problems = [];
  const a = Array.isArray(actual) ? actual : [];
  for (let i = 0; i < wanted.length; i++) {
    const have = a[i]?.properties ?? {};
    const want = wanted[i].properties;
    for (const key of Object.keys(want)) {
      if (!(key in have)) problems.push(`missing ${key}`);
      else if (!isDeepStrictEqual(have[key], want[key])) problems.push(`differs ${key}`);
    }
    for (const key of Object.keys(have)) if (!(key in want)) problems.push(`extra ${key}`);
    if (a[i]?.title !== wanted[i].title) problems.push(`title of section ${i}`);
  }
  if (a.length !== wanted.length) problems.push(`expected ${wanted.length} configuration sections, found ${a.length}`);
  return problems;
}

function main() {
  const pkg = JSON.parse(readFileSync(PACKAGE_JSON, "utf8"));
  const wanted = expected();
  if (process.argv.includes("--check")) {
    const problems = drift(pkg.contributes?.configuration, wanted);
    if (problems.length > 0) {
      console.error(`package.json settings drifted from the schema (run npm run settings):\n  ${problems.join("\n  ")}`);
      process.exit(1);
    }
    console.log(`package.json settings match the schema (${Object.keys(wanted[0].properties).length} settings)`);
    return;
  }
  pkg.contributes = { ...pkg.contributes, configuration: wanted };
  writeFileSync(PACKAGE_JSON, JSON.stringify(pkg, null, 2) + "\n");
  console.log(`wrote ${Object.keys(wanted[0].properties).length} settings into ${join("client-vscode", "package.json")}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
