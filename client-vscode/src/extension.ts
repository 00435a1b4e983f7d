// VS Code glue: start `modelroute serve`, adapt the flows to VS Code's UI, keep the status bar.
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  LanguageClient,
  ShowMessageRequest,
  State,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import { answerModally, type ModalDialog } from "./approval";
import { budgetShare, statusText, statusTooltip } from "./format";
import * as flows from "./flows";
import {
  DOCUMENT_SELECTOR,
  SERVER_COMMANDS,
  SPENDING_COMMANDS,
  directiveInstruction,
  type Objective,
  type ReportJson,
} from "./protocol";
import { pipeLevelled } from "./logs";
import { reportHtml } from "./report";
import { INSTALL_GUIDE_ANCHOR, nodeEnvironment, resolveServer } from "./server";

/** Our commands; the server's own (modelroute.run, …) are registered by the language client. */
export const COMMANDS = {
  routeSelection: "modelroute.vscode.routeSelection",
  whyThisModel: "modelroute.vscode.whyThisModel",
  showSpend: "modelroute.vscode.showSpend",
  cancelRun: "modelroute.vscode.cancelRun",
  switchObjective: "modelroute.vscode.switchObjective",
  restartServer: "modelroute.vscode.restartServer",
  showOutput: "modelroute.vscode.showOutput",
} as const;

const STATUS_REFRESH_MS = 60_000;

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel;
let statusItem: vscode.StatusBarItem;
let statusTimer: NodeJS.Timeout | undefined;
let reportPanel: vscode.WebviewPanel | undefined;

export const modalDialog: ModalDialog = (severity, message, detail, titles) => {
  const show =
    severity === "error"
      ? vscode.window.showErrorMessage
      : severity === "warning"
        ? vscode.window.showWarningMessage
        : vscode.window.showInformationMessage;
  return show(message, { modal: true, detail }, ...titles);
};

const server: flows.Server = {
  async execute<T>(command: string, args: object, title?: string): Promise<T> {
    const running = requireClient();
    const send = (token?: vscode.CancellationToken) =>
      running.sendRequest(ExecuteCommandRequest.type, { command, arguments: [args] }, token) as Promise<T>;
    if (!title) return send();
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (_progress, token) => send(token),
    ) as Promise<T>;
  },
  supports(command: string): boolean {
    const commands = client?.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
    return commands.includes(command);
  },
};

const ui: flows.Ui = {
  input: async (prompt, value) => vscode.window.showInputBox({ prompt, value, ignoreFocusOut: true }),
  pick: async (items, placeHolder) => vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true, matchOnDetail: true }),
  info: (message) => void vscode.window.showInformationMessage(message),
  error: (message) => void vscode.window.showErrorMessage(message),
  showReport,
  showMarkdown: async (markdown) => {
    const doc = await vscode.workspace.openTextDocument({ content: markdown, language: "markdown" });
    await vscode.commands.executeCommand("markdown.showPreview", doc.uri);
  },
  setObjectiveSetting: async (objective: Objective) => {
    const scope = vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration("modelroute").update("objective", objective, scope);
  },
};

function requireClient(): LanguageClient {
  if (!client || client.state !== State.Running) {
    throw new Error("the modelroute server is not running (see the modelroute output)");
  }
  return client;
}

function selection(): flows.Selection | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showErrorMessage("modelroute: open a file and select the code first.");
    return undefined;
  }
  const s = editor.selection;
  const line = editor.document.lineAt(s.active.line).text;
  return {
    uri: editor.document.uri.toString(),
    range: {
      start: { line: s.start.line, character: s.start.character },
      end: { line: s.end.line, character: s.end.character },
    },
    suggested: directiveInstruction(line),
  };
}

function showReport(report: ReportJson): void {
  if (!reportPanel) {
    reportPanel = vscode.window.createWebviewPanel("modelroute.spend", "modelroute spend", vscode.ViewColumn.Beside, {
      enableScripts: false,
    });
    reportPanel.onDidDispose(() => (reportPanel = undefined));
  }
  reportPanel.webview.html = reportHtml(report, reportPanel.webview.cspSource);
  reportPanel.reveal();
}

async function refreshStatus(): Promise<void> {
  const status = client?.state === State.Running ? await flows.fetchStatus(server) : undefined;
  if (!status) {
    const objective = vscode.workspace.getConfiguration("modelroute").get<string | null>("objective");
    statusItem.text = `$(pulse) modelroute${objective ? ` · ${objective}` : ""}`;
    statusItem.tooltip = client?.state === State.Running ? "modelroute: click to switch the objective" : "modelroute: server not running";
    statusItem.backgroundColor = undefined;
  } else {
    statusItem.text = statusText(status);
    statusItem.tooltip = statusTooltip(status);
    const share = budgetShare(status);
    statusItem.backgroundColor =
      share === undefined || share < 0.8
        ? undefined
        : new vscode.ThemeColor(share >= 1 ? "statusBarItem.errorBackground" : "statusBarItem.warningBackground");
  }
  statusItem.show();
}

