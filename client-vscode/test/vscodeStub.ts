// Just enough of the `vscode` API for activate() to run outside VS Code.
export function makeVscodeStub(config: Record<string, unknown>) {
  const commands = new Map<string, (...args: unknown[]) => unknown>();
  const errors: string[] = [];
  const infos: string[] = [];
  const statusBar = { text: "", tooltip: "", command: "", name: "", backgroundColor: undefined as unknown, show() {}, hide() {}, dispose() {} };
  const disposable = { dispose() {} };
  const event = () => disposable;
  const api = {
    commands: {
      registerCommand(id: string, fn: (...args: unknown[]) => unknown) {
        if (commands.has(id)) throw new Error(`command ${id} already exists`);
        commands.set(id, fn);
        return { dispose: () => commands.delete(id) };
      },
      executeCommand: async () => undefined,
    },
    window: {
      createOutputChannel: () => ({ appendLine() {}, append() {}, show() {}, dispose() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {} }),
      createStatusBarItem: () => statusBar,
      showErrorMessage: async (m: string) => void errors.push(m),
      showInformationMessage: async (m: string) => void infos.push(m),
      showWarningMessage: async (m: string) => void infos.push(m),
      activeTextEditor: undefined,
    },
    workspace: {
      workspaceFolders: undefined,
      getConfiguration: (section?: string) => ({
        get: (key: string) => config[section ? `${section}.${key}` : key],
        update: async () => undefined,
      }),
      onDidChangeConfiguration: event,
    },
    env: { clipboard: { writeText: async () => undefined } },
    StatusBarAlignment: { Left: 1, Right: 2 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    ProgressLocation: { Notification: 15 },
    ViewColumn: { Beside: -2 },
    CodeAction: class {},
    CallHierarchyItem: class {},
    CodeLens: class {},
    CompletionItem: class {},
    DocumentLink: class {},
    InlayHint: class {},
    SymbolInformation: class {},
    TypeHierarchyItem: class {},
    Diagnostic: class {},
    CancellationError: class extends Error {},
    ThemeColor: class {
      constructor(public id: string) {}
    },
  };
  // Classes the language client extends at load time (CodeAction, Diagnostic, CancellationError, …).
  const classes = new Map<string, unknown>();
  const proxied = new Proxy(api as Record<string, unknown>, {
    get(target, prop) {
      if (typeof prop !== "string" || prop in target) return target[prop as string];
      if (!/^[A-Z]/.test(prop)) return undefined;
      if (!classes.has(prop)) classes.set(prop, class {});
      return classes.get(prop);
    },
  });
  return { api: proxied, commands, errors, infos, statusBar };
}
