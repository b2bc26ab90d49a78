#!/usr/bin/env node
"use strict";
// Golden phrases through virtual-alexa against the running skill.
//
//   node tests/va/golden.js --url http://127.0.0.1:PORT/alexa
//        [--golden tests/golden/en-US.yaml] [--model <en-US.json>] [--locale en-US]
//        [--jobs N] [--details]
//
// For each phrase: a fresh virtual device and user; the context is set up through real
// requests (menu: launch; screening: a routine chosen; routine: "no" to the screening
// question, the first stretch played; paused: then "pause"; pain: then "it hurts"); then the
// phrase is said. A phrase the model cannot match is sent as AMAZON.FallbackIntent, as a
// device would. Requests carry the model's locale (its file name, or --locale).
// virtual-alexa's request filter captures the IntentRequest, so we check what
// the phrase was understood as (tests/golden.py: the intent and slot ids, the FAQ answer
// spoken, the routine screened for), and that the skill's answer makes sense there. A phrase
// heard as another intent still counts as understood when the skill answers it exactly as it
// answers the expected one in that context (checked on a second device set up the same way):
// "yes i fell last week" is SymptomIntent, and at the safety question the skill asks what it
// asks after a "yes"; "i'm ready" after a stretch goes on like "next". Fallback never counts
// as another intent. Free words (a free-words intent) count as understood when the skill
// answers them as the entry says, fallback included ("what's the capital of france").
// Prints a JSON summary on stdout; exit 0 if all pass, 1 if any phrase fails, 2 on a
// usage problem.

const fs = require("fs");
const path = require("path");
const lib = require("./lib");

const opts = lib.args(process.argv.slice(2));
const url = opts.url || process.env.SKILL_URL;
if (!url) {
  process.stderr.write("usage: golden.js --url http://127.0.0.1:PORT/alexa [--golden FILE] [--model FILE]\n");
  process.exit(2);
}
const goldenFile = opts.golden || path.join(lib.ROOT, "tests", "golden", "en-US.yaml");
const modelFile = opts.model || lib.DEFAULT_MODEL;
const jobs = Math.max(1, parseInt(opts.jobs || "4", 10));

const C = lib.constants();
const model = JSON.parse(fs.readFileSync(modelFile, "utf8"));
const lm = model.interactionModel.languageModel;
const intentSlots = {};
for (const intent of lm.intents) intentSlots[intent.name] = (intent.slots || []).map((s) => s.name);
const routineType = lm.types.find((t) => t.name === C.TYPE_ROUTINE);
const SETUP_ROUTINE = routineType.values[0].name.value;   // the first routine in the content

const STRETCH = /\bstretch \S+ of \S+[:.]/i;
const GENERIC_ERROR = /something went wrong/i;
// A free-words intent: one of constants.FREE_INTENTS, or one that keeps its first word.
const isFree = (name) => !!name && (C.FREE_INTENTS.includes(name) || name.startsWith(C.FREE_KEPT_PREFIX));
// A reminder whose time slot holds a sentence, not a time ("at what point should i see a
// doctor": virtual-alexa lets AMAZON.TIME take any words): the skill reads it as free words
// (handlers.LoadTurn._reread_time), so it is judged, as they are, by what was answered.
const reread = (req) => req.intent === C.SET_REMINDER &&
  ((((req.slots || {})[C.SLOT_TIME] || {}).value) || "").trim().split(/\s+/).length >= 3;
const readLikeFree = (req) => isFree(req.intent) || reread(req);
const CLOSES = new Set([C.STOP, C.CANCEL, C.NAVIGATE_HOME]);
// Slots that say what was asked for; the others (where it hurts, how) may be filled or not.
const CHECKED_SLOTS = new Set([C.SLOT_ROUTINE, C.SLOT_AREA, C.SLOT_POSITION, C.SLOT_TOPIC, C.SLOT_PREFERENCE]);

function expectedOpen(entry, intent) {
  if (typeof entry.open === "boolean") return entry.open;
  if (CLOSES.has(intent)) return false;
  // "no" ends the session except where it answers a question: the safety question (cleared)
  // and the pain question (a mild one: the skill offers a gentler try)
  if (intent === C.NO && entry.context !== "screening" && entry.context !== "pain") return false;
  // at the pain question a "yes" (sharp, spreading, numb) stops for today and ends
  if (intent === C.YES && entry.context === "pain") return false;
  return true;
}

const squash = (t) => (t || "").replace(/\s+/g, " ").trim().toLowerCase();

