#!/usr/bin/env node
// Validates captured HTTP answers against docs/openapi.yaml.
//
// Usage: node validate.mjs CAPTURE_FILE [--spec FILE]
//
// CAPTURE_FILE holds one JSON object a line:
//   {"method":"GET","target":"/api/v1/support/tickets?status=open","status":200,
//    "headers":{"content-type":"application/json"},"body":"<raw response body>"}
// (header names lowercase). For each answer: the operation is found by method and path
// template (the query string is ignored; empty path segments are skipped and segments are
// %-decoded, as the server does), the status must be listed for the operation (a `default`
// response is refused), the response headers the document marks `required` must be present
// and every declared header that is present must match its schema, the content type must be
// one the document lists, and the body must validate against the response schema (JSON
// bodies; other media types against their schema as a string). Schemas are applied as the
// document states them: `additionalProperties`/`unevaluatedProperties` only where it says so.
// A path that matches no path template must get one of the answers in the document's
// `x-unknown-path-responses` (404, and what is decided before routing); a known path with a
// method it does not have, one of `x-unknown-method-responses` (405).
// Lines whose method is not GET POST PUT DELETE PATCH or whose target does not start with `/`
// (deliberately malformed requests) are skipped and counted.
//
// Prints one line per distinct failure (operation, status, problem, an example target and how
// often it occurred), then `openapi: N answers checked, M failed, K skipped`; exits 1 when
// anything failed, 2 on a usage or document error.
import { accessSync, constants, createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']);
const SPEC_ID = 'urn:crm:openapi';

function usage(msg) {
  if (msg) console.error(`validate: ${msg}`);
  console.error('usage: node validate.mjs CAPTURE_FILE [--spec docs/openapi.yaml]');
  process.exit(2);
}

// -- arguments and document ---------------------------------------------------------------

const here = dirname(fileURLToPath(import.meta.url));
let specPath = resolve(here, '../../docs/openapi.yaml');
let capturePath;
{
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; ++i) {
    if (args[i] === '--spec') specPath = resolve(args[++i] ?? usage('--spec needs a file'));
    else if (args[i] === '-h' || args[i] === '--help') usage();
    else if (!capturePath) capturePath = args[i];
    else usage(`unexpected argument ${args[i]}`);
  }
  if (!capturePath) usage('no capture file');
}

let spec;
try {
  spec = parseYaml(readFileSync(specPath, 'utf8'), { uniqueKeys: true });
} catch (e) {
  console.error(`validate: cannot read ${specPath}: ${e.message}`);
  process.exit(2);
}

/** The value a local JSON pointer (`#/a/b`) names in the document. */
function pointer(ref) {
  if (!ref.startsWith('#/')) throw new Error(`only local $ref are supported: ${ref}`);
  let node = spec;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node == null || !(key in node)) throw new Error(`unresolved $ref ${ref}`);
    node = node[key];
  }
  return node;
}

/** An object with its `$ref` chain followed; `path` is where the final object lives. */
function deref(node, path) {
  let seen = 0;
  while (node && typeof node === 'object' && typeof node.$ref === 'string') {
    if (++seen > 20) throw new Error(`$ref loop at ${path}`);
    path = node.$ref;
    node = pointer(node.$ref);
  }
  return { node, path };
}

