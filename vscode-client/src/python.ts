/**
 * The interpreter selected in the Python extension (ms-python.python) for each workspace folder, through its
 * environment API (`@vscode/python-extension`). The Python extension is optional: without it torchls uses
 * `torchls.interpreter`, else `python3` on PATH, and the server finds each folder's own `.venv`.
 */
import { PythonExtension } from "@vscode/python-extension";
import * as vscode from "vscode";

async function pythonApi(): Promise<PythonExtension | undefined> {
  if (!vscode.extensions.getExtension("ms-python.python")) return undefined;
  try {
    return await PythonExtension.api();
  } catch {
    return undefined; // failed to activate: as if it were not installed
  }
}

/** The Python extension's interpreter for `folder`, or undefined (not installed, nothing resolvable). */
export async function selectedInterpreter(folder?: vscode.WorkspaceFolder): Promise<string[] | undefined> {
  const api = await pythonApi();
  if (!api) return undefined;
  try {
    const environment = await api.environments.resolveEnvironment(api.environments.getActiveEnvironmentPath(folder?.uri));
    const executable = environment?.executable.uri?.fsPath;
    return executable ? [executable] : undefined;
  } catch {
    return undefined;
  }
}

/** Call `listener` when the user selects another interpreter in the Python extension, for any folder. */
export async function onInterpreterChange(listener: () => void): Promise<vscode.Disposable | undefined> {
  const api = await pythonApi();
  return api?.environments.onDidChangeActiveEnvironmentPath(listener);
}
