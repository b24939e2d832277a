#!/usr/bin/env node
// Bundle the Python server into the extension: torchls and its pure-Python dependencies into bundled/libs,
// plus the license. Python: $PYTHON, else python3. The bundle must run on every Python torchls supports
// (3.10+), but pip evaluates dependency markers for the Python running it, so the 3.10-only backports are
// named here (unused on newer Pythons).
"use strict";
const { execFileSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const extension = path.resolve(__dirname, "..");
const repository = path.resolve(extension, "..");
const libs = path.join(extension, "bundled", "libs");
const BACKPORTS_FOR_PYTHON_3_10 = ["tomli>=2", "exceptiongroup>=1.1.1"]; // torchls's and cattrs's
const python = process.env.PYTHON || (process.platform === "win32" ? "python" : "python3");

function run(...args) {
  console.log(`$ ${python} ${args.join(" ")}`);
  execFileSync(python, args, { stdio: "inherit" });
}

const wheels = fs.mkdtempSync(path.join(os.tmpdir(), "torchls-wheel-"));
try {
  run("-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", wheels, repository);
  const wheel = fs.readdirSync(wheels).find((name) => name.endsWith(".whl"));
  fs.rmSync(libs, { recursive: true, force: true });
  run(
    "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
    "--target", libs, "--python-version", "3.10", "--only-binary", ":all:", "--implementation", "py",
    path.join(wheels, wheel), ...BACKPORTS_FOR_PYTHON_3_10,
  );
} finally {
  fs.rmSync(wheels, { recursive: true, force: true });
}
// Metadata and scripts are not needed at run time.
for (const entry of fs.readdirSync(libs)) {
  if (entry === "bin") fs.rmSync(path.join(libs, entry), { recursive: true, force: true });
}
fs.copyFileSync(path.join(repository, "LICENSE"), path.join(extension, "LICENSE"));
console.log(`bundled: ${fs.readdirSync(libs).filter((e) => !e.endsWith(".dist-info")).join(", ")}`);