const esc = (s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1');

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
ajv.addSchema(spec, SPEC_ID);
const compiled = new Map();
function validatorFor(schemaPointer) {
  let v = compiled.get(schemaPointer);
  if (!v) {
    v = ajv.compile({ $ref: `${SPEC_ID}${schemaPointer}` });
    compiled.set(schemaPointer, v);
  }
  return v;
}

// -- routes -------------------------------------------------------------------------------

const segmentsOf = (path) => path.split('/').filter((s) => s.length > 0);

const routes = [];
const docProblems = [];
for (const [template, item] of Object.entries(spec.paths ?? {})) {
  const segs = segmentsOf(template).map((s) => (/^\{[^}]+\}$/.test(s) ? null : s));
  const ops = {};
  for (const m of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']) {
    if (!item[m]) continue;
    const op = item[m];
    if (op.responses?.default)
      docProblems.push(`${m.toUpperCase()} ${template}: declares a \`default\` response (not allowed)`);
    ops[m.toUpperCase()] = {
      name: op.operationId ?? `${m.toUpperCase()} ${template}`,
      responses: op.responses ?? {},
      base: `#/paths/${esc(template)}/${m}/responses`,
    };
  }
  routes.push({ template, segs, literals: segs.filter((s) => s !== null).length, ops });
}
// Concrete paths before templated ones, as OpenAPI asks.
routes.sort((a, b) => b.literals - a.literals);

function fallback(key, name, status) {
  const responses = spec[key];
  if (responses && typeof responses === 'object')
    return { name, responses, base: `#/${esc(key)}` };
  return {
    name,
    responses: { [status]: { description: name, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } },
    base: null,
  };
}
const unknownPath = fallback('x-unknown-path-responses', '(no such path)', '404');
const unknownMethod = fallback('x-unknown-method-responses', '(no such method)', '405');

