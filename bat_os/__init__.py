"""BAT OS: a persistent, self-extending living-image kernel.

Modules, one concern each: ``config`` (settings), ``errors`` (the exception
tree), ``protocol`` (the wire contract, shared with clients), ``objects``
(UvmObject, delegation, methods as source), ``image`` (ZODB image,
awakening, migrations, transactions), ``primordial`` (first awakening),
``catalog`` (knowledge catalog), ``commands`` (the kernel's commands),
``bridge`` (ZeroMQ framing), ``kernel`` (the asyncio loop), ``audit``
(metacognition.jsonl), ``cli`` (the ``batos.py`` entry point).
"""

__version__ = "0.1.0"
