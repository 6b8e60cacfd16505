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

Each room's ``__init__`` says what it may import, rooms below it only (``tests/test_layout.py`` checks it); none
imports ``kernel``, ``cli`` or ``console``. docs/cycle.md draws the pipeline.
"""
