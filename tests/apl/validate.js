// Amazon's static APL validator (npm apl-suggester, pinned in package-lock.json), for
// tests/test_screens.py. Reads a JSON list of {name, document, datasources} on stdin (either
// may be left out, to check a document once and many datasources for it) and
// writes one JSON line: a list of {name, returned, side} where
//   returned = what StaticAplTemplateValidator.validate() and validateDataSources() return
//              (every item comes back with level WARNING, whatever its weight), and
//   side     = what the validator reports only through its ErrorController hook (unknown
//              component or layout types, packages it could not fetch: level ERROR).
// The caller decides what counts as a failure; this script only collects.
'use strict';
const { StaticAplTemplateValidator, ErrorController } = require('apl-suggester');

const side = [];
const controller = ErrorController.getInstance();
controller.registerErrors();       // without this the hook has no definitions and says nothing
controller.setErrorInterface({
  sendError: (e) => side.push({ level: e.level, code: e.code, ...(e.placeholders || {}) }),
});

async function check(item) {
  side.length = 0;
  controller.clearExistingWarn();  // it reports each path once per process otherwise
  const validator = new StaticAplTemplateValidator();
  const returned = (item.document ? await validator.validate(item.document) : [])
    .concat(item.datasources ? await validator.validateDataSources(item.datasources) : []);
  return {
    name: item.name,
    returned: returned.map((r) => ({ level: r.level, path: r.path, message: r.errorMessage })),
    side: side.slice(),
  };
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const items = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const out = [];
  for (const item of items) out.push(await check(item));
  process.stdout.write(JSON.stringify(out) + '\n');
}

// The validator prints "No mixin for component" notes on console.warn: keep stdout clean.
console.warn = () => {};
console.log = () => {};
main().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(2); });
