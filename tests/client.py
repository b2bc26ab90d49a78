"""A small Alexa stand-in for tests: builds request envelopes the way Alexa does, carries the
session attributes from one response to the next request, starts a new session when the skill
ends one, and posts either through Flask's test client or over real HTTP.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import re
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass

SKILL_ID = "amzn1.ask.skill.00000000-0000-4000-8000-back5tretch00"
ALEXA_TAGS = {"speak", "break", "emphasis", "lang", "p", "phoneme", "prosody", "s", "say-as",
              "sub", "voice", "w", "amazon:effect", "amazon:domain", "amazon:emotion", "audio"}


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def flask_poster(app):
    client = app.test_client()

    def post(body: bytes, headers: dict | None = None):
        r = client.post("/alexa", data=body, headers={"Content-Type": "application/json",
                                                      **(headers or {})})
        return r.status_code, r.get_data()
    return post


def http_poster(url: str, timeout: float = 10):
    def post(body: bytes, headers: dict | None = None):
        req = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
    return post


def _break_seconds(tag_attrs: dict) -> float:
    t = tag_attrs.get("time", "0s")
    return float(t[:-2]) / 1000 if t.endswith("ms") else float(t[:-1])


@dataclass
class Resp:
    status: int
    body: dict | None
    raw: bytes

    @property
    def response(self) -> dict:
        return (self.body or {}).get("response") or {}

    @property
    def ssml(self) -> str:
        return (self.response.get("outputSpeech") or {}).get("ssml", "")

    @property
    def reprompt_ssml(self) -> str:
        return ((self.response.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml", "")

    @property
    def text(self) -> str:
        return plain(self.ssml)

    @property
    def sounds(self) -> list[str]:
        """The soundbank URLs the response plays, in order."""
        return sounds(self.ssml)

    @property
    def reprompt(self) -> str:
        return plain(self.reprompt_ssml)

    @property
    def ends(self) -> bool:
        return self.response.get("shouldEndSession") is not False

    @property
    def silence(self) -> float:
        return breaks_total(self.ssml)

    @property
    def session_attributes(self) -> dict:
        return (self.body or {}).get("sessionAttributes") or {}

    @property
    def directives(self) -> list[dict]:
        return self.response.get("directives") or []

    def rendered(self, kind: str = "Alexa.Presentation.APL.RenderDocument") -> dict | None:
        """The one directive of that type (None if there is none)."""
        found = [d for d in self.directives if d.get("type") == kind]
        assert len(found) <= 1, found
        return found[0] if found else None

    @property
    def screen(self) -> dict | None:
        """What the APL screen shows: the RenderDocument's datasource object (or None)."""
        doc = self.rendered()
        return doc["datasources"]["payload"] if doc else None


def plain(ssml: str) -> str:
    text = re.sub(r"<break[^>]*/>", " ", ssml)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return re.sub(r"\s+", " ", text).strip()


def breaks(ssml: str) -> list[float]:
    root = ET.fromstring(ssml)
    return [_break_seconds(e.attrib) for e in root.iter("break")]


def breaks_total(ssml: str) -> float:
    return sum(breaks(ssml)) if ssml else 0.0


#: Alexa's <audio> limits in one response (SSML reference, "audio"; response JSON reference).
MAX_AUDIO_TAGS = 5
MAX_AUDIO_SECONDS = {"outputSpeech": 240, "reprompt": 90}


def sound_seconds() -> dict[str, float]:
    """{soundbank URL: known length} of the sounds the skill may play (content/sounds.yaml)."""
    global _SOUNDS
    if _SOUNDS is None:
        from skill.content import load_content
        _SOUNDS = {s.url: s.seconds for s in load_content().sounds.values()}
    return _SOUNDS


_SOUNDS: dict[str, float] | None = None


def sounds(ssml: str) -> list[str]:
    """The soundbank URLs of the response's <audio> tags, in order."""
    return [e.get("src") for e in ET.fromstring(ssml).iter("audio")] if ssml else []


def check_ssml(ssml: str, where: str = "outputSpeech") -> None:
    """The platform rules every response must keep (SPEC §4); `where`: outputSpeech or
    reprompt (their <audio> time limits differ)."""
    assert len(ssml) < 8000, f"SSML is {len(ssml)} characters"
    root = ET.fromstring(ssml)                     # well-formed XML
    assert root.tag == "speak"
    for el in root.iter():
        assert el.tag in ALEXA_TAGS, f"tag {el.tag} is not one of Alexa's"
        if el.tag == "break":
            assert _break_seconds(el.attrib) <= 10, "break over 10 s"
    played = sounds(ssml)
    assert len(played) <= MAX_AUDIO_TAGS, f"{len(played)} <audio> tags in one response"
    unknown = [src for src in played if src not in sound_seconds()]
    assert not unknown, f"sounds that are not in content/sounds.yaml: {unknown}"
    total = sum(sound_seconds()[src] for src in played)
    assert total <= MAX_AUDIO_SECONDS[where], f"{total} s of <audio> in the {where}"
    # no two breaks without spoken words between them
    assert not re.search(r"<break[^>]*/>\s*(</?(s|p|prosody)[^>]*>\s*)*<break", ssml), \
        "two breaks in a row"


