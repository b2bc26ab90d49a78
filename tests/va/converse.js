#!/usr/bin/env node
"use strict";
// One conversation through virtual-alexa against the running skill.
//
//   node tests/va/converse.js --url http://127.0.0.1:PORT/alexa --script steps.json
//
// steps.json: a list of steps, all on one virtual device and user:
//   {"launch": true}                       a LaunchRequest ("open back stretch coach")
//   {"say": "no"}                          an utterance, matched with the model
//   {"say": "ask back stretch coach to ...", "raw": true}   virtual-alexa's own utter(),
//                                          which turns "ask <skill> to X" into X
//   {"say": "next", "until_closed": 40}    repeat the utterance until the session ends
//                                          (at most N times)
//   ... "until_said": "You finished"       ... or until the answer contains these words
//   {"intend": "AMAZON.NoIntent", "slots": {...}}   an intent by name
//   {"end": "EXCEEDED_MAX_REPROMPTS"}      a SessionEndedRequest
// Prints a JSON list of turns: {step, request: {type, intent, slots}, response: {ssml,
// reprompt, open}, text (SSML as plain text), error}. Exit 0 unless the script is unusable.

const lib = require("./lib");

const opts = lib.args(process.argv.slice(2));
if (!opts.url || !opts.script) {
  process.stderr.write("usage: converse.js --url URL --script steps.json [--model FILE]\n");
  process.exit(2);
}

async function turn(alexa, box, step, index) {
  box.request = null;
  const out = { step: index };
  try {
    let resp;
    if (step.launch) resp = await alexa.launch();
    else if (step.say !== undefined && step.raw) resp = await alexa.utter(step.say);
    else if (step.say !== undefined) resp = await lib.say(alexa, step.say);
    else if (step.intend) resp = await alexa.intend(step.intend, step.slots || {});
    else if (step.end) resp = await alexa.endSession(lib.SessionEndedReason[step.end]);
    else throw new Error("unknown step " + JSON.stringify(step));
    out.response = lib.responseSummary(resp);
    out.text = lib.plain(out.response.ssml);
    out.reprompt_text = lib.plain(out.response.reprompt);
    out.session_attributes = resp && resp.sessionAttributes || null;
  } catch (e) {
    out.error = String(e && e.message || e);
  }
  out.request = lib.requestSummary(box.request);
  return out;
}

async function main() {
  const steps = lib.loadData(opts.script);
  const { alexa, box } = lib.build(opts.url, opts.model);
  const turns = [];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    if (step.until_closed) {
      for (let n = 0; n < step.until_closed; n++) {
        const t = await turn(alexa, box, step, i);
        turns.push(t);
        if (t.error || !t.response || !t.response.open) break;
        if (step.until_said && (t.text || "").includes(step.until_said)) break;
      }
    } else {
      turns.push(await turn(alexa, box, step, i));
    }
  }
  process.stdout.write(JSON.stringify(turns, null, 2) + "\n");
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + "\n");
  process.exit(2);
});
