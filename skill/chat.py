"""`python -m skill chat [--speak]`: try the skill in a terminal, no device needed.

Type what you would say to Alexa. Each line is matched to an intent and slots with the same
interaction model Alexa gets (skill/language/nlu.py), wrapped in a proper Alexa request envelope
(LaunchRequest, IntentRequest with entity-resolved slots, SessionEndedRequest), and posted
to the skill's own Flask app in-process. Session attributes travel from one turn to the
next as Alexa carries them. What Alexa would say is printed as plain text, with silences
shown as ``[pause 10 s]`` and sounds by their name in content/sounds.yaml, ``[sound: hold
ends]``; ``--speak`` also plays the SSML through ``espeak-ng -m``, with a short stand-in
beep (sox ``play ... synth``) as long as each sound, since Alexa's sound library plays only
on Alexa (silence of that length if sox cannot play).
``--locale en-GB`` is a device in another country: that locale's model and templates match
what you type, and every request carries the locale, so the skill answers in its words.
``--show-screen`` makes the console an Echo Show (a device with APL) and prints the APL
datasource of each response that has a screen, i.e. what the screen would show.

  open back stretch coach                  starts the skill (so does an empty first line)
  ask back stretch coach to <request>      a one-shot request in a new session
  <empty line>                             silence: Alexa plays the reprompt; twice ends
                                           the session (EXCEEDED_MAX_REPROMPTS)
  exit, Ctrl-D                             ends the session (USER_INITIATED) and the console
"""
from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from skill import constants as C
from skill.language.nlu import Matcher, default_matcher

APP_ID = "amzn1.ask.skill.console-back-stretch-coach"
DEFAULT_USER = "amzn1.ask.account.console"
EXIT_WORDS = {"exit", "/exit", "/quit", "/q"}
#: What an Echo Show 8 says about its screen (--show-screen): APL, a 1024 x 600 landscape hub.
SCREEN_DEVICE = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}}
SCREEN_VIEWPORT = {"shape": "RECTANGLE", "pixelWidth": 1024, "pixelHeight": 600, "dpi": 160,
                   "currentPixelWidth": 1024, "currentPixelHeight": 600, "touch": ["SINGLE"]}


#: The console's stand-in for a sound of Alexa's library (--speak): a beep of this pitch.
BEEP_HZ = 880
_AUDIO = re.compile(r'<audio\b[^>]*\bsrc="([^"]*)"[^>]*/>')


