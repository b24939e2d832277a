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
import { FolderInput, RawSettings, ServerPlan, analysedInterpreter, folderInterpreter, needsRestart, planServer } from "./config";
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
let running: ServerPlan | undefined; // what the running server was started with and last told
let output: vscode.OutputChannel;
let status: StatusItem;
let lifecycle: Promise<void> = Promise.resolve(); // starts and stops run one after the other

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("torchls");
  status = new StatusItem();
  const restart = () => schedule(() => startServer(context));
  const refresh = () => schedule(() => update(context)); // a new server only when its command changed
  context.subscriptions.push(
    output,
    status,
    vscode.commands.registerCommand("torchls.restart", restart),
    vscode.commands.registerCommand("torchls.showLogs", () => output.show(true)),
    vscode.workspace.onDidGrantWorkspaceTrust(restart),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void refresh()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("torchls")) void refresh();
    }),
  );
  const interpreterChanges = await onInterpreterChange(() => void refresh());
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

function rawSettings(settings: vscode.WorkspaceConfiguration): RawSettings {
  return {
    interpreter: settings.get("interpreter"),
    importStrategy: settings.get("importStrategy"),
    select: settings.get("select"),
    ignore: settings.get("ignore"),
    severity: settings.get("severity"),
    debounceMs: settings.get("debounceMs"),
  };
}

const CONTEXT = { home: os.homedir(), env: process.env, platform: process.platform };

/** The server to run now: each folder's `torchls.*` settings and Python-extension interpreter (see planServer). */
async function currentPlan(context: vscode.ExtensionContext): Promise<ServerPlan> {
  const window: FolderInput = { settings: rawSettings(vscode.workspace.getConfiguration("torchls")) };
  if (!vscode.workspace.workspaceFolders?.length) window.pythonExtension = await selectedInterpreter();
  const folders: FolderInput[] = [];
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    folders.push({
      uri: folder.uri.toString(),
      fsPath: folder.uri.fsPath,
      settings: rawSettings(vscode.workspace.getConfiguration("torchls", folder.uri)),
      pythonExtension: await selectedInterpreter(folder),
    });
  }
  const plan = planServer(window, folders, context.extensionPath, CONTEXT);
  for (const folder of folders) {
    const interpreter = folderInterpreter(folder, CONTEXT);
    const analysed = analysedInterpreter(interpreter) ?? "its own environment (.venv, else the server's)";
    output.appendLine(`torchls: folder ${folder.fsPath}: analysed with ${analysed} (from ${interpreter.source})`);
  }
  return plan;
}

/** Settings, folders or a folder's interpreter changed: tell the running server, or start a new one if needed. */
async function update(context: vscode.ExtensionContext): Promise<void> {
  if (!client || !running) return startServer(context);
  const plan = await currentPlan(context);
  if (needsRestart(running, plan)) return startServer(context);
  running = plan;
  await client.sendNotification(DidChangeConfigurationNotification.type, { settings: { torchls: plan.options } });
}

async function startServer(context: vscode.ExtensionContext): Promise<void> {
  await stopServer();
  if (!vscode.workspace.isTrusted) {
    output.appendLine("torchls: not started: the workspace is in Restricted Mode (it would run a Python interpreter).");
    status.show({ kind: "untrusted" });
    return;
  }
  status.show({ kind: "starting" });
  const plan = await currentPlan(context);
  const { interpreter, command } = plan;
  output.appendLine(`torchls: server interpreter from ${interpreter.source}: ${interpreter.argv.join(" ")}`);
  output.appendLine(`torchls: starting ${plan.strategy === "useBundled" ? "the bundled" : "the environment's"} server: ${command.command} ${command.args.join(" ")}`);

  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "python" },
      { scheme: "untitled", language: "python" },
      { notebook: "jupyter-notebook", language: "python" }, // cells: the server analyses a notebook's cells together
    ],
    outputChannel: output,
    traceOutputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationOptions: { torchls: plan.options },
  };
  const started = new LanguageClient(
    "torchls",
    "torchls",
    { command: command.command, args: command.args, options: { cwd: plan.cwd } },
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
    running = plan;
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
  const stopping = client;
  client = undefined;
  running = undefined;
  if (stopping) {
    await stopping.stop().catch(() => undefined);
    status.show({ kind: "stopped" });
  }
}