async function reportMissingServer(context: vscode.ExtensionContext, message: string, tried: string[]): Promise<void> {
  output.error(message);
  for (const line of tried) output.error(`  tried ${line}`);
  const choice = await vscode.window.showErrorMessage(message, "Install Steps", "Open Settings", "Show Details");
  if (choice === "Install Steps") {
    // The extension's own README (inside the .vsix): readable offline, says how to install the server.
    const readme = vscode.Uri.joinPath(context.extensionUri, "README.md").with({ fragment: INSTALL_GUIDE_ANCHOR });
    await vscode.commands.executeCommand("markdown.showPreview", readme);
  } else if (choice === "Open Settings") {
    await vscode.commands.executeCommand("workbench.action.openSettings", "modelroute.server.path");
  } else if (choice === "Show Details") output.show();
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const setting = vscode.workspace.getConfiguration("modelroute").get<string>("server.path") ?? "";
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const found = await resolveServer(setting, folders, nodeEnvironment());
  if (!found.ok) {
    await reportMissingServer(context, found.message, found.tried);
    return;
  }
  output.info(`modelroute ${found.version} from ${found.source}: ${found.command} ${found.args.join(" ")}`);
  const serverOptions: ServerOptions = { command: found.command, args: found.args, options: { cwd: folders[0] } };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [...DOCUMENT_SELECTOR],
    outputChannel: output,
    // Each line at its own level: the client's default logs all of stderr as [error].
    stdioOptions: {
      stdout: (input, channel) => pipeLevelled(input, channel),
      stderr: (input, channel) => pipeLevelled(input, channel),
    },
    middleware: {
      // A run picked from the lightbulb goes through the client, not our commands: refresh the
      // status bar's spend when it ends instead of up to a minute later.
      executeCommand: async (command, args, next) => {
        try {
          return await next(command, args);
        } finally {
          if (SPENDING_COMMANDS.has(command)) void refreshStatus();
        }
      },
    },
    // Settings come from workspace/configuration (section "modelroute"); the server pulls them.
  };
  const next = new LanguageClient("modelroute", "modelroute", serverOptions, clientOptions);
  // Before start: pending handlers are installed after the client's own, so this one wins.
  context.subscriptions.push(next.onRequest(ShowMessageRequest.type, (params) => answerModally(params, modalDialog)));
  client = next;
  await next.start();
  await refreshStatus();
}

async function stopClient(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) await running.stop().catch(() => undefined);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("modelroute", { log: true });
  statusItem = vscode.window.createStatusBarItem("modelroute.status", vscode.StatusBarAlignment.Right, 100);
  statusItem.name = "modelroute";
  statusItem.command = COMMANDS.switchObjective;
  context.subscriptions.push(output, statusItem);

  const register = (id: string, run: () => Promise<unknown>) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async () => {
        try {
          await run();
        } catch (err) {
          void vscode.window.showErrorMessage(`modelroute: ${(err as Error).message ?? err}`);
        }
      }),
    );
  const withSelection = (run: (s: flows.Selection) => Promise<unknown>) => async () => {
    const sel = selection();
    if (sel) await run(sel);
  };
  register(COMMANDS.routeSelection, withSelection(async (s) => {
    await flows.routeSelection(server, ui, s);
    await refreshStatus();
  }));
  register(COMMANDS.whyThisModel, withSelection((s) => flows.whyThisModel(server, ui, s)));
  register(COMMANDS.showSpend, () => flows.showSpend(server, ui));
  register(COMMANDS.cancelRun, () => flows.cancelRun(server, ui));
  register(COMMANDS.switchObjective, async () => {
    const current = vscode.workspace.getConfiguration("modelroute").get<string | null>("objective") ?? undefined;
    if (await flows.switchObjective(server, ui, current)) await refreshStatus();
  });
  register(COMMANDS.restartServer, async () => {
    await stopClient();
    await startClient(context);
  });
  register(COMMANDS.showOutput, async () => output.show());

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("modelroute.server.path")) {
        const choice = await vscode.window.showInformationMessage("modelroute.server.path changed.", "Restart Server");
        if (choice) await vscode.commands.executeCommand(COMMANDS.restartServer);
      } else if (e.affectsConfiguration("modelroute")) {
        setTimeout(() => void refreshStatus(), 500);
      }
    }),
  );
  statusTimer = setInterval(() => void refreshStatus(), STATUS_REFRESH_MS);
  context.subscriptions.push({ dispose: () => statusTimer && clearInterval(statusTimer) });
  await refreshStatus();
  await startClient(context);
}

export async function deactivate(): Promise<void> {
  await stopClient();
}

// Server command names, re-exported for tests of the bundle.
export { SERVER_COMMANDS };
