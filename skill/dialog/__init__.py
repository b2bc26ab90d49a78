"""The dialogue wing: what the skill says next, given where the user is.

A request walks: `handlers` (ask-sdk wiring, interceptors) builds a `Turn` from the sealed
session `state` and the user's stored memory, `routing` picks the conversation function for
the intent in the current state, and one of `menu`, `gate`, `playback`, `memory` answers
with a `Reply`. Nothing here imports the web wing; the voice wing (SSML, coach) and the
content are below it.
"""
