"""The language wing: what people say. The interaction model generator (`model`) and the
console's matcher (`nlu`), both from the same hand-written source. The running skill never
imports it: Alexa does the understanding."""
