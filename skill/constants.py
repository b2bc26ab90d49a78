"""Names shared by the interaction model, the handlers and the tests.

One source of truth: the interaction model generator (`python -m skill model`) and every
handler import these names; a test checks the committed model declares exactly them.
"""

# Custom intents
START_ROUTINE = "StartRoutineIntent"
LIST_ROUTINES = "ListRoutinesIntent"
QUESTION = "QuestionIntent"
PAIN = "PainIntent"
PROGRESS = "ProgressIntent"
EXPLAIN_STRETCH = "ExplainStretchIntent"
SET_PREFERENCE = "SetPreferenceIntent"
HISTORY = "HistoryIntent"
DELETE_DATA = "DeleteDataIntent"
SET_REMINDER = "SetReminderIntent"
REMINDER_STATUS = "ReminderStatusIntent"
CANCEL_REMINDER = "CancelReminderIntent"
TELL_ME_MORE = "TellMeMoreIntent"
UNSURE = "UnsureIntent"          # "I don't know", "maybe", "I think so": never a no
WHY_ASK = "WhyAskIntent"         # "what do you mean", "why are you asking"
THANKS = "ThanksIntent"          # never ends a routine
VOLUME = "VolumeIntent"          # "speak up": how to change the volume, never the pace
TOO_HARD = "TooHardIntent"       # "I can't do this one": offer to skip
SYMPTOM = "SymptomIntent"        # "yes I fell last week", "no, just a bit of tightness": an
                                 # answer that describes; what it names is the yes or no
# Free words after a carrier word, in one AMAZON.SearchQuery slot: what no sample matches,
# read by the skill (skill/language/reader.py) instead of lost to AMAZON.FallbackIntent.
FREE_WORDS = "FreeWordsIntent"   # after any other word people start with ("i", "what", "um")
FREE_YES = "FreeYesIntent"       # after a yes word: "yeah {words}"
FREE_NO = "FreeNoIntent"         # after a no word: "nah {words}"
FREE_TAIL = "FreeTailIntent"     # before a closing word: "{words} please" (the words start
                                 # the sentence, a yes or no word included)
# A first word that is a whole sentence of one of these intents ("repeat", "wait", "thanks",
# "maybe", "ouch") carries the rest in an intent of its own, so the skill knows which it was.
FREE_AFTER = {
    "AMAZON.RepeatIntent": "FreeRepeatIntent", "AMAZON.PauseIntent": "FreePauseIntent",
    "AMAZON.ResumeIntent": "FreeResumeIntent", "AMAZON.NextIntent": "FreeNextIntent",
    "AMAZON.StopIntent": "FreeStopIntent", "ThanksIntent": "FreeThanksIntent",
    "UnsureIntent": "FreeUnsureIntent", "PainIntent": "FreePainIntent",
}
FREE_INTENTS = (FREE_WORDS, FREE_YES, FREE_NO, FREE_TAIL, *FREE_AFTER.values())
# A first word that matters to what the rest means ("not", "lower", "sharp", "just") carries
# the rest in an intent of its own, named after it ("FreeSaidLowerIntent": the words of the
# source's rule `free_kept`), so the skill reads the whole sentence, that word included.
FREE_KEPT_PREFIX = "FreeSaid"


def free_kept_intent(word: str) -> str:
    """The free intent that keeps `word` ("not" -> "FreeSaidNotIntent", "i'm" ->
    "FreeSaidImIntent"): letters only, as Alexa's intent names allow."""
    return FREE_KEPT_PREFIX + "".join(p.capitalize() for p in word.replace("'", "").split()) \
        + "Intent"


def is_free(intent: str | None) -> bool:
    """Whether an intent brings free words for the skill to read."""
    return bool(intent) and (intent in FREE_INTENTS or intent.startswith(FREE_KEPT_PREFIX))

CUSTOM_INTENTS = (
    START_ROUTINE, LIST_ROUTINES, QUESTION, PAIN, PROGRESS, EXPLAIN_STRETCH,
    SET_PREFERENCE, HISTORY, DELETE_DATA, TELL_ME_MORE,
    SET_REMINDER, REMINDER_STATUS, CANCEL_REMINDER,
    UNSURE, WHY_ASK, THANKS, VOLUME, TOO_HARD, SYMPTOM,
)

# One intent per FAQ topic (content/faq.yaml id), so that a question reaches its topic by
# meaning whatever its words: "heat_or_cold" -> "FaqHeatOrColdIntent".
FAQ_INTENT_PREFIX = "Faq"


def faq_intent(faq_id: str) -> str:
    return FAQ_INTENT_PREFIX + "".join(w.capitalize() for w in faq_id.split("_")) + "Intent"


# Built-in intents (SPEC §2)
NEXT = "AMAZON.NextIntent"
PREVIOUS = "AMAZON.PreviousIntent"
REPEAT = "AMAZON.RepeatIntent"
START_OVER = "AMAZON.StartOverIntent"
PAUSE = "AMAZON.PauseIntent"
RESUME = "AMAZON.ResumeIntent"
YES = "AMAZON.YesIntent"
NO = "AMAZON.NoIntent"
HELP = "AMAZON.HelpIntent"
STOP = "AMAZON.StopIntent"
CANCEL = "AMAZON.CancelIntent"
FALLBACK = "AMAZON.FallbackIntent"
NAVIGATE_HOME = "AMAZON.NavigateHomeIntent"

