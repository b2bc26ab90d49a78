"use strict";
// Shared helpers for the virtual-alexa scripts (golden.js, converse.js).
//
// virtual-alexa (bespoken) matches an utterance against the interaction model's samples
// (slots as wildcards whose words must equal a slot value or synonym), builds the
// IntentRequest with entity resolution in slot.resolutions.resolutionsPerAuthority
// (ER_SUCCESS_MATCH with {id, name} for every matching value, or ER_SUCCESS_NO_MATCH; see
// node_modules/virtual-alexa/lib/src/impl/SlotValue.js) and POSTs it to the skill URL.

const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

function requireVA() {
  try {
    return require("virtual-alexa");
  } catch (e) {
    process.stderr.write(
      "virtual-alexa is not installed: run `npm ci` in the repository root " +
      "(the Makefile does it for `make test`).\n");
    process.exit(3);
  }
}

const VA = requireVA();
// virtual-core is virtual-alexa's own matcher (a dependency it installs).
const { Utterance } = require(require.resolve("virtual-core", {
  paths: [path.dirname(require.resolve("virtual-alexa"))],
}));

// The SessionEndedReason enum (not exported by virtual-alexa's index).
const { SessionEndedReason } = require(path.join(
  path.dirname(require.resolve("virtual-alexa")), "core", "SkillRequest"));

const ROOT = path.resolve(__dirname, "..", "..");
const DEFAULT_MODEL = path.join(ROOT, "interaction_model", "interactionModels", "custom", "en-US.json");

// The locale a model file is for (interactionModels/custom/<locale>.json), else en-US.
function localeOf(modelFile) {
  const m = /([a-z]{2}-[A-Z]{2})\.json$/.exec(modelFile || "");
  return m ? m[1] : "en-US";
}

function build(url, modelFile, locale) {
  const alexa = VA.VirtualAlexa.Builder()
    .interactionModelFile(modelFile || DEFAULT_MODEL)
    .skillURL(url)
    .locale(locale || localeOf(modelFile))
    .create();
  const box = { request: null };
  alexa.filter((req) => { box.request = JSON.parse(JSON.stringify(req)); });
  return { alexa, box };
}

// What virtual-alexa 0.7.8 does with a phrase that a device would not (read in
// node_modules/virtual-alexa/lib/src/core/VirtualAlexa.js, utter() and parseLaunchRequest()):
// - any phrase containing "ask", "open", "launch", "tell" or "talk to" anywhere, even inside
//   a word ("why are you asking", "tell me about foam rollers", "a task"), becomes a
//   LaunchRequest: the regex /(ask|open|launch|talk to|tell).*/i is not anchored;
// - if such a phrase starts with one of those words and has " to " later, only the words
//   after the last " to " are matched ("tell me how to stretch" -> "stretch");
// - "exit" becomes a SessionEndedRequest.
// A device in a session hears "tell me about foam rollers" as words for the skill, and only
// "ask|tell|open|launch|talk to <invocation name> ..." as a way in. So say() matches every
// in-session phrase with virtual-core's own matcher (the Utterance class utter() uses) and
// sends the same request utter() would have sent; only a phrase that names the skill is a
// launch (with its request, if any, matched the same way). Phrases the model cannot match
// throw "Unable to match utterance", which golden.js turns into AMAZON.FallbackIntent, as a
// device would.
const INVOCATION = /^(?:alexa )?(?:ask|tell|open|launch|talk to|use|start) back stretch coach(?: (?:to|for|about|if|whether))?(?: (.*))?$/i;

function matchAndSend(alexa, phrase) {
  const u = new Utterance(alexa.context().interactionModel(), phrase);
  if (!u.matched()) {
    throw new Error("Unable to match utterance: " + phrase + " to an intent.");
  }
  return alexa.call(alexa.request().intent(u.intent()).slots(u.toJSON()));
}

function say(alexa, phrase) {
  if (phrase === "exit") return alexa.endSession(SessionEndedReason.USER_INITIATED);
  const launch = INVOCATION.exec(phrase);
  if (launch) return launch[1] ? matchAndSend(alexa, launch[1]) : alexa.launch();
  return matchAndSend(alexa, phrase);
}

function slotSummary(slot) {
  const out = { value: slot.value === undefined ? null : slot.value, id: null, status: null };
  const per = slot.resolutions && slot.resolutions.resolutionsPerAuthority;
  if (per && per.length) {
    out.status = per[0].status && per[0].status.code;
    if (out.status === "ER_SUCCESS_MATCH" && per[0].values && per[0].values.length) {
      out.id = per[0].values[0].value.id;
      out.ids = per[0].values.map((v) => v.value.id);
    }
  }
  return out;
}

function requestSummary(req) {
  if (!req) return null;
  const r = req.request || {};
  const out = { type: r.type, intent: null, slots: {} };
  if (r.intent) {
    out.intent = r.intent.name;
    for (const [name, slot] of Object.entries(r.intent.slots || {})) {
      if (slot && slot.value !== undefined && slot.value !== null) out.slots[name] = slotSummary(slot);
    }
  }
  return out;
}

function responseSummary(resp) {
  const r = (resp && resp.response) || {};
  const speech = r.outputSpeech || {};
  const reprompt = (r.reprompt && r.reprompt.outputSpeech) || {};
  return {
    speechType: speech.type || null,
    ssml: speech.ssml || speech.text || null,
    reprompt: reprompt.ssml || reprompt.text || null,
    shouldEndSession: r.shouldEndSession === undefined ? null : r.shouldEndSession,
    open: !r.shouldEndSession,
  };
}

function plain(ssml) {
  return (ssml || "")
    .replace(/<break[^>]*time="(\d+(?:\.\d+)?)(m?s)"[^>]*\/>/g, (m, n, u) =>
      u === "ms" ? " " : ` [pause ${n} s] `)
    .replace(/<[^>]+>/g, " ")
    .replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"').replace(/&apos;/g, "'")
    .replace(/\s+/g, " ").trim();
}

function loadData(file) {
  if (/\.ya?ml$/.test(file) && path.basename(path.dirname(path.resolve(file))) === "golden") {
    const py = process.env.PYTHON || path.join(ROOT, ".venv", "bin", "python");
    return JSON.parse(execFileSync(py, ["-m", "tests.golden", file], { cwd: ROOT }).toString());
  }
  if (/\.ya?ml$/.test(file)) {
    const py = process.env.PYTHON || path.join(ROOT, ".venv", "bin", "python");
    const out = execFileSync(py, ["-c",
      "import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding='utf-8'))))",
      file]);
    return JSON.parse(out.toString());
  }
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

function args(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith("--")) {
      const key = argv[i].slice(2);
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) out[key] = true;
      else { out[key] = next; i++; }
    }
  }
  return out;
}

module.exports = {
  ROOT, DEFAULT_MODEL, build, say, requestSummary, responseSummary, plain, loadData, args, VA,
  SessionEndedReason,
};

// The names in skill/constants.py (the one source of truth), read through Python.
let _constants = null;
function constants() {
  if (_constants) return _constants;
  const py = process.env.PYTHON || path.join(ROOT, ".venv", "bin", "python");
  const out = execFileSync(py, ["-c",
    "import json, skill.constants as C; " +
    "print(json.dumps({k: v for k, v in vars(C).items() if k.isupper()}))"], { cwd: ROOT });
  _constants = JSON.parse(out.toString());
  return _constants;
}
module.exports.constants = constants;
