"""Cognition: a message nobody understands becomes a method, written, audited, tried and installed.

The cycle:
``states``        the cycle's states and moves: the one table (stdlib only)
``cycle``         a cycle as a persistent record; the registry of cycles
``records``       the cycles in the image, read and written on pooled connections
``views``         what a step reads of a cycle, as plain data
``orchestrator``  runs cycles through the table: DECOMPOSING to VALIDATING, and what is done with the choice
``research``      DELEGATING: the catalog searched, episodes recalled
``planning``      PLANNING: a hard request split into helpers, each learned by a part cycle
``answering``     ASKING: the question shown, the answer waited for and kept, every candidate tried on it again
``installing``    COMPLETE: installed with its tests (a plan's helpers with it), in one transaction
``episodes``      what the image remembers of its cycles

What the personas are asked and what is read out of their answers:
``prompts``       the prompts
``replies``       queries, code, test cases and each condition's calls read out of a reply
``mending``       a reply rebuilt into a candidate: the method and what it names, small slips mended
``classes``       a method written inside a class, taken out of it

Trying and choosing:
``cases``         test cases and examples as plain data: checked, judged, described
``specs``         the conditions a request states and their calls; the cases SPECIFYING keeps; a method's tests
``probes``        probe calls made from the call's own arguments and the receiver's slots
``differential``  calls made of the candidates' own constants, which tell look-alikes apart
``lint``          what a candidate's source says of its meaning (it reads the clock, misnames a slot)
``casehost``      the receiver as each case sees it (its ``given`` slots, writes kept apart, a plan's helpers)
``trials``        candidates audited, then tried in the jail on an aborted view of the image; their records
``selection``     a candidate's record from its run: eligible, what it answered
``agreement``     when two candidates agree, call by call
``readings``      which text a candidate wrote, in which voice: what counts as one reading
``choosing``      the one procedure: install, ask, write another, or give up
``asking``        questions to the person: what is asked, how an answer is read, who waits for it

Methods once learned:
``guardian``      the static audit of generated code (RestrictedPython and rules of our own)
``host``          the kernel side of a jailed method's ``self`` (slot reads, writes, sends)
``handoff``       a system method that sends a generated one: it waits for the jail in a greenlet
``capabilities``  what a method may call (personas.ask, memory.search), granted by its source
``retest``        a learned method's stored tests run again (``selfcheck`` with tests)
``changes``       an edit, revert or removal tried first: its cases and its callers' cases, in the jail
``casewriting``   cases written for a method that has none (the heartbeat)
``service``       Cognition: jailed sends, learning, and the services the commands reach

May import: ``errors``, ``image``, ``jail`` (the runner's interface and its contract),
``memory`` (the search seam), ``models`` (the LLM seam). Never ``kernel``, ``cli``, ``console``.
"""
