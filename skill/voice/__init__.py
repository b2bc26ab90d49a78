"""The voice wing: how the skill sounds. The one SSML builder (`ssml`) and the coach
(`coach`), which turns a stretch into timed speech. Imports only content and constants."""
