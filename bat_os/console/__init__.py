"""The Architect's console: the client half of BAT OS, run by ``chat_client.py``.

One concern per module, each importable without the others' dependencies:

* :mod:`.errors` -- the exception tree (usage errors, no reply, kernel down).
* :mod:`.parsing` -- pure: one console line -> a request, a sentence or a local action.
* :mod:`.routing` -- no I/O: a request's frame, frames routed by id, stale replies, the restart rule (the web's link uses it too).
* :mod:`.connection` -- the blocking DEALER socket over :mod:`.routing`: events, timeouts, liveness.
* :mod:`.translating` -- a sentence -> a request: the kernel's ``translate``, or the local translator.
* :mod:`.render` -- pure: requests and replies as text for people.
* :mod:`.questions` -- pure: a learning cycle's question as text; a typed answer -> the ``answer`` fields.
* :mod:`.asking` -- a question while a request waits: ask it, send the answer on the same connection.
* :mod:`.screen` -- where text goes: a terminal (colour) or a pipe (plain).
* :mod:`.progress` -- the live display while a request runs (spinner, states, streamed words).
* :mod:`.inputs` -- where lines come from: prompt_toolkit on a terminal, plain lines from a pipe.
* :mod:`.session` -- what both modes share: translate, show the brief, confirm, send, show.
* :mod:`.repl` / :mod:`.oneshot` -- the two ways of running; :mod:`.app` -- flags and ``main``.

The console imports only zmq, ormsgpack, rich, prompt_toolkit, the standard
library and ``bat_os.protocol`` / ``briefs`` / ``translator``: never torch,
transformers or ZODB, so it starts fast and never touches the image.
"""
