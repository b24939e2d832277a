#!/usr/bin/env node
// Bundle the Python server into the extension: torchls and its pure-Python dependencies into bundled/libs,
// at the versions and hashes pinned in requirements.txt (pip's --require-hashes: a dependency of torchls
// that is not pinned there, or pinned at a version pyproject.toml no longer allows, fails the build), their
// licenses into bundled/licenses, and nothing that never runs. Python: $PYTHON, else python3.
//
// requirements.txt is resolved for Python 3.10, the oldest torchls supports, so it has the 3.10-only
// backports (tomli, exceptiongroup) without markers: the bundle runs on every Python 3.10+. Regenerate it
// after changing pyproject.toml's dependencies (the command is in its header).
"use strict";
const { execFileSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { pathToFileURL } = require("url");

const extension = path.resolve(__dirname, "..");
const repository = path.resolve(extension, "..");
const bundled = path.join(extension, "bundled");
const libs = path.join(bundled, "libs");
const licenses = path.join(bundled, "licenses");
const pinned = path.join(extension, "requirements.txt");
const python = process.env.PYTHON || (process.platform === "win32" ? "python" : "python3");

// What jedi 0.20 never reads for torchls (checked in jedi/inference/gradual/typeshed.py), 94% of the files
// the bundle would otherwise ship; tests/editors/test_vscode_bundle.py runs the golden fixtures on the
// trimmed bundle to prove that nothing is lost.
const UNUSED_JEDI_DATA = [
  // typeshed's third-party stubs: jedi maps a module name to `stubs/<name>/__init__.pyi` or
  // `stubs/<name>.pyi`, but typeshed lays them out by distribution (`stubs/<dist>/<module>/...`), so its
  // map of them is empty and no file there is ever opened (only the directory is listed; a missing one
  // is an empty map). They would only apply to packages installed in the analysed environment anyway.
  path.join("jedi", "third_party", "typeshed", "stubs"),
  // Django's stubs: opened only when the analysed code imports django and django is installed.
  path.join("jedi", "third_party", "django-stubs"),
];

function run(...args) {
  console.log(`$ ${python} ${args.join(" ")}`);
  execFileSync(python, args, { stdio: "inherit" });
}

function sha256(file) {
  return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

function countFiles(directory) {
  let count = 0;
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    count += entry.isDirectory() ? countFiles(path.join(directory, entry.name)) : 1;
  }
  return count;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "torchls-bundle-"));
try {
  run("-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", work, repository);
  const wheel = path.join(work, fs.readdirSync(work).find((name) => name.endsWith(".whl")));
  // The wheel just built is hashed here so that one --require-hashes install checks torchls's own
  // dependencies against the pinned ones.
  const requirements = path.join(work, "requirements.txt");
  fs.writeFileSync(
    requirements,
    `${fs.readFileSync(pinned, "utf8")}\ntorchls @ ${pathToFileURL(wheel).href} --hash=sha256:${sha256(wheel)}\n`,
  );
  fs.rmSync(libs, { recursive: true, force: true });
  fs.rmSync(licenses, { recursive: true, force: true });
  run(
    "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile", "--require-hashes",
    "--target", libs, "--python-version", "3.10", "--only-binary", ":all:", "--implementation", "py",
    "-r", requirements,
  );
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

// Licenses in one place (bundled/licenses/<distribution>/), then no metadata: nothing reads it at run time.
for (const entry of fs.readdirSync(libs)) {
  const entryPath = path.join(libs, entry);
  if (entry.endsWith(".dist-info")) {
    const distribution = entry.slice(0, -".dist-info".length);
    const found = fs.readdirSync(entryPath).filter((name) => /^(licen[cs]e|copying|notice|authors)/i.test(name) || name === "licenses");
    for (const name of found) {
      fs.cpSync(path.join(entryPath, name), path.join(licenses, distribution, name), { recursive: true });
    }
    if (found.length === 0 && !distribution.startsWith("torchls-")) {
      throw new Error(`bundle.js: no license file in ${entry}`);
    }
    fs.rmSync(entryPath, { recursive: true, force: true });
  } else if (entry === "bin") {
    fs.rmSync(entryPath, { recursive: true, force: true });
  }
}
for (const unused of UNUSED_JEDI_DATA) {
  const unusedPath = path.join(libs, unused);
  if (!fs.existsSync(unusedPath)) throw new Error(`bundle.js: ${unused} is not in jedi any more: check what jedi reads`);
  fs.rmSync(unusedPath, { recursive: true, force: true });
}
fs.copyFileSync(path.join(repository, "LICENSE"), path.join(extension, "LICENSE"));
console.log(`bundled: ${fs.readdirSync(libs).join(", ")} (${countFiles(libs)} files; licenses: ${fs.readdirSync(licenses).join(", ")})`);