class AlexaClient:
    def __init__(self, post, *, user_id: str = "amzn1.ask.account.TESTUSER", locale: str = "en-US",
                 skill_id: str = SKILL_ID, timestamp=now_iso, device: dict | None = None):
        """device: what the device says about itself, {"supportedInterfaces": {...}} plus any
        other context keys ("Viewport", "Viewports"); default: a speaker without a screen."""
        self.post, self.user_id, self.locale, self.skill_id = post, user_id, locale, skill_id
        self.device = device or {}
        self.timestamp = timestamp
        self.session_id: str | None = None
        self.attributes: dict = {}
        self.last: Resp | None = None
        self.history: list[tuple[dict, Resp]] = []

    # -- envelopes
    def envelope(self, request: dict, *, new: bool | None = None) -> dict:
        if self.session_id is None:
            self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
            self.attributes, is_new = {}, True
        else:
            is_new = False
        application = {"applicationId": self.skill_id}
        user = {"userId": self.user_id}
        request = {"requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
                   "timestamp": self.timestamp(), "locale": self.locale, **request}
        return {
            "version": "1.0",
            "session": {"new": is_new if new is None else new, "sessionId": self.session_id,
                        "application": application, "attributes": self.attributes, "user": user},
            "context": {"System": {"application": application, "user": user,
                                   "device": {"deviceId": "amzn1.ask.device.TEST",
                                              "supportedInterfaces": dict(
                                                  self.device.get("supportedInterfaces", {}))},
                                   "apiEndpoint": "https://api.amazonalexa.com"},
                        **{k: v for k, v in self.device.items() if k != "supportedInterfaces"}},
            "request": request,
        }

    def send(self, envelope: dict, headers: dict | None = None) -> Resp:
        status, raw = self.post(json.dumps(envelope).encode(), headers)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        resp = Resp(status, body, raw)
        self.history.append((envelope, resp))
        self.last = resp
        if status == 200 and body is not None:
            if resp.ends or envelope["request"]["type"] == "SessionEndedRequest":
                self.session_id, self.attributes = None, {}
            else:
                self.attributes = resp.session_attributes
        return resp

    # -- requests
    def launch(self) -> Resp:
        self.session_id = None
        return self.send(self.envelope({"type": "LaunchRequest"}))

    def intent(self, name: str, **slots) -> Resp:
        """slots: name=id (resolved by entity resolution) or name=("heard words", None) for
        words that matched no value."""
        return self.send(self.envelope(intent_request(name, **slots)))

    def touch(self, *arguments, token: str = "backstretch.stretch") -> Resp:
        """A press on a screen's button: an APL UserEvent with the SendEvent's arguments."""
        return self.send(self.envelope({
            "type": "Alexa.Presentation.APL.UserEvent", "token": token,
            "arguments": list(arguments), "components": {},
            "source": {"type": "TouchWrapper", "handler": "Press", "id": ""}}))

    def end(self, reason: str = "EXCEEDED_MAX_REPROMPTS") -> Resp:
        if self.session_id is None:
            raise AssertionError("no session to end")
        return self.send(self.envelope({"type": "SessionEndedRequest", "reason": reason}))


def intent_request(name: str, **slots) -> dict:
    out = {}
    for slot, value in slots.items():
        if isinstance(value, tuple):
            heard, rid = value
        else:
            heard, rid = value.replace("_", " "), value
        s = {"name": slot, "value": heard, "confirmationStatus": "NONE"}
        authority = "amzn1.er-authority.echo-sdk.SKILL.TYPE"
        if rid:
            s["resolutions"] = {"resolutionsPerAuthority": [{
                "authority": authority, "status": {"code": "ER_SUCCESS_MATCH"},
                "values": [{"value": {"name": heard, "id": rid}}]}]}
        else:
            s["resolutions"] = {"resolutionsPerAuthority": [{
                "authority": authority, "status": {"code": "ER_SUCCESS_NO_MATCH"}}]}
        out[slot] = s
    return {"type": "IntentRequest", "dialogState": "STARTED",
            "intent": {"name": name, "confirmationStatus": "NONE", "slots": out}}
