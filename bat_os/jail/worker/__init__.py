"""The jail's worker: a warm template process that forks jailed children.

Started by :mod:`bat_os.jail.template` as ``python -I -S -B .../bat_os/jail/worker/__main__.py
--control-fd N --workdir DIR --kernel-pid P --path SITE...`` with an empty environment.
``-I`` puts neither the script's directory nor the cwd on ``sys.path``: the bootstrap
(``__main__``) puts the project root and the ``--path`` entries there, then imports
:mod:`.template`, which imports the rest of the package. The worker imports only the
standard library, RestrictedPython, ormsgpack, its own modules and
:mod:`bat_os.jail.contract` (never the kernel side), then preloads the modules methods
may import, so nothing is read from disk later (Landlock forbids it).

Modules (each imports only those above it, and ``bat_os.jail.contract``; ``plain`` names ``Run``
for type checking only):

``frames``     frames on a socket: pack, write, read
``layers``     the OS layers: network namespace, Landlock, seccomp, dropping root, rlimits; the probes
``plain``      plain data: what crosses the socket; :class:`~.plain.Proxy`, an object of the image
``namespace``  the restricted namespace: policy, module views, guards, builtins, print, compiling
``timer``      the per-run CPU timer and :class:`~.timer.CpuLimit`
``run``        one run: :class:`~.run.Run` (the slot cache, write-back, nested calls), serve_run, timed_run
``cases``      a candidate's test cases in one fresh child, each apart: serve_cases
``warm``       a reusable child: run after run, and what is put back between runs
``template``   the template process: preload, lock down, fork children, report exits; ``main``
``__main__``   the bootstrap run by path

Layers, outermost first (each one detected, none assumed; see ``protections``):

* template, once: a fresh network namespace (no interfaces but ``lo``),
  ``no_new_privs``, Landlock with no rules (no file access at all, no TCP,
  no signals or abstract sockets outside the sandbox), cwd an empty directory
  that the kernel removes once the template is in it (nothing can be created there).
* child (a fork of the template): every fd closed but the run socket; root
  dropped to ``nobody``; rlimits CPU, AS, FSIZE=0, NOFILE (no new fd at all),
  CORE=0, NPROC=0; a seccomp filter refusing fork/exec, sockets, opening or
  changing files, sending signals, ptrace, namespaces and limits (a deny list:
  ``setitimer``, ``rt_sigaction``, ``rt_sigreturn`` and ``getrandom``, which
  the per-run CPU timer and reseeding need, stay allowed). Two kinds:

  - *fresh* (``{"op": "run"}`` first): serves one run and exits, so no run
    can leave state for the next. Trials of new code run here.
  - *reusable* (``{"op": "serve"}`` first): locked down the same way, with
    the same limits, then serves run after run over its socket until the
    kernel closes it or it retires. Installed methods run here.
* the code itself: compiled by RestrictedPython, run with guarded builtins,
  guarded attribute access and an importer limited to ``ALLOWED_MODULES``
  (:mod:`bat_os.jail.contract`; see :mod:`.namespace`).
* per run, in both kinds: a CPU timer (``ITIMER_PROF``, exactly
  ``cpu_seconds`` of the run's own CPU time) raises :class:`CpuLimit` in the
  method (:mod:`.timer`); a method that swallows it is ended ``CPU_GRACE``
  seconds later (exit ``EXIT_CPU``). ``RLIMIT_CPU`` stays as the uncatchable backstop for
  code stuck in C, where no Python signal handler runs (fresh: ``ceil(cpu)``;
  reusable: ``ceil(cpu) + WARM_CPU_RESERVE`` over the child's life, and the
  child retires once it has used the reserve, so every run keeps at least
  ``ceil(cpu)`` and at most ``ceil(cpu) + WARM_CPU_RESERVE`` seconds before
  the kernel's SIGXCPU).

A reusable child, per run: new globals, a new ``Run`` (proxies, slot cache,
print buffer, nesting depth), functions made anew from code objects cached
by the sha256 of the source (code objects are immutable); ``random`` reseeded
from the OS and ``decimal``'s contexts restored after every run. It retires
(answers with ``"retire": true`` and exits) after a CPU timeout, a
``MemoryError``, once it has used ``WARM_CPU_RESERVE`` of CPU or its peak
RSS grew by more than ``WARM_RSS_GROWTH`` (so the next run's headroom under
``RLIMIT_AS`` stays within that of a fresh child). The kernel retires it
after ``Jail.warm_calls`` runs, a wall-clock timeout, a crash or anything
else that leaves the channel in doubt.

What can pass from one run to the next in a reusable child (the same image's
installed methods; nothing reaches the kernel or outside the child, and no
limit is loosened): the ``re`` module's compiled-pattern cache and other
caches that only make things faster (observable as timing only); interned
strings; the heap's layout (fragmentation: at most ``WARM_RSS_GROWTH`` of
headroom); CPU already used (at most ``WARM_CPU_RESERVE``, see above). What cannot: the
method's globals, functions, classes and instances (new per run); module
attributes (read-only views, ``import`` of private submodules refused, and
mutable containers held by modules or by their classes are handed out as
read-only views: ``MappingProxyType``, ``tuple``, ``frozenset``, ``bytes``);
``random``'s state (reseeded); ``decimal``'s current and template contexts
(restored); ABC registries (``register`` is refused on abstract base classes);
signal handlers, limits, fds and credentials (nothing in a method can reach
them, and seccomp refuses the syscalls).

What a method sees:

* ``self`` and every ``{"$oid": ref}`` are proxies: ``obj.x`` asks the kernel
  (``get_slot``); data comes back as a copy, a system method as a callable
  that runs in the kernel (``send``), a generated method as a callable run
  here, in the same child (nested no deeper than ``max_depth``).
  ``obj.x = v`` is written through at once (``set_slot``). The receiver
  crosses as ``{"$oid": "self"}``.
* Mutating a list or dict read from a slot reaches the image: each one read
  is remembered with a snapshot and, if changed, written back with
  ``set_slot`` before every system-method call and at the end of the run
  (also when the method raised; the kernel's transaction decides). Reading
  the same slot twice gives the same object until a system method is
  called. ``self._p_changed = True`` is accepted and does nothing.
* ``personas.ask(persona, prompt)`` and ``memory.search(query, k, mode)`` ask
  the kernel (``capability``: it grants, counts and answers them; the child
  waits meanwhile, spending no CPU).
* ``print`` is collected (``printed`` works as in RestrictedPython); the
  first 64 KiB of a run's output go to the kernel, which logs it at DEBUG.
* ``import`` of ``ALLOWED_MODULES`` and their submodules only, bound as
  read-only views without ``HIDDEN`` attributes or modules outside the list.
* Results and values sent are plain data: None, bool, int (64-bit), float,
  str, bytes, list/tuple, dict with str keys, proxies. Anything else is a
  ``TypeError``; over ``max_result_bytes``, ``ResultTooLarge`` (a result) or
  ``ValueTooLarge`` (a value sent). Kernel errors arrive as exceptions of
  the same name (builtin ones as themselves), so a method may catch them.

Frames on both sockets are a 4-byte big-endian length (``contract.HEADER``) and an ormsgpack map.
The child's requests (``HOST_OPS``), its final frames (``FINAL_OPS``) and its exit codes
(``EXIT_*``) are named in :mod:`bat_os.jail.contract` too.

Control socket (kernel <-> template)::

    kernel   -> {"op": "fork", "id": 7}        with the run socket attached (SCM_RIGHTS)
    kernel   -> {"op": "kill", "pid": 1234}
    template -> {"op": "hello", "pid": 99, "layers": {...}}
    template -> {"op": "forked", "id": 7, "pid": 1234} | {"op": "fork_failed", "id": 7, "error": "..."}
    template -> {"op": "exited", "pid": 1234, "code": 0} | {"op": "exited", "pid": 1234, "signal": 9}

Run socket (kernel <-> one child)::

    kernel -> {"op": "run", "source": ..., "selector": ..., "args": [...], "kwargs": {...}, "limits": {...},
               "snapshot": {"name": value, ...}}      (optional: some of the receiver's own data slots)
              {"op": "run", ..., "cases": [{"args": [...], "kwargs": {...}}, ...], "case_cpu_seconds": 2}
                                                        (a fresh child only: each case apart; see .cases)
              {"op": "probe", "limits": {...}}          (start-up self-test: what holds here)
              {"op": "serve", "limits": {...}}          (first frame of a reusable child; then "run" after "run")
    child  -> {"op": "ready", "pid": 1234}              (a reusable child, locked down and waiting)
    child  -> {"op": "get_slot", "ref": "self", "name": "x"}
              {"op": "set_slot", "ref": "self", "name": "x", "value": ...}
              {"op": "send", "ref": "0x1a", "selector": "s", "args": [...], "kwargs": {...}}
              {"op": "case", "index": 3}                (cases: the next one begins)
    kernel -> {"ok": value} | {"error": ["KeyError", "message"]}
    child  -> {"op": "result", "value": ..., "printed": "..."}
              {"op": "raised", "type": "ValueError", "message": "...", "traceback": "...", "printed": "..."}
              {"op": "memory", "message": "..."}
              {"op": "cpu", "message": "...", "printed": "..."}
              {"op": "probe", "report": {...}}
           a reusable child's final frame carries "retire": true when it exits after it.

The ``snapshot`` stands in for ``get_slot("self", name)`` of the names it
holds, until the run calls a system method or writes to an object other than
``"self"`` (either may change the receiver behind the snapshot's back); reads
of anything else still go to the kernel, and writes always do.
"""
