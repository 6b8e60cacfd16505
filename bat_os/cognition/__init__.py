"""Cognition: a message nobody understands becomes a method, written, audited, tried and installed.

``states``        the cycle's states and moves: the one table (stdlib only)
``cycle``         a cycle as a persistent record; the registry of cycles
``orchestrator``  runs cycles: DECOMPOSING, DELEGATING, SYNTHESIZING, VALIDATING, COMPLETE or FAILED
``prompts``       what the personas are asked
``replies``       what is read out of their answers (queries, code)
``guardian``      the static audit of generated code (RestrictedPython and rules of our own)
``host``          the kernel side of a jailed method's ``self`` (slot reads, writes, sends)
``service``       Cognition: jailed sends, learning, and the services the commands reach

May import: ``errors``, ``image``, ``jail`` (the runner's interface and its contract),
``memory`` (the search seam), ``models`` (the LLM seam). Never ``kernel``, ``cli``, ``console``.
"""
