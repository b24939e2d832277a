/**
 * The torchls VS Code extension: starts `torchls serve` with the right interpreter, keeps it in step with
 * settings, interpreter selection and workspace trust, and shows its state in the status bar.
 */
import * as os from "os";
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  State,
} from "vscode-languageclient/node";
import {
  Interpreter,
  RESTART_SETTINGS,
  analysedInterpreter,
  chooseInterpreter,
  importStrategy,
  serverCommand,
  serverOptions,
} from "./config";
import { onInterpreterChange, selectedInterpreter } from "./python";
import { StatusItem } from "./status";

/** The server's `torchls/status` notification (see server/torchls/lsp/server.py). */
const STATUS_NOTIFICATION = "torchls/status";
interface StatusParams {
  state: "indexing" | "ready";
  python?: string;
  torch?: string | null;
  problem?: string | null;
}

let client: LanguageClient | undefined;
let interpreter: Interpreter | undefined;
let output: vscode.OutputChannel;
let status: StatusItem;
let lifecycle: Promise<void> = Promise.resolve(); // starts and stops run one after the other

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("torchls");
  status = new StatusItem();
  const restart = () => schedule(() => startServer(context));
  context.subscriptions.push(
    output,
    status,
    vscode.commands.registerCommand("torchls.restart", restart),
    vscode.commands.registerCommand("torchls.showLogs", () => output.show(true)),
    vscode.workspace.onDidGrantWorkspaceTrust(restart),
    vscode.workspace.onDidChangeWorkspaceFolders(() => sendSettings()), // one folder or several: see analysedInterpreter
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (RESTART_SETTINGS.some((name) => event.affectsConfiguration(name))) {
        void restart();
      } else if (event.affectsConfiguration("torchls")) {
        sendSettings();
      }
    }),
  );
  const interpreterChanges = await onInterpreterChange(() => {
    if (interpreter?.source !== "torchls.interpreter") void restart();
  });
  if (interpreterChanges) context.subscriptions.push(interpreterChanges);
  await restart();
}

export function deactivate(): Promise<void> {
  return schedule(stopServer);
}

function schedule(step: () => Promise<void>): Promise<void> {
  lifecycle = lifecycle.then(step).catch((error) => {
    output.appendLine(`torchls: ${error instanceof Error ? error.message : String(error)}`);
  });
  return lifecycle;
}

function configuration(): { settings: vscode.WorkspaceConfiguration; folder?: vscode.WorkspaceFolder } {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return { settings: vscode.workspace.getConfiguration("torchls", folder?.uri), folder };
}

function folderCount(): number {
  return vscode.workspace.workspaceFolders?.length ?? 0;
}

function rawSettings(settings: vscode.WorkspaceConfiguration) {
  return {
    select: settings.get("select"),
    ignore: settings.get("ignore"),
    severity: settings.get("severity"),
    debounceMs: settings.get("debounceMs"),
  };
}

async function startServer(context: vscode.ExtensionContext): Promise<void> {
  await stopServer();
  if (!vscode.workspace.isTrusted) {
    output.appendLine("torchls: not started: the workspace is in Restricted Mode (it would run a Python interpreter).");
    status.show({ kind: "untrusted" });
    return;
  }
  status.show({ kind: "starting" });
  const { settings, folder } = configuration();
  interpreter = chooseInterpreter(settings.get("interpreter"), await selectedInterpreter(folder?.uri), {
    workspaceFolder: folder?.uri.fsPath,
    home: os.homedir(),
    env: process.env,
    platform: process.platform,
  });
  const strategy = importStrategy(settings.get("importStrategy"));
  const command = serverCommand(interpreter, strategy, context.extensionPath);
  output.appendLine(`torchls: interpreter from ${interpreter.source}: ${interpreter.argv.join(" ")}`);
  if (analysedInterpreter(interpreter, folderCount()) === undefined && interpreter.source !== "PATH") {
    output.appendLine("torchls: several workspace folders: each folder's own environment (its .venv) is analysed");
  }
  output.appendLine(`torchls: starting ${strategy === "useBundled" ? "the bundled" : "the environment's"} server: ${command.command} ${command.args.join(" ")}`);

  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "python" },
      { scheme: "untitled", language: "python" },
      { notebook: "jupyter-notebook", language: "python" }, // cells: the server analyses a notebook's cells together
    ],
    outputChannel: output,
    traceOutputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationOptions: { torchls: serverOptions(rawSettings(settings), interpreter, folderCount()) },
  };
  const started = new LanguageClient(
    "torchls",
    "torchls",
    { command: command.command, args: command.args, options: { cwd: folder?.uri.fsPath } },
    clientOptions,
  );
  started.onNotification(STATUS_NOTIFICATION, (params: StatusParams) => {
    status.show(params.state === "indexing" ? { kind: "indexing" } : { kind: "ready", ...params });
  });
  started.onDidChangeState((event) => {
    if (event.newState === State.Stopped && client === started) {
      status.show({ kind: "error", message: "torchls: the server stopped; see the log. Run “torchls: Restart Server” to start it again." });
    }
  });
  try {
    await started.start();
    client = started;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    output.appendLine(`torchls: the server did not start: ${reason}`);
    status.show({
      kind: "error",
      message: `torchls could not start with ${interpreter.argv[0]} (${interpreter.source}): ${reason}. Set torchls.interpreter to a Python 3.10+ interpreter.`,
    });
    await started.dispose().catch(() => undefined);
  }
}

async function stopServer(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    await running.stop().catch(() => undefined);
    status.show({ kind: "stopped" });
  }
}

/** Rule settings and debounce go to the running server; it re-diagnoses open files. */
function sendSettings(): void {
  if (!client || !interpreter) return;
  const options = serverOptions(rawSettings(configuration().settings), interpreter, folderCount());
  void client.sendNotification(DidChangeConfigurationNotification.type, { settings: { torchls: options } });
}