async function setup(alexa, context) {
  const steps = [];
  let resp = await alexa.launch();
  let r = lib.responseSummary(resp);
  steps.push(r);
  if (!r.open) throw new Error("launch closed the session");
  if (context === "menu") return steps;
  resp = await alexa.intend(C.START_ROUTINE, { [C.SLOT_ROUTINE]: SETUP_ROUTINE });
  r = lib.responseSummary(resp);
  steps.push(r);
  if (!r.open || STRETCH.test(r.ssml || "")) throw new Error("choosing a routine did not open the screening: " + lib.plain(r.ssml));
  if (context === "screening") return steps;
  resp = await alexa.intend(C.NO);
  r = lib.responseSummary(resp);
  steps.push(r);
  if (!r.open || !STRETCH.test(r.ssml || "")) throw new Error("answering no did not start the routine: " + lib.plain(r.ssml));
  if (context === "routine") return steps;
  const next = { paused: C.PAUSE, pain: C.PAIN }[context];
  if (!next) throw new Error("unknown context " + context);
  resp = await alexa.intend(next);
  r = lib.responseSummary(resp);
  steps.push(r);
  if (!r.open || STRETCH.test(r.ssml || "")) throw new Error(`${context} did not hold the routine: ` + lib.plain(r.ssml));
  return steps;
}

function checkSlots(entry, req) {
  const problems = [];
  const want = entry.slots || {};
  for (const name of Object.keys(want)) {
    if (!(intentSlots[entry.intent] || []).includes(name)) problems.push(`golden names slot ${name}, which ${entry.intent} does not have`);
  }
  for (const name of intentSlots[req.intent] || []) {
    if (!CHECKED_SLOTS.has(name) && want[name] === undefined) continue;
    const got = req.slots[name];
    if (want[name] === undefined) {
      if (got) problems.push(`slot ${name} should be empty, got ${JSON.stringify(got.value)} (${got.id})`);
    } else if (!got) {
      problems.push(`slot ${name} empty, expected ${want[name]}`);
    } else if (got.id !== want[name]) {
      problems.push(`slot ${name}=${JSON.stringify(got.value)} resolved to ${got.id} (${got.status}), expected ${want[name]}`);
    }
  }
  return problems;
}

// Was the phrase understood as the entry says? (Empty list: yes.)
// Free words (a free-words intent, read by the skill) are understood when the skill answers
// as the entry says: the FAQ answer spoken, the routine screened for, or (intents) the same
// answer as to the intent itself (answeredAsExpected).
function checkUnderstood(entry, req, r) {
  const text = squash(lib.plain(r.ssml));
  const free = readLikeFree(req);
  if (entry.faq) {
    const topic = req.slots[C.SLOT_TOPIC];
    const asked = free || req.intent === entry.intent || (req.intent === C.QUESTION && topic && topic.id === entry.faq);
    if (!asked) return [`understood as ${req.intent}, not the question about ${entry.faq}`];
    return text.includes(squash(entry.answer)) ? [] : ["the answer about " + entry.faq + " was not spoken"];
  }
  if (entry.routine) {
    if (req.intent !== C.START_ROUTINE && !free) return [`understood as ${req.intent}, not choosing a routine`];
    return text.includes(squash(entry.routine_name)) ? [] : [`the ${entry.routine_name} was not the one taken`];
  }
  if (req.intent !== entry.intent) return [`understood as ${req.intent}`];
  return checkSlots(entry, req);
}

// `heard`: the intent the skill answered as (the request's, or the expected one when the
// skill answered exactly as it answers that one here).
function checkResponse(entry, req, r, heard) {
  const problems = [];
  const text = lib.plain(r.ssml);
  if (r.speechType !== "SSML" || !/^<speak>[\s\S]*<\/speak>$/.test(r.ssml || "")) problems.push("no SSML outputSpeech");
  if (GENERIC_ERROR.test(text) || GENERIC_ERROR.test(lib.plain(r.reprompt))) problems.push("generic error answer");
  const open = expectedOpen(entry, heard);
  if (r.open !== open) problems.push(open ? "session closed, expected it to stay open" : "session left open, expected it to end");
  if (r.open && !r.reprompt) problems.push("open session without a reprompt");
  const intent = heard;
  if (entry.context === "screening") {
    if (intent !== C.NO && STRETCH.test(r.ssml || "")) problems.push("a stretch was played without a 'no' to the screening");
    if (intent === C.NO && !STRETCH.test(r.ssml || "")) problems.push("'no' to the screening did not start the routine");
  }
  if (intent === C.PAIN) {
    if (/keep going/i.test(text)) problems.push("pain answered with keep going");
    if (STRETCH.test(r.ssml || "")) problems.push("pain answered with a stretch");
    if (entry.context === "routine" && !/\byes or no\b/i.test(text)) problems.push("pain in a routine should ask which kind of pain it is");
  }
  const faqAsked = (intent || "").startsWith(C.FAQ_INTENT_PREFIX) || (intent === C.QUESTION && req.slots[C.SLOT_TOPIC] && req.slots[C.SLOT_TOPIC].id);
  if (faqAsked && entry.context === "routine") {
    if (!/say next to continue/i.test(text)) problems.push("question in a routine should end with 'say next to continue'");
  }
  return problems;
}

