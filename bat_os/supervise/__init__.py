"""Keeping the kernel alive and its image safe: the watchdog, gated upgrades, backups.

The watchdog's side:

``policy``        the restart policy: states, backoff, crash loops (stdlib only)
``control``       the seam: Settings, the upgrade's file names, the KernelControl Protocol
``process``       the kernel's process: command line, spawn, stop signal, terminate
``pinger``        the ping socket (ZeroMQ DEALER); is a kernel already answering?
``statefile``     the state file and stop file; is the watchdog still alive?
``gate``          what a new kernel must answer: ping, status, selfcheck
``watchdog``      the loop: start, health-check, restart, stop; implements KernelControl

A gated upgrade, which sees the watchdog only as a ``KernelControl``:

``instructions``  update_instructions.json: its schema, checked
``checkout``      the checkout's code version (git), putting it back, running steps
``fingerprint``   the image before the upgrade; cutting it back byte for byte
``upgrade``       the flow: claim, backup, steps, gate, rollback of code and image

``backup``        (a package) repozo backups of the image, the blob mirror, the log; restore

Imports run one way, with no cycle: ``watchdog -> upgrade -> control``, and
everything above may use ``backup``; ``backup`` uses nothing else of
``supervise``. May import: ``errors``, ``config``, ``protocol``, ``oscompat``,
``image``. Never ``kernel`` (the watchdog talks to the kernel over the wire),
``cli`` or ``console``.
"""
