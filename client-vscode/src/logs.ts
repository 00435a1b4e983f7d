// The server's stdout/stderr lines, written to the log output channel at their own level.
// vscode-languageclient logs every stderr line as [error], so a harmless Python WARNING (or an
// INFO with --log-level INFO) looked like a failure. Plain module: no `vscode` import.
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

/** The subset of vscode.LogOutputChannel this module writes to. */
export interface LevelledLog {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const PYTHON_LEVELS: Record<string, LogLevel> = {
  NOTSET: "trace",
  DEBUG: "debug",
  INFO: "info",
  WARNING: "warn",
  WARN: "warn",
  ERROR: "error",
  CRITICAL: "error",
  FATAL: "error",
};

// `modelroute serve` logs `%(asctime)s %(levelname)s %(name)s: %(message)s` (lsp/main.py); the
// timestamp is dropped because the output channel stamps every line itself.
const RECORD = /^(?:\d{4}-\d\d-\d\d[ T][\d:,.]+\s+)?(NOTSET|DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)[\s:]+(.*)$/;

export interface ParsedLine {
  level: LogLevel;
  message: string;
}

/**
 * The level of one line of server output. A line that starts a log record carries its level; an
 * uncaught exception's `Traceback` is an error; any other line (a traceback's frames, a record's
 * continuation) keeps the level of the record it belongs to.
 */
export function parseServerLine(line: string, previous: LogLevel = "info"): ParsedLine {
  const record = RECORD.exec(line);
  if (record) return { level: PYTHON_LEVELS[record[1]], message: record[2] };
  if (line.startsWith("Traceback (most recent call last)")) return { level: "error", message: line };
  return { level: previous, message: line };
}

/** Feeds lines to the log, each at its level; the returned function takes one line at a time. */
export function levelledWriter(log: LevelledLog, initial: LogLevel = "info"): (line: string) => void {
  let previous = initial;
  return (line: string) => {
    const parsed = parseServerLine(line, previous);
    previous = parsed.level;
    log[parsed.level](parsed.message);
  };
}

/** Reads a stream line by line into a levelled writer (the language client's stdioOptions shape). */
export function pipeLevelled(input: Readable, log: LevelledLog, initial: LogLevel = "info"): void {
  const write = levelledWriter(log, initial);
  createInterface({ input, crlfDelay: Infinity, terminal: false, historySize: 0 }).on("line", write);
}