/** A path segment %-decoded as the server decodes it before matching (undecodable: as is). */
function decodeSegment(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function findOperation(method, path) {
  const segs = segmentsOf(path).map(decodeSegment);
  for (const r of routes) {
    if (r.segs.length !== segs.length) continue;
    if (!r.segs.every((s, i) => s === null || s === segs[i])) continue;
    return r.ops[method] ?? { ...unknownMethod, name: `${method} ${r.template} ${unknownMethod.name}` };
  }
  return unknownPath;
}

// -- checks -------------------------------------------------------------------------------

function coerceHeader(value, schema) {
  const s = deref(schema, '').node ?? {};
  const types = [].concat(s.type ?? []);
  if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(value.trim()))
    return Number(value.trim());
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

const normalizePath = (p) => (p || '/').replace(/\/\d+(?=\/|$)/g, '/*');

function ajvProblems(errors) {
  return (errors ?? []).map((e) => {
    let detail = e.message ?? e.keyword;
    const p = e.params ?? {};
    if (p.additionalProperty !== undefined) detail += ` (${p.additionalProperty})`;
    if (p.unevaluatedProperty !== undefined) detail += ` (${p.unevaluatedProperty})`;
    if (p.allowedValues !== undefined) detail += ` (${p.allowedValues.join(', ')})`;
    if (p.allowedValue !== undefined) detail += ` (${JSON.stringify(p.allowedValue)})`;
    return `${normalizePath(e.instancePath)} ${detail}`;
  });
}

/** The problems of one exchange against one operation (empty when it conforms). */
function check(op, ex) {
  const status = String(ex.status);
  const range = `${status[0]}XX`;
  const key = op.responses[status] !== undefined ? status : op.responses[range] !== undefined ? range : null;
  if (key === null) {
    const declared = Object.keys(op.responses).join(' ');
    return [`status ${status} is not declared (declared: ${declared})`];
  }
  const problems = [];
  const { node: resp, path: respPath } = deref(op.responses[key], op.base ? `${op.base}/${esc(key)}` : null);
  const headers = Object.fromEntries(Object.entries(ex.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));

  for (const [name, h0] of Object.entries(resp.headers ?? {})) {
    if (name.toLowerCase() === 'content-type') continue;
    const { node: h, path: hPath } = deref(h0, `${respPath}/headers/${esc(name)}`);
    const value = headers[name.toLowerCase()];
    if (value === undefined) {
      if (h.required) problems.push(`required header ${name} is missing`);
      continue;
    }
    if (h.schema && hPath) {
      const v = validatorFor(`${hPath}/schema`);
      if (!v(coerceHeader(value, h.schema)))
        problems.push(`header ${name}: ${JSON.stringify(value)} ${ajvProblems(v.errors).join('; ')}`);
    }
  }

  const body = ex.body ?? '';
  const content = resp.content ?? {};
  const declared = Object.keys(content);
  if (declared.length === 0) {
    if (body.length > 0) problems.push('has a body but the document declares no content');
    return problems;
  }
  const ct = (headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const media = declared.find((m) => m.toLowerCase() === ct)
    ?? declared.find((m) => m.endsWith('/*') && ct.startsWith(m.slice(0, -1).toLowerCase()))
    ?? declared.find((m) => m === '*/*');
  if (!media) {
    problems.push(`content type "${ct || '(none)'}" is not declared (declared: ${declared.join(', ')})`);
    return problems;
  }
  const mediaObj = content[media] ?? {};
  if (!mediaObj.schema || !respPath) return problems;
  const isJson = /^application\/(.+\+)?json$/.test(media.toLowerCase());
  let instance = body;
  if (isJson) {
    try {
      instance = JSON.parse(body);
    } catch (e) {
      problems.push(`body is not JSON: ${e.message.split('\n')[0]}`);
      return problems;
    }
  }
  const v = validatorFor(`${respPath}/content/${esc(media)}/schema`);
  if (!v(instance)) problems.push(...ajvProblems(v.errors).map((p) => `body ${p}`));
  return problems;
}

// -- the capture --------------------------------------------------------------------------

// Read line by line: the capture of the whole suite is over 500 MB, more than one string may
// hold in Node (0x1fffffe8 characters).
try {
  accessSync(capturePath, constants.R_OK);
} catch (e) {
  usage(`cannot read ${capturePath}: ${e.message}`);
}

const failures = new Map(); // key -> {line, count, example}
let checked = 0;
let failed = 0;
let skipped = 0;
function fail(opName, status, problem, example) {
  const key = `${opName} ${status}: ${problem}`;
  const f = failures.get(key);
  if (f) ++f.count;
  else failures.set(key, { count: 1, example });
}

for (const problem of docProblems) fail('(document)', '-', problem, specPath);

const lines = createInterface({ input: createReadStream(capturePath, { encoding: 'utf8' }), crlfDelay: Infinity });
let i = -1;
for await (const line of lines) {
  ++i;
  checkLine(line, i);
}

function checkLine(line, i) {
  if (!line.trim()) return;
  let ex;
  try {
    ex = JSON.parse(line);
  } catch (e) {
    ++checked;
    ++failed;
    fail('(capture)', '-', 'a line is not JSON', `${capturePath}:${i + 1}`);
    return;
  }
  const method = typeof ex.method === 'string' ? ex.method : '';
  const target = typeof ex.target === 'string' ? ex.target : '';
  if (!METHODS.has(method) || !target.startsWith('/')) {
    ++skipped;
    return;
  }
  ++checked;
  const example = `${method} ${target.length > 120 ? `${target.slice(0, 117)}...` : target}`;
  if (!Number.isInteger(ex.status)) {
    ++failed;
    fail(`${method} ?`, '-', 'the capture has no HTTP status (no answer?)', example);
    return;
  }
  const path = target.split('?')[0].split('#')[0];
  const op = findOperation(method, path);
  let problems;
  try {
    problems = check(op, ex);
  } catch (e) {
    problems = [`cannot check: ${e.message}`];
  }
  if (problems.length) {
    ++failed;
    for (const p of problems) fail(op.name, ex.status, p, example);
  }
}

const sorted = [...failures.entries()].sort(([a], [b]) => a.localeCompare(b));
for (const [key, f] of sorted)
  console.log(`FAIL ${key} -- e.g. ${f.example}${f.count > 1 ? ` (${f.count}x)` : ''}`);
const docFailed = docProblems.length > 0;
console.log(`openapi: ${checked} answers checked, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || docFailed ? 1 : 0);
