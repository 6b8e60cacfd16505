"""Keeping the kernel alive and its image safe: the watchdog, gated upgrades, backups.

``policy``    the restart policy: states, backoff, crash loops (stdlib only)
``watchdog``  spawn the kernel, health-check it, restart it, take upgrade instructions
``upgrade``   a gated upgrade: backup, checkout, steps, the gate, rollback of code and image
``backup``    repozo backups of the image and a mirror of its blobs; restore

May import: ``errors``, ``config``, ``protocol``, ``oscompat``, ``image``.
Never ``kernel`` (the watchdog talks to the kernel over the wire), ``cli`` or ``console``.
"""
