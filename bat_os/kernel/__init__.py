"""The kernel: one asyncio loop serving the image over ZeroMQ.

``bridge``    ZeroMQ framing: frames in, frames out (no ZODB)
``stream``    the event stream: a PUB socket publishing what the image does, for any number of watchers
``loop``      Kernel: receive, queue, run each command in one transaction, the one reply path
``commands``  the commands, one module per concern, and the one list of them
``audit``     the audit trail (metacognition.jsonl), off the request path
``backups``   backups of the kernel's own image while it serves: on request, scheduled, pruned to backup_keep
``packs``     packing the kernel's own image while it serves (the pack command), and measuring its history
``startup``   the services the kernel runs with (jail, models, memory, cycles), and run_kernel

May import: everything below it (``image``, ``cognition``, ``memory``,
``models``, ``jail``, ``translate``, ``supervise.backup``, ``supervise.statefile``, ``errors``,
``protocol``, ``config``, ``oscompat``). Never ``cli`` or ``console``.
"""
