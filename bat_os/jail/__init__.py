"""The jail: generated code runs in forked, locked-down processes, never in the kernel.

``runner``  the kernel side: Jail, its limits, the Host a method's ``self`` talks to, the JailRunner seam
``worker``  the worker process (started as a script; the standard library, RestrictedPython and
            ormsgpack only)

May import: ``errors`` (the kernel side). The worker imports nothing of ``bat_os``.
"""
