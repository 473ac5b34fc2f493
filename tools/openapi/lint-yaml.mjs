#!/usr/bin/env node
// Structural YAML checks on docs/openapi.yaml that an OpenAPI linter cannot see once the text
// is parsed: parse errors and warnings, duplicate keys, and keys left without a value inside a
// flow mapping. The last is what an unquoted comma in `{description: a, b}` produces: the
// text after the comma becomes a stray key `b` with a null value, which is valid YAML.
//
// Usage: node lint-yaml.mjs [FILE]   (default: docs/openapi.yaml of this repository)
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, isMap, isPair, isScalar, visit } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const file = resolve(process.argv[2] ?? resolve(here, '../../docs/openapi.yaml'));
const text = readFileSync(file, 'utf8');
const lines = new LineCounter();
const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });

const problems = [];
const where = (offset) => {
  const { line, col } = lines.linePos(offset ?? 0);
  return `${file}:${line}:${col}`;
};
for (const e of doc.errors) problems.push(`${where(e.pos?.[0])}: error: ${e.message.split('\n')[0]}`);
for (const w of doc.warnings) problems.push(`${where(w.pos?.[0])}: warning: ${w.message.split('\n')[0]}`);

visit(doc, {
  Map(_, node) {
    if (!isMap(node) || !node.flow) return;
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const value = pair.value;
      const empty = value == null || (isScalar(value) && value.value === null && value.source === '');
      if (empty) {
        const key = isScalar(pair.key) ? pair.key.value : String(pair.key);
        problems.push(`${where(pair.key?.range?.[0])}: error: key "${key}" has no value in a flow mapping `
                      + '(an unquoted comma or colon in the text before it?)');
      }
    }
  },
});

for (const p of problems) console.log(p);
console.log(`yaml: ${file}: ${problems.length ? `${problems.length} problem(s)` : 'ok'}`);
process.exit(problems.length ? 1 : 0);
