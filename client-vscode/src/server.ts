// Finding `modelroute serve`: the setting, the workspace's .venv, `python3 -m modelroute`, PATH.
// Plain module: process spawning and file checks are passed in, so tests can drive it.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";

/** Oldest server whose commands and settings this extension speaks. */
export const MINIMUM_VERSION = "0.1.0";
/**
 * modelroute is not on PyPI: it installs from a checkout of its repository or a wheel built from
 * one (README "Install"). Said in every message that asks the user to install or upgrade it.
 */
export const INSTALL_COMMAND = "pipx install /path/to/modelroute";
export const UPGRADE_COMMAND = "pipx install --force /path/to/modelroute";
/** Heading id of the install steps in the extension's README.md. */
export const INSTALL_GUIDE_ANCHOR = "install-the-server";
const FROM = "(a checkout of the modelroute repository, or a wheel built from it)";

export interface Candidate {
  /** Where it came from, for the messages: "setting", ".venv", "python3 -m", "PATH". */
  source: string;
  command: string;
  /** Arguments before `serve` / `--version` (`-m modelroute` for a Python interpreter). */
  prefix: string[];
}

export interface Found {
  ok: true;
  command: string;
  args: string[];
  version: string;
  source: string;
}

export interface NotFound {
  ok: false;
  /** too_old when a server was found but is older than MINIMUM_VERSION. */
  reason: "missing" | "too_old";
  message: string;
  tried: string[];
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export type Runner = (command: string, args: string[]) => Promise<RunResult>;

export interface Environment {
  platform: NodeJS.Platform;
  exists: (file: string) => boolean;
  run: Runner;
}

export function candidates(settingPath: string | undefined, folders: string[], env: Environment): Candidate[] {
  const out: Candidate[] = [];
  const setting = settingPath?.trim();
  if (setting) {
    // A Python interpreter named in the setting runs the module; anything else is the CLI itself.
    const isPython = /(^|[\\/])python[0-9.]*(\.exe)?$/i.test(setting);
    return [{ source: "setting modelroute.server.path", command: setting, prefix: isPython ? ["-m", "modelroute"] : [] }];
  }
  const windows = env.platform === "win32";
  for (const folder of folders) {
    const cli = windows
      ? path.win32.join(folder, ".venv", "Scripts", "modelroute.exe")
      : path.posix.join(folder, ".venv", "bin", "modelroute");
    if (env.exists(cli)) out.push({ source: `${folder}/.venv`, command: cli, prefix: [] });
  }
  out.push({ source: "python3 -m modelroute", command: windows ? "python" : "python3", prefix: ["-m", "modelroute"] });
  out.push({ source: "PATH", command: windows ? "modelroute.exe" : "modelroute", prefix: [] });
  return out;
}

/** `modelroute 0.1.0` (argparse's --version output) -> "0.1.0". */
export function parseVersion(output: string): string | undefined {
  const match = /modelroute\s+v?(\d+\.\d+\.\d+)/i.exec(output);
  return match ? match[1] : undefined;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map((p) => parseInt(p, 10) || 0);
  const pb = b.split(".").map((p) => parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

function describe(c: Candidate): string {
  return [c.command, ...c.prefix].join(" ");
}

/** The first candidate that answers `--version` with a new enough version. */
export async function resolveServer(
  settingPath: string | undefined,
  folders: string[],
  env: Environment,
  minimum: string = MINIMUM_VERSION,
): Promise<Found | NotFound> {
  const tried: string[] = [];
  let tooOld: { c: Candidate; version: string } | undefined;
  for (const c of candidates(settingPath, folders, env)) {
    let result: RunResult;
    try {
      result = await env.run(c.command, [...c.prefix, "--version"]);
    } catch (err) {
      tried.push(`${describe(c)}: ${String((err as Error).message ?? err)}`);
      continue;
    }
    const version = parseVersion(result.stdout + "\n" + result.stderr);
    if (result.code !== 0 || version === undefined) {
      const why = (result.stderr || result.stdout).trim().split("\n").pop() || `exit code ${result.code}`;
      tried.push(`${describe(c)}: ${why}`);
      continue;
    }
    if (compareVersions(version, minimum) < 0) {
      tried.push(`${describe(c)}: version ${version} is older than ${minimum}`);
      tooOld ??= { c, version };
      continue;
    }
    return { ok: true, command: c.command, args: [...c.prefix, "serve"], version, source: c.source };
  }
  if (tooOld) {
    return {
      ok: false,
      reason: "too_old",
      message:
        `modelroute ${tooOld.version} (${describe(tooOld.c)}) is older than ${minimum}, the oldest this ` +
        `extension supports. Upgrade it from a newer checkout: ${UPGRADE_COMMAND} ${FROM}.`,
      tried,
    };
  }
  return {
    ok: false,
    reason: "missing",
    message:
      `The modelroute language server was not found. Install it (Python 3.11+): ${INSTALL_COMMAND} ` +
      `${FROM}, or set "modelroute.server.path" to the modelroute executable.`,
    tried,
  };
}

/** The real environment: child processes with a timeout, the real file system. */
export function nodeEnvironment(timeoutMs = 15000): Environment {
  return {
    platform: process.platform,
    exists: (file) => existsSync(file),
    run: (command, args) =>
      new Promise((resolve, reject) => {
        execFile(command, args, { timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) => {
          const err = error as (NodeJS.ErrnoException & { code?: string | number }) | null;
          if (err && typeof err.code === "string") {
            reject(new Error(err.code === "ENOENT" ? "not found" : err.message));
            return;
          }
          resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
        });
      }),
  };
}
