"""The jail: generated code runs in forked, locked-down processes, never in the kernel.

The contract (both sides, and the guardian):

``contract``      what the kernel, the worker and the guardian agree on: the allowed modules
                  and imports, the frame header, the ops, the exit codes (the stdlib only)
``guardian``      the static audit of a generated method's source before any run: RestrictedPython
                  and rules of our own (what the worker's policy enforces, checked before it runs)

The kernel side (asyncio, in the kernel's process):

``runner``        :class:`Jail` (the pool of children, runs fresh or reusable); re-exports
                  ``JailLimits``, ``Host``, ``SnapshotHost``, ``JailRunner``, ``UnavailableJail``
                  and ``unavailable_reason``, which the rest of the project imports from here
``interface``     ``JailLimits``, the ``Host`` a method's ``self`` talks to, the ``JailRunner`` seam
``unavailable``   where the jail cannot run: ``unavailable_reason`` and ``UnavailableJail``
``template``      the template process seen from the kernel: start it, fork requests, exits
``channel``       the kernel's end of a run socket (frames on the event loop)
``conversation``  one run's exchange: the snapshot, serving host calls, the final frame as a
                  value or an error, what a probe found to hold
``awaitables``    ``Gate`` (runs in flight) and ``Pending`` (a run's awaitable)

The worker side (in the jailed processes, started by path):

``worker``        the package run as ``python -I -S -B worker/__main__.py``: the template and
                  its children (see its docstring for the wire protocol and the layers)

May import: the kernel side and ``guardian``, ``errors``, ``contract`` and RestrictedPython; the worker, only the standard
library, RestrictedPython, ormsgpack, its own modules and ``contract`` (nothing of the kernel
side). ``contract`` imports the standard library only. This file imports nothing: the worker
process imports it (and ``bat_os/__init__.py``) on its way to its own package.
"""
