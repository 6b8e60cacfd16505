"""Cognition: a message nobody understands becomes a method, written, tried, judged and installed.

The cycle is a pipeline of five rooms, each a sub-package with one job; what flows between them is plain data::

    cycle/   the state table, the store, the driver, and the step of each state
      |  a step reads the cycle's record (a view) and returns a Transition; the driver has the store apply it
      v
    author/  prompts -> a persona's reply -> queries, cases, conditions' calls, a candidate's source (mended)
      v
    trial/   every call a candidate meets (calls) -> one jailed run of it over them (runs) -> a Candidate
      v
    judge/   the Candidate's verdict (candidate) -> the one decision: install, ask, write another, fail (decide)
             -> the question the person is shown and how an answer is read (questions)
      v
    methods/ the learned method: its host in the jail, what it may call, its stored tests, the service (its source is
             audited first by the jail's guardian)

Which rooms a room may import (``tests/test_layout.py`` checks it): ``judge`` none (pure, no I/O); ``author``
judge; ``methods`` judge, author; ``trial`` judge, author, methods; ``cycle`` all of them. Beyond the wing:
``errors``, ``image``, ``jail`` (the runner's interface and its contract), ``memory`` (the search seam), ``models``
(the LLM seam); never ``kernel``, ``cli``, ``console``. docs/cycle.md draws the pipeline.
"""