BUILTIN_INTENTS = (
    NEXT, PREVIOUS, REPEAT, START_OVER, PAUSE, RESUME, YES, NO, HELP, STOP, CANCEL,
    FALLBACK, NAVIGATE_HOME,
)

# Slots and slot types
SLOT_ROUTINE = "routine"
SLOT_AREA = "area"
SLOT_POSITION = "position"
SLOT_TOPIC = "topic"
SLOT_PREFERENCE = "preference"
SLOT_TIME = "time"
SLOT_PAIN = "pain"               # PainIntent: what it feels like ("a sharp pain")
SLOT_PART = "part"               # PainIntent: where ("my left hip")
SLOT_WHEN = "when"               # PainIntent, FAQ topics: "when I twist", "every morning"
SLOT_TROUBLE = "trouble"         # FAQ topics: what it is for ("back pain", "a stiff back")
SLOT_PERSON = "someone"          # FAQ topics: who ("my partner", "a chiropractor")
SLOT_REMEDY = "remedy"           # FAQ topics: heat or cold ("a heating pad", "ice")
SLOT_TOOL = "tool"               # FAQ topics: what to roll on ("a lacrosse ball")
SLOT_CONDITION = "condition"     # FAQ topics: a condition of the back ("osteoporosis")
SLOT_CLINICIAN = "doctor"        # FAQ topics: whom to see ("a physio", "urgent care")
SLOT_HABIT = "habit"             # FAQ topics: a sitting day ("work at a desk all day")
SLOT_CRACK = "crack"             # FAQ topics: the word for it ("crack", "pop", "click", "snap")
SLOT_CRACKING = "cracking"       # FAQ topics: the same as a noun ("cracking", "clicking")
SLOT_SCENE = "scene"             # StartRoutineIntent: said before asking ("i'm at my desk")
SLOT_SIGN = "sign"               # SymptomIntent: a warning sign ("a fall", "trouble peeing")
SLOT_WORDS = "words"             # the free intents: the rest of the sentence
SLOT_ANSWER = "answer"           # SymptomIntent: the yes or no said with it ("yeah", "no but")

TYPE_ROUTINE = "RoutineName"
TYPE_AREA = "BodyArea"
TYPE_POSITION = "StretchPosition"
TYPE_TOPIC = "QuestionTopic"
TYPE_PREFERENCE = "PreferenceChange"
TYPE_TIME = "AMAZON.TIME"          # built in: Alexa resolves "seven p.m." to "19:00"
TYPE_PAIN = "PainKind"           # ids: sharp (also shooting, spreading), numb (also tingling,
                                 # weak), mild (also stiff, staying in the back), pain (unsaid)
TYPE_PART = "BodyPart"
TYPE_WHEN = "Occasion"
TYPE_TROUBLE = "Complaint"
TYPE_PERSON = "Person"
TYPE_REMEDY = "Remedy"
TYPE_TOOL = "Tool"
TYPE_CONDITION = "Condition"
TYPE_CLINICIAN = "Clinician"
TYPE_HABIT = "Habit"
TYPE_CRACK = "CrackWord"
TYPE_CRACKING = "CrackingWord"
TYPE_SCENE = "Scene"             # ids: the content id of a routine, area or position
TYPE_SIGN = "WarningSign"        # ids: the kind of sign (numb, bladder, fever, fall...)
TYPE_WORDS = "AMAZON.SearchQuery"  # built in: free words (one such slot per intent)
TYPE_ANSWER = "YesNo"            # ids: yes, no

# Values of the PreferenceChange slot type (ids); the synonyms live in the model source.
PREFERENCE_VALUES = (
    "holds_longer", "holds_shorter", "holds_normal",
    "pace_slow", "pace_normal",
    "cues_more", "cues_fewer",
    "detail_short", "detail_full",
    "sounds_off", "sounds_on",
)

# Positions an exercise may be done in (content schema).
POSITIONS = ("floor", "chair", "standing", "hands_and_knees")

# Where a sound may come from: Alexa's own sound library (content/sounds.yaml; the SSML
# builder plays nothing else), e.g. soundbank://soundlibrary/musical/amzn_sfx_bell_short_chime_01
SOUNDBANK_URL = r"soundbank://soundlibrary(?:/[A-Za-z0-9_-]+)+"

# The permission the daily reminder needs (skill.json declares it; AskFor asks for it).
REMINDERS_SCOPE = "alexa::alerts:reminders:skill:readwrite"

INVOCATION_NAME = "back stretch coach"
LOCALE = "en-US"
# The locales the skill is published in (interaction_model/skill.json): each has its own
# interaction model (interactionModels/custom/<locale>.json, from the shared templates in
# interaction_model/source/en-US/ and its overlay beside them) and its own words in
# content/locales/<locale>.yaml. LOCALE, the first, is the shared base; any other locale a
# request names gets content/locales/fallback.yaml (en-US words, no country's number).
LOCALES = (LOCALE, "en-GB", "en-CA", "en-AU", "en-IN")
