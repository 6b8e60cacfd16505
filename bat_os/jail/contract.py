"""What the kernel's jail, its worker and the guardian must agree on (the standard library only).

Imported by :mod:`bat_os.jail.runner` and its modules (the kernel side), by the worker
package :mod:`bat_os.jail.worker` (in the jailed processes) and by
:mod:`bat_os.jail.guardian` (the static audit). Nothing here may import anything
but the standard library: the worker loads it before it locks itself down.

The messages themselves are drawn in :mod:`bat_os.jail.worker`'s docstring.
"""

from __future__ import annotations

import ast
import copy
import math
import struct

#: What ``import`` may name inside a method (and, in the jail, their public submodules).
ALLOWED_MODULES: frozenset[str] = frozenset({
    "math", "json", "re", "datetime", "random", "itertools", "collections", "statistics",
    "string", "textwrap", "time", "functools", "operator", "decimal", "fractions",
    "heapq", "bisect",  # collections.Counter.most_common(n) imports heapq when it is called
})
#: Submodules of allowed modules that a method may name in an ``import`` (the guardian lists them one by one).
HARMLESS_SUBMODULES: tuple[str, ...] = ("collections.abc", "json.decoder", "json.encoder", "json.scanner")
#: What the guardian lets an ``import`` name: the allowed modules and the harmless submodules.
ALLOWED_IMPORTS: frozenset[str] = ALLOWED_MODULES | frozenset(HARMLESS_SUBMODULES)

#: The worker's only imports outside the standard library (the kernel puts their directories on its path).
WORKER_DEPENDENCIES: tuple[str, ...] = ("RestrictedPython", "ormsgpack")

#: A frame on every socket: this header (the body's length, 4 bytes big-endian), then an ormsgpack map.
HEADER = struct.Struct(">I")

#: A child's requests to the kernel during a run (answered ``{"ok": ...}`` or ``{"error": [type, message]}``).
HOST_OPS: tuple[str, ...] = ("get_slot", "set_slot", "send", "case", "capability")
#: A child's last frame of a run (or of a probe).
FINAL_OPS: tuple[str, ...] = ("result", "raised", "memory", "cpu", "probe")
#: Final frames after which a reusable child may serve another run.
CLEAN_OPS: tuple[str, ...] = ("result", "raised")

#: A child's own exit codes (any other ending is a signal or a crash).
EXIT_SETUP_FAILED = 70  # the jail could not be set up for the run
EXIT_PROTOCOL = 71  # the kernel hung up, or asked a reusable child for what it was not made for
EXIT_CPU = 72  # the method swallowed CpuLimit and ran on past its grace


def whole_cpu_seconds(cpu_seconds: float) -> int:
    """A run's CPU limit as whole seconds, rounded up (RLIMIT_CPU; a reusable child serves one value of it)."""
    return max(1, math.ceil(cpu_seconds))


class _ExpandAugmented(ast.NodeTransformer):
    """``x.a += v`` -> ``x.a = x.a + v`` and ``x[k] += v`` -> ``x[k] = x[k] + v`` (RestrictedPython refuses
    augmented assignment to attributes and items; a plain name's ``n += 1`` it compiles itself).
    Only where the target's parts are names, constants, attributes and subscripts of those, so
    nothing that is evaluated twice can do anything twice."""

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        target = node.target
        if not isinstance(target, (ast.Attribute, ast.Subscript)) or not _plain_reference(target):
            return node
        load = copy.deepcopy(target)
        for sub in ast.walk(load):
            if hasattr(sub, "ctx"):
                sub.ctx = ast.Load()
        value = ast.BinOp(left=load, op=node.op, right=node.value)
        return ast.copy_location(ast.Assign(targets=[target], value=ast.copy_location(value, node)), node)


def _plain_reference(node: ast.AST) -> bool:
    if isinstance(node, (ast.Name, ast.Constant)):
        return True
    if isinstance(node, ast.Attribute):
        return _plain_reference(node.value)
    if isinstance(node, ast.Subscript):
        return _plain_reference(node.value) and _plain_reference(node.slice)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _plain_reference(node.operand)
    return False


def expand_augmented(tree: ast.Module) -> ast.Module:
    """The one rule the guardian and the jail's worker both apply before RestrictedPython compiles a
    method: augmented assignment to an attribute or an item, written out (see :class:`_ExpandAugmented`)."""
    return ast.fix_missing_locations(_ExpandAugmented().visit(tree))