def ssml_to_text(ssml: str | None, sounds: dict | None = None) -> str:
    """Plain text of an SSML string, breaks shown as ``[pause N s]``, sounds as ``[sound:
    name]`` (`sounds`: {url: content Sound}; an unknown one is ``[sound]``)."""
    if not ssml:
        return ""

    def sound(m: re.Match) -> str:
        known = (sounds or {}).get(html.unescape(m.group(1)))
        return f" [sound: {known.name}] " if known else " [sound] "

    ssml = _AUDIO.sub(sound, ssml)

    def pause(m: re.Match) -> str:
        amount, unit = float(m.group(1)), m.group(2)
        seconds = amount / 1000 if unit == "ms" else amount
        if seconds < 0.25:
            return " "
        shown = f"{seconds:.1f}".rstrip("0").rstrip(".")
        return f" [pause {shown} s] "

    text = re.sub(r"<break\b[^>]*\btime=\"(\d+(?:\.\d+)?)(ms|s)\"[^>]*/>", pause, ssml)
    text = re.sub(r"<break\b[^>]*/>", " [pause] ", text)
    text = re.sub(r"</?(?:s|p)\b[^>]*>", " ", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = html.unescape(text)
    return re.sub(r"\s+", " ", text).strip()


def spoken_pieces(ssml: str) -> list[tuple[str, str]]:
    """The response cut at each sound: [("speech", SSML) | ("sound", url)] in order, each
    speech piece wrapped again in the response's <speak> and <prosody> (for --speak)."""
    m = re.fullmatch(r"(<speak>(?:<prosody\b[^>]*>)?)(.*?)((?:</prosody>)?</speak>)", ssml, re.S)
    if not m or not _AUDIO.search(ssml):
        return [("speech", ssml)]
    head, body, tail = m.groups()
    out: list[tuple[str, str]] = []
    for i, piece in enumerate(_AUDIO.split(body)):
        if i % 2:
            out.append(("sound", html.unescape(piece)))
        elif piece.strip():
            out.append(("speech", head + piece + tail))
    return out


@dataclass
class Session:
    id: str = field(default_factory=lambda: f"amzn1.echo-api.session.{uuid.uuid4()}")
    new: bool = True
    attributes: dict = field(default_factory=dict)
    reprompt: str | None = None
    silences: int = 0


class Console:
    """One simulated device and user talking to the skill's Flask app."""

    def __init__(self, app, matcher: Matcher, out: TextIO, *, user_id: str = DEFAULT_USER,
                 speak: bool = False, show_intents: bool = True, show_screen: bool = False,
                 locale: str = C.LOCALE):
        self.client = app.test_client()
        self.locale = locale
        self.matcher = matcher
        self.out = out
        self.user_id = user_id
        self.speak = speak and bool(shutil.which("espeak-ng"))
        self.show_intents = show_intents
        self.show_screen = show_screen
        self.session: Session | None = None
        content = app.extensions.get("backstretch", {}).get("content")
        self.sounds = dict((s.url, s) for s in content.sounds.values()) if content else {}

    # ------------------------------------------------------------------ envelopes
    def envelope(self, request: dict) -> dict:
        if self.session is None:
            self.session = Session()
        s = self.session
        system_user = {"userId": self.user_id}
        context = {"System": {
            "application": {"applicationId": APP_ID},
            "user": dict(system_user),
            "device": {"deviceId": "amzn1.ask.device.console",
                       "supportedInterfaces": dict(SCREEN_DEVICE) if self.show_screen else {}},
            "apiEndpoint": "https://api.amazonalexa.com",
        }}
        if self.show_screen:
            context["Viewport"] = dict(SCREEN_VIEWPORT)
        return {
            "version": "1.0",
            "session": {"new": s.new, "sessionId": s.id,
                        "application": {"applicationId": APP_ID},
                        "user": dict(system_user), "attributes": dict(s.attributes)},
            "context": context,
            "request": {
                **request,
                "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
                "timestamp": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "locale": self.locale,
            },
        }

    def intent_request(self, text: str) -> dict:
        match = self.matcher.match(text)
        slots: dict[str, Any] = {
            name: {"name": name, "confirmationStatus": "NONE"}
            for name in self.matcher.intent_slots.get(match.intent, {})
        }
        authority = f"amzn1.er-authority.echo-sdk.{APP_ID}"
        for name, value in match.slots.items():
            slots[name] = value.to_alexa(authority)
        if self.show_intents:
            shown = " ".join(f"{n}={s.id or repr(s.value) + '?'}" for n, s in match.slots.items())
            self.out.write(f"  [{match.intent}{' ' + shown if shown else ''}]\n")
        return {"type": "IntentRequest", "dialogState": "COMPLETED",
                "intent": {"name": match.intent, "confirmationStatus": "NONE", "slots": slots}}

    # ------------------------------------------------------------------ turns
    def send(self, request: dict) -> dict | None:
        env = self.envelope(request)
        resp = self.client.post("/alexa", json=env)
        if resp.status_code != 200:
            self.out.write(f"  (the skill refused the request: HTTP {resp.status_code} "
                           f"{resp.get_data(as_text=True).strip()})\n")
            self.session = None
            return None
        body = resp.get_json()
        if request["type"] == "SessionEndedRequest":
            self.session = None
            return body
        self.render(body)
        return body

    def render(self, body: dict) -> None:
        response = body.get("response") or {}
        speech = (response.get("outputSpeech") or {})
        ssml = speech.get("ssml") or speech.get("text") or ""
        reprompt = ((response.get("reprompt") or {}).get("outputSpeech") or {})
        reprompt_ssml = reprompt.get("ssml") or reprompt.get("text")
        if ssml:
            self.out.write(f"alexa> {ssml_to_text(ssml, self.sounds)}\n")
            self._speak(ssml)
        if self.show_screen:
            self.show(response)
        if response.get("shouldEndSession") is False or (
                response.get("shouldEndSession") is None and reprompt_ssml):
            assert self.session is not None
            self.session.new = False
            self.session.attributes = body.get("sessionAttributes") or {}
            self.session.reprompt = reprompt_ssml
            self.session.silences = 0
            self.out.write("  (listening…)\n")
            if reprompt_ssml:
                self.out.write(f"  (reprompt, if you say nothing: "
                               f"{ssml_to_text(reprompt_ssml, self.sounds)})\n")
        else:
            self.session = None
            self.out.write("  (session ended)\n")
        self.out.flush()

    def show(self, response: dict) -> None:
        """Print the datasource of the response's APL document: what the screen shows."""
        for directive in response.get("directives") or ():
            if directive.get("type") == "Alexa.Presentation.APL.RenderDocument":
                shown = json.dumps(directive.get("datasources"), indent=2, ensure_ascii=False)
                self.out.write(f"  [screen: {directive.get('token', '')}]\n")
                self.out.write("".join(f"  | {line}\n" for line in shown.splitlines()))

    def _speak(self, ssml: str) -> None:
        if not self.speak:
            return
        try:
            for kind, piece in spoken_pieces(ssml):
                if kind == "speech":
                    subprocess.run(["espeak-ng", "-m"], input=piece.encode("utf-8"), check=False,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   timeout=600)
                else:
                    self._beep(piece)
        except (OSError, subprocess.SubprocessError):
            self.speak = False

    def _beep(self, src: str) -> None:
        """A stand-in for a sound of Alexa's library, as long as the sound: a beep, or
        silence if sox's `play` is missing or has no audio device."""
        known = self.sounds.get(src)
        seconds = known.seconds if known else 1.0
        if shutil.which("play"):
            done = subprocess.run(["play", "-q", "-n", "synth", f"{seconds:g}", "sine",
                                   str(BEEP_HZ), "vol", "0.3"], check=False,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
            if getattr(done, "returncode", 0) == 0:
                return
        time.sleep(seconds)

    def silence(self) -> None:
        """The user says nothing: Alexa plays the reprompt, then gives up."""
        if self.session is None:
            self.send({"type": "LaunchRequest"})
            return
        self.session.silences += 1
        if self.session.silences == 1 and self.session.reprompt:
            self.out.write(f"alexa> {ssml_to_text(self.session.reprompt, self.sounds)}\n"
                           "  (listening…)\n")
            self._speak(self.session.reprompt)
            return
        self.send({"type": "SessionEndedRequest", "reason": "EXCEEDED_MAX_REPROMPTS"})
        self.out.write("  (no answer: session ended, EXCEEDED_MAX_REPROMPTS)\n")

    def line(self, text: str) -> bool:
        """Handle one typed line; False when the console should stop."""
        text = text.strip()
        if text.lower() in EXIT_WORDS:
            if self.session is not None:
                self.send({"type": "SessionEndedRequest", "reason": "USER_INITIATED"})
            self.out.write("  (session ended by the user)\n")
            return False
        if not text:
            self.silence()
            return True
        launch, rest = self.matcher.parse_invocation(text)
        if launch:
            self.session = None                      # an invocation starts a new session
            if rest:
                self.send(self.intent_request(rest))
            else:
                self.send({"type": "LaunchRequest"})
            return True
        if self.session is None:
            self.out.write(f"  (no session open: as if you said "
                           f"\"ask {self.matcher.invocation_name} to {text}\")\n")
        self.send(self.intent_request(text))
        return True


BANNER = """Back Stretch Coach console. Type what you would say to Alexa.
Say "open back stretch coach" to start (or just press Enter). An empty line is silence.
"exit" or Ctrl-D ends the session and the console.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m skill chat",
                                     description="Talk to the skill in the terminal.")
    parser.add_argument("--speak", action="store_true",
                        help="also speak the answers through espeak-ng (if installed)")
    parser.add_argument("--temp", action="store_true",
                        help="use a throwaway SQLite store instead of the default one")
    parser.add_argument("--user", default=DEFAULT_USER, help="the Alexa user id to use")
    parser.add_argument("--quiet", action="store_true",
                        help="do not show the matched intent and slots")
    parser.add_argument("--show-screen", action="store_true",
                        help="be a device with a screen (APL) and print what the screen shows")
    parser.add_argument("--locale", choices=C.LOCALES, default=C.LOCALE,
                        help="be a device in that country: its model, its requests' locale "
                             f"(default {C.LOCALE})")
    return parser


def main(argv: list[str] | None = None, *, stdin: TextIO | None = None,
         stdout: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    stdin = stdin or sys.stdin
    out = stdout or sys.stdout

    from skill.config import Config, ConfigError
    from skill.content import ContentError
    from skill.web.app import create_app

    tmp = tempfile.TemporaryDirectory(prefix="bsc-chat-") if args.temp else None
    try:
        try:
            import os
            if tmp is not None:
                config = Config.local(data_dir=Path(tmp.name), database_url=None)
            else:
                config = Config.local(database_url=os.environ.get("DATABASE_URL") or None)
            app = create_app(config)
        except (ConfigError, ContentError, ValueError) as exc:
            print(f"chat: error: {exc}", file=sys.stderr)
            return 2
        try:
            matcher = default_matcher(locale=args.locale)
        except (OSError, ValueError, KeyError) as exc:
            print(f"chat: error: cannot read the interaction model ({exc}); "
                  "run `python -m skill model`", file=sys.stderr)
            return 2
        if args.speak and not shutil.which("espeak-ng"):
            out.write("(espeak-ng is not installed: printing only)\n")
        console = Console(app, matcher, out, user_id=args.user, speak=args.speak,
                          show_intents=not args.quiet, show_screen=args.show_screen,
                          locale=args.locale)
        interactive = hasattr(stdin, "isatty") and stdin.isatty()
        out.write(BANNER)
        while True:
            if interactive:
                out.write("you> ")
                out.flush()
            raw = stdin.readline()
            if raw == "":                      # end of input
                if console.session is not None:
                    console.send({"type": "SessionEndedRequest", "reason": "USER_INITIATED"})
                    out.write("  (session ended by the user)\n")
                break
            if not interactive:
                out.write(f"you> {raw.rstrip()}\n")
            if not console.line(raw):
                break
        out.write("bye\n")
        return 0
    except KeyboardInterrupt:
        out.write("\nbye\n")
        return 0
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
