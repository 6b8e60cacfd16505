"""The judge's room (pure: no I/O, no image, no jail): cases as data, a candidate's verdict, the one decision.

``cases``      calls and cases as plain data: their one key, how an outcome is judged, the cases kept
``candidate``  a Candidate: what was written and what its run said (eligible, its answers by call, its reading)
``decide``     the one decision over the candidates so far, its budget included: install, ask, write another, fail
``questions``  the question a decision asks, and the examples the person's answer makes

May import nothing of the wing beyond itself, and of the rest only ``errors``.
"""
