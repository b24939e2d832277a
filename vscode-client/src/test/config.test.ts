import * as assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import {
  chooseInterpreter,
  expandVariables,
  importStrategy,
  serverCommand,
  serverOptions,
} from "../config";

const context = { workspaceFolder: "/work/project", home: "/home/ada", env: { VENV: "/opt/venv" }, platform: "linux" as const };

test("the torchls.interpreter setting wins, with variables expanded", () => {
  const chosen = chooseInterpreter(["${workspaceFolder}/.venv/bin/python"], ["/usr/bin/python3.12"], context);
  assert.deepEqual(chosen, { argv: ["/work/project/.venv/bin/python"], source: "torchls.interpreter" });
});

test("without the setting, the Python extension's interpreter is used", () => {
  assert.deepEqual(chooseInterpreter([], ["/usr/bin/python3.12"], context), {
    argv: ["/usr/bin/python3.12"],
    source: "Python extension",
  });
});

test("without either, python3 from PATH (python on Windows)", () => {
  assert.deepEqual(chooseInterpreter(undefined, undefined, context), { argv: ["python3"], source: "PATH" });
  assert.deepEqual(chooseInterpreter([], [], { ...context, platform: "win32" }), { argv: ["python"], source: "PATH" });
});

test("a malformed interpreter setting is ignored, not used", () => {
  assert.equal(chooseInterpreter("/usr/bin/python3", undefined, context).source, "PATH");
  assert.equal(chooseInterpreter([3], undefined, context).source, "PATH");
});

test("variables: workspaceFolder, userHome, env, ~; unknown ones are left alone", () => {
  assert.equal(expandVariables("${env:VENV}/bin/python", context), "/opt/venv/bin/python");
  assert.equal(expandVariables("${env:MISSING}x", context), "x");
  assert.equal(expandVariables("~/venv/bin/python", context), "/home/ada/venv/bin/python");
  assert.equal(expandVariables("${userHome}/py", context), "/home/ada/py");
  assert.equal(expandVariables("${workspaceFolder}/py", { ...context, workspaceFolder: undefined }), "${workspaceFolder}/py");
  assert.equal(expandVariables("${config:python.path}", context), "${config:python.path}");
});

test("bundled server: the extension's launcher in the chosen interpreter", () => {
  const interpreter = { argv: ["/usr/bin/env", "python3"], source: "torchls.interpreter" as const };
  assert.deepEqual(serverCommand(interpreter, "useBundled", "/ext"), {
    command: "/usr/bin/env",
    args: ["python3", path.join("/ext", "bundled", "tool", "serve.py")],
  });
  assert.deepEqual(serverCommand(interpreter, "fromEnvironment", "/ext"), {
    command: "/usr/bin/env",
    args: ["python3", "-m", "torchls", "serve"],
  });
});

test("import strategy defaults to the bundled server", () => {
  assert.equal(importStrategy(undefined), "useBundled");
  assert.equal(importStrategy("bogus"), "useBundled");
  assert.equal(importStrategy("fromEnvironment"), "fromEnvironment");
});

test("server options: the analysed interpreter and only the rule settings that are set", () => {
  const chosen = { argv: ["/venv/bin/python"], source: "Python extension" as const };
  assert.deepEqual(serverOptions({ select: [], ignore: [], severity: {}, debounceMs: 150 }, chosen), {
    python: "/venv/bin/python",
    debounceMs: 150,
  });
  assert.deepEqual(
    serverOptions({ select: ["TL001"], ignore: ["TL002"], severity: { TL001: "error" }, debounceMs: 0 }, chosen),
    { python: "/venv/bin/python", select: ["TL001"], ignore: ["TL002"], severity: { TL001: "error" }, debounceMs: 0 },
  );
});

test("python3 from PATH is not sent: the server analyses the interpreter it runs in", () => {
  assert.deepEqual(serverOptions({}, { argv: ["python3"], source: "PATH" }), {});
});

test("one folder: the Python extension's interpreter is analysed", () => {
  const chosen = chooseInterpreter([], ["/work/a/.venv/bin/python"], context);
  assert.deepEqual(serverOptions({}, chosen, 1), { python: "/work/a/.venv/bin/python" });
});

test("several folders: the first folder's interpreter is not sent, so each folder's own environment is analysed", () => {
  const chosen = chooseInterpreter([], ["/work/a/.venv/bin/python"], context);
  assert.deepEqual(serverOptions({ debounceMs: 100 }, chosen, 2), { debounceMs: 100 });
});

test("several folders: an explicit torchls.interpreter is still sent for all", () => {
  const chosen = chooseInterpreter(["/opt/py/bin/python"], ["/work/a/.venv/bin/python"], context);
  assert.deepEqual(serverOptions({}, chosen, 3), { python: "/opt/py/bin/python" });
});
