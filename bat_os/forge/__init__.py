"""The forge: the image trains its own author on what it learned right, and keeps an adapter only when it is better.

* ``curator``: the training pairs: for each method a cycle wrote that is still the current version, still holds
  its stored tests and was never edited, reverted or removed by a person, the author's prompt as its cycle
  built it (with the person's answers among the examples) and the accepted source; deduplicated, bounded,
  each with its provenance.
* ``trainer``: a LoRA adapter trained with peft on those pairs, in a process of its own (``python -m
  bat_os.forge.trainer``), within a time budget, written whole or not at all.
* ``runs``: the kernel's service that runs one trainer at a time and passes its steps on; ``limits``: how a
  worker caps its own address space as it starts, then runs its module.
* ``gate``: the rule that keeps an adapter only when it beats its base by a margin and is worse on nothing the
  image knows; ``evaluate``: the same questions asked of the base with and without the adapter (a process of
  its own); ``checks``: an answer tried on a task's checks in the jail (the learning benchmark uses it too).
  The kernel's ``forge`` command (:mod:`bat_os.kernel.commands.forge`) ties them together: dataset, train,
  gate, use, and the heartbeat's rounds.

May import: the base, image, models (a prompt's hash), cognition (the prompts and views the cycle itself uses).
``trainer`` and ``evaluate`` run as separate processes: the kernel never imports torch for them.
"""
