// Loads the samples with the TypeScript quicktype made from three event schemas (compiled to
// JavaScript with tsc), and checks that `data: []` throws where the schema says object.
// Usage: node quicktype.cjs COMPILED_DIR SAMPLES_DIR EVENT_ID...
"use strict";
const fs = require("fs");
const path = require("path");

const [dir, samples, ...events] = process.argv.slice(2);
let failed = 0;
for (const event of events) {
  const { Convert } = require(path.resolve(dir, event.replace(/\./g, "_") + ".js"));
  const text = fs.readFileSync(path.join(samples, event + ".json"), "utf8");
  try {
    Convert.toPayload(text);
  } catch (e) {
    failed++;
    console.error(`quicktype: ${event}: the sample does not load: ${e.message}`);
  }
  const wrong = JSON.parse(text);
  wrong.data = [];
  try {
    Convert.toPayload(JSON.stringify(wrong));
    failed++;
    console.error(`quicktype: ${event}: data [] loads`);
  } catch (e) {
    // expected
  }
}
console.log(`codegen: ${events.length - failed}/${events.length}`);
process.exit(failed ? 1 : 0);