// Does the skill answer, in the entry's context, exactly as it answers the expected intent?
// (Entries that name slots are compared by intent and slots only.)
// Free words are compared with the intent said with the entry's slots (each value by name).
async function answeredAsExpected(entry, req, r) {
  const free = readLikeFree(req);
  if (!entry.intent || entry.faq || entry.routine || (entry.slots && !free)) return false;
  if (req.intent === entry.intent || req.intent === C.FALLBACK) return false;
  if (entry.intent === C.FALLBACK && !free) return false;   // free words read as nothing: fallback's answer
  const slots = {};
  for (const [name, id] of Object.entries(entry.slots || {})) {
    const slot = (lm.intents.find((i) => i.name === entry.intent).slots || []).find((s) => s.name === name);
    const type = slot && lm.types.find((t) => t.name === slot.type);
    const value = type && type.values.find((v) => v.id === id);
    if (!value) return false;
    slots[name] = value.name.value;
  }
  const { alexa } = lib.build(url, modelFile);
  await setup(alexa, entry.context);
  const ref = lib.responseSummary(await alexa.intend(entry.intent, slots));
  return squash(lib.plain(ref.ssml)) === squash(lib.plain(r.ssml)) &&
    squash(lib.plain(ref.reprompt)) === squash(lib.plain(r.reprompt)) && ref.open === r.open;
}

async function runOne(entry) {
  const result = { say: entry.say, context: entry.context, intent: entry.intent, slots: entry.slots || {} };
  const { alexa, box } = lib.build(url, modelFile, opts.locale);
  try {
    await setup(alexa, entry.context);
  } catch (e) {
    result.setup_error = String(e && e.message || e);
    result.ok = false;
    return result;
  }
  box.request = null;
  let resp;
  try {
    resp = await lib.say(alexa, entry.say);
  } catch (e) {
    if (!/Unable to match utterance/.test(String(e && e.message || e))) {
      result.match_error = String(e && e.message || e);
      result.ok = false;
      return result;
    }
    result.unmatched = true;               // a device sends what it cannot match as fallback
    box.request = null;
    resp = await alexa.intend(C.FALLBACK);
  }
  const req = lib.requestSummary(box.request);
  const r = lib.responseSummary(resp);
  result.request = req;
  result.got_intent = req.intent;
  result.understood_problems = checkUnderstood(entry, req, r);
  if (result.understood_problems.length && await answeredAsExpected(entry, req, r)) {
    result.answered_as = entry.intent;     // another intent, the same answer here
    result.understood_problems = [];
  }
  result.understood = result.understood_problems.length === 0;
  result.intent_ok = req.intent === entry.intent;
  result.response_problems = checkResponse(entry, req, r, result.answered_as || req.intent);
  result.response_ok = result.response_problems.length === 0;
  result.answer = lib.plain(r.ssml).slice(0, 400);
  result.ok = result.understood && result.response_ok;
  return result;
}

async function main() {
  const data = lib.loadData(goldenFile);
  const phrases = data.phrases || data;
  const results = new Array(phrases.length);
  let next = 0;
  async function worker() {
    while (next < phrases.length) {
      const i = next++;
      results[i] = await runOne(phrases[i]);
    }
  }
  await Promise.all(Array.from({ length: Math.min(jobs, phrases.length) }, worker));
  const count = (f) => results.filter(f).length;
  const summary = {
    total: results.length,
    matched: count((r) => !r.unmatched && !r.match_error && !r.setup_error),
    understood: count((r) => r.understood),
    response_ok: count((r) => r.response_ok),
    passed: count((r) => r.ok),
    by_context: {},
    failures: results.filter((r) => !r.ok),
    unsafe: results.filter((r) => (r.response_problems || []).some((p) => /stretch was played|keep going|answered with a stretch/.test(p))),
  };
  for (const r of results) {
    const c = (summary.by_context[r.context] = summary.by_context[r.context] || { total: 0, understood: 0, passed: 0 });
    c.total++;
    if (r.understood) c.understood++;
    if (r.ok) c.passed++;
  }
  summary.understood_rate = summary.total ? summary.understood / summary.total : 0;
  if (opts.details) summary.results = results;
  // exitCode, not exit(): exit() drops what a pipe has not taken yet (64 KiB of a summary
  // with many failures)
  process.exitCode = summary.passed === summary.total ? 0 : 1;
  process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + "\n");
  process.exit(2);
});
