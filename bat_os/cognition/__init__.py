"""Cognition: a message nobody understands becomes a method, written, audited, tried and installed.

``states``        the cycle's states and moves: the one table (stdlib only)
``cycle``         a cycle as a persistent record; the registry of cycles
``orchestrator``  runs cycles: DECOMPOSING, DELEGATING, SPECIFYING, SYNTHESIZING, VALIDATING, COMPLETE or FAILED
``prompts``       what the personas are asked
``replies``       what is read out of their answers (queries, test cases, code)
``mending``       a candidate's small slips mended in its code (self, imports, printed answers...)
``cases``         test cases and examples as plain data: checked, judged, described
``specs``         the generated cases SPECIFYING keeps; the tests an installed method carries
``probes``        probe calls made from the call's own arguments, for candidates to agree on
``casehost``      the receiver as each case sees it (its ``given`` slots, writes kept apart)
``properties``    property checks the request's words make certain (a bool, an int, case ignored)
``bounds``        more of them, on the answer's edges (an empty argument's, a mean's range, a character left out)
``lint``          what a candidate's source says it cannot do (unused parameters, slots, the clock)
``differential``  calls made of the candidates' own constants, which tell look-alikes apart
``trials``        candidates tried in the jail on an aborted view of the image; their records
``agreement``     when two candidates agree, call by call (refusals and calls past the jail's means aside)
``selection``     which candidate to install: the trial, the examples, the cases, agreement
``retest``        a learned method's stored tests run again (``selfcheck`` with tests)
``changes``       an edit, revert or removal tried first: its cases and its callers' cases, in the jail
``guardian``      the static audit of generated code (RestrictedPython and rules of our own)
``host``          the kernel side of a jailed method's ``self`` (slot reads, writes, sends)
``handoff``       a system method that sends a generated one: it waits for the jail in a greenlet
``service``       Cognition: jailed sends, learning, and the services the commands reach

May import: ``errors``, ``image``, ``jail`` (the runner's interface and its contract),
``memory`` (the search seam), ``models`` (the LLM seam). Never ``kernel``, ``cli``, ``console``.
"""
