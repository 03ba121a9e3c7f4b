// Ajv 8 (Ajv2020 + ajv-formats) on schemas/: each file compiled alone, then all of them in
// one instance; every sample judged by its event's schema and by vcs-event.schema.json; then
// every payload of a corpus judged by vcs-event.schema.json, one verdict a line.
// Usage: node ajv.cjs SCHEMAS_DIR SAMPLES_DIR CORPUS.ndjson VERDICTS_OUT
// Options are Ajv's defaults with strict mode on in full: a strict-mode warning fails too.
"use strict";
const fs = require("fs");
const path = require("path");
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats").default;

const [dir, samples, corpus, out] = process.argv.slice(2);
const files = [];
(function walk(d) {
  for (const name of fs.readdirSync(d).sort()) {
    const p = path.join(d, name);
    if (fs.statSync(p).isDirectory()) walk(p);
    else if (name.endsWith(".schema.json")) files.push(p);
  }
})(dir);

function instance(warnings) {
  const logger = { log() {}, warn: (m) => warnings.push(String(m)), error: (m) => warnings.push(String(m)) };
  const ajv = new Ajv2020({ strict: true, logger });
  addFormats(ajv);
  return ajv;
}

let failures = 0;
for (const file of files) {
  const warnings = [];
  try {
    instance(warnings).compile(JSON.parse(fs.readFileSync(file, "utf8")));
  } catch (e) {
    warnings.push(e.message);
  }
  for (const w of warnings) console.error(`ajv alone: ${file}: ${w}`);
  if (warnings.length) failures++;
}
console.log(`alone: ${files.length - failures}/${files.length}`);

const warnings = [];
const ajv = instance(warnings);
let together = true;
try {
  for (const file of files) ajv.addSchema(JSON.parse(fs.readFileSync(file, "utf8")));
  for (const file of files) ajv.getSchema(JSON.parse(fs.readFileSync(file, "utf8")).$id);
} catch (e) {
  warnings.push(e.message);
}
for (const w of warnings) console.error(`ajv together: ${w}`);
if (warnings.length) together = false;
console.log(`together: ${together ? "ok" : "failed"}`);

let meta = 0;
for (const file of files) {
  if (ajv.validateSchema(JSON.parse(fs.readFileSync(file, "utf8")))) meta++;
  else console.error(`ajv metaschema: ${file}: ${ajv.errorsText(ajv.errors)}`);
}
console.log(`metaschema: ${meta}/${files.length}`);

const base = "https://jerahook.dev/schemas/";
const all = ajv.getSchema(base + "vcs-event.schema.json");
const names = fs.readdirSync(samples).filter((n) => n.endsWith(".json")).sort();
let good = 0;
for (const name of names) {
  const payload = JSON.parse(fs.readFileSync(path.join(samples, name), "utf8"));
  const own = ajv.getSchema(base + name.replace(/\.json$/, ".schema.json"));
  if (own(payload) && all(payload)) good++;
  else console.error(`ajv: ${name} judged invalid: ${JSON.stringify(own.errors || all.errors)}`);
}
console.log(`samples: ${good}/${names.length}`);

const lines = fs.readFileSync(corpus, "utf8").split("\n").filter((l) => l.trim());
fs.writeFileSync(out, lines.map((l) => (all(JSON.parse(l)) ? "valid" : "invalid")).join("\n") + "\n");
process.exit(failures || !together || meta !== files.length || good !== names.length ? 1 : 0);
