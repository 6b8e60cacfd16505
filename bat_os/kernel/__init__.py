"""The kernel: one asyncio loop serving the image over ZeroMQ.

``door``       the socket while the kernel starts: pings answered from a thread, the rest kept for the kernel
``bridge``     ZeroMQ framing: frames in, frames out (no ZODB)
``loop``       Kernel: its parts put together, its figures (status), its life cycle (start, stop)
``intake``     requests in: answered at once, run at once, or queued for the one worker; refused while stopping
``jobs``       a job: its command run in one transaction, then answered or handed to awaited work
``awaited``    a handler's Later and cycles a crash interrupted, awaited as tasks while the kernel serves on
``replies``    the one reply path: an outcome -> a reply, sent, counted, audited; progress events before it
``stream``     the event stream: a PUB socket publishing what the image does, for any number of watchers
``remote``     a second door for other machines, CURVE only: keys beside the image, a relay to the kernel's own
``publishing`` the stream wired to commits, cycles and the commands while the kernel serves
``commands``   the commands, one module per concern, and the one list of them
``heartbeat``  the image's own work between requests
``audit``      the audit trail (metacognition.jsonl), off the request path
``backups``    backups of the kernel's own image while it serves: on request, scheduled, pruned to backup_keep
``packs``      packing the kernel's own image while it serves (the pack command), and measuring its history
``startup``    the services the kernel runs with (jail, models, memory, cycles), and run_kernel

May import: everything below it (``image``, ``cognition``, ``forge``, ``memory``,
``models``, ``jail``, ``translate``, ``supervise.backup``, ``supervise.statefile``, ``errors``,
``protocol``, ``config``, ``oscompat``). Never ``cli`` or ``console``.
"""
