// parse.mjs -- parses Julia files with Pluto's lezer grammar
// (@plutojl/lezer-julia) and prints TAP: one test per file, "not ok" when
// the parse tree holds any error node (lezer recovers from syntax errors by
// inserting error nodes, so an error node is exactly a syntax error).
//   usage: node parse.mjs FILE.jl...
//   --expect-error FILE.jl   the file must NOT parse (a fixture proving that
//                            the check can fail)
// SPDX-License-Identifier: GPL-3.0-or-later
import { readFileSync } from "node:fs";
import { parser } from "@plutojl/lezer-julia";

function errorNodes(text) {
  const tree = parser.parse(text);
  const found = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) found.push(node.from);
    },
  });
  return { tree, found };
}

function lineCol(text, pos) {
  const before = text.slice(0, pos).split("\n");
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

const jobs = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--expect-error") jobs.push({ file: argv[++i], expectError: true });
  else jobs.push({ file: argv[i], expectError: false });
}
if (jobs.length === 0) {
  console.log("1..0 # SKIP no Julia files given");
  process.exit(0);
}
console.log(`1..${jobs.length}`);
let failed = 0;
jobs.forEach(({ file, expectError }, k) => {
  const text = readFileSync(file, "utf8");
  const { tree, found } = errorNodes(text);
  // An empty or truncated tree would pass vacuously: require that the
  // parser consumed the whole file.
  const complete = tree.length === text.length;
  if (expectError) {
    if (found.length > 0) {
      console.log(`ok ${k + 1} - ${file} is rejected (error at ${lineCol(text, found[0])})`);
    } else {
      failed++;
      console.log(`not ok ${k + 1} - ${file} should not parse, but no error node was found`);
    }
    return;
  }
  if (found.length === 0 && complete) {
    console.log(`ok ${k + 1} - ${file} parses`);
  } else {
    failed++;
    console.log(`not ok ${k + 1} - ${file} has ${found.length} syntax error(s)`);
    for (const pos of found.slice(0, 10)) {
      const line = text.split("\n")[Number(lineCol(text, pos).split(":")[0]) - 1];
      console.log(`# ${file}:${lineCol(text, pos)}: ${line.trim()}`);
    }
    if (!complete) console.log(`# parse tree covers ${tree.length} of ${text.length} characters`);
  }
});
process.exit(failed ? 1 : 0);
