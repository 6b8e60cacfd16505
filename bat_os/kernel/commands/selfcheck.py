"""The ``selfcheck`` command: is this image fit to serve with this code?

The watchdog's upgrade gate (``min_watchdog_service.py``) asks a freshly
started kernel ``ping``, ``status`` and then ``selfcheck``. It confirms:

* the image is open and its root readable (the kernel would not answer otherwise);
* every migration this code knows has run: the image's schema version is the
  newest migration's, not older (an interrupted awakening) and not newer (an
  image written by a later kernel, which this code cannot read safely);
* every method installed in the image still compiles with this code:
  ``system`` methods with Python's compiler, ``generated`` methods through the
  guardian's audit and RestrictedPython (exactly what the jail runs).

With ``"tests": true`` it also runs every generated method's stored tests (its
examples and the cases it passed when it was learned) in the jail, against the
objects as they are now (:mod:`bat_os.cognition.methods.tests`; nothing they do is
kept): a case that no longer holds is a failure (``"check": "tests"``), and
the report says ``"tests": {"methods": n, "cases": n, "failures": n}``.

Methods are found by walking the object graph from the image's root through
:class:`~bat_os.image.objects.UvmObject` slots and parents, and through the plain
containers (lists, mappings, tuples) that slots hold. Other persistent classes
(the knowledge catalog's indexes, the model store) hold no methods and are not
entered, so the walk's cost follows the number of prototype objects, not the
size of the catalog.

Wire::

    {"command": "selfcheck", "tests"?: true}
    -> {"status": "ok", "result": {"healthy": true, "schema_version": 5, "expected_schema_version": 5,
                                  "migrations": [...], "objects": 12, "methods": 9, "failures": []}}
    -> {"status": "error", "error": {"code": "self_check_failed", "message": "...", "failures": [...], ...}}
"""

from __future__ import annotations

import logging
from typing import Any

from bat_os.jail.guardian import compile_restricted_method
from bat_os.cognition.methods.tests import rerun, stored_tests
from bat_os.kernel.commands.base import Command, Context, Later, field
from bat_os.errors import Internal, SelfCheckFailed
from bat_os.image.image import MIGRATION_LOG_KEY, Image
from bat_os.image.migrations import newest_version
from bat_os.image.objects import Method, UvmObject, compile_method
from bat_os.image.walk import prototypes

logger = logging.getLogger(__name__)

#: Failures listed in one reply at most (the count is always exact).
MAX_LISTED = 50


def check(image: Image) -> dict:
    """Run every check against the image's current state (read only). Returns the report."""
    root = image.connection.root()
    expected = newest_version()
    version = image.schema_version
    failures: list[dict] = []
    if version < expected:
        failures.append({"check": "migrations", "message": f"the image is at schema version {version}; this kernel's migrations reach {expected}"})
    elif version > expected:
        failures.append({"check": "migrations", "message": f"the image is at schema version {version}, newer than this kernel knows ({expected}): it was written by a later kernel"})
    objects = methods = 0
    for obj, where in prototypes(root):
        objects += 1
        for selector, method in sorted(obj.own_methods().items()):
            methods += 1
            problem = _compile_problem(method)
            if problem is not None:
                failures.append({"check": "method", "object": where, "selector": selector, "origin": method.origin, "message": problem})
    log = root.get(MIGRATION_LOG_KEY) or []
    return {
        "healthy": not failures,
        "schema_version": version,
        "expected_schema_version": expected,
        "migrations": [dict(entry) for entry in log],
        "objects": objects,
        "methods": methods,
        "failures": failures,
    }


def _compile_problem(method: Method) -> str | None:
    """None when the method compiles as it would run; otherwise why not."""
    try:
        if method.origin == "system":
            compile_method(method.selector, method.source)  # not method.compile(): no cached function
        else:
            compile_restricted_method(method.source, method.selector)
    except Exception as exc:  # a report, not a crash: every failing method is listed
        return f"{type(exc).__name__}: {exc}"
    return None


def tested_methods(root: Any) -> list[tuple[bytes, str, str]]:
    """(object id, where, selector) of every generated method that keeps stored tests."""
    return [(obj._p_oid, where, selector) for obj, where in prototypes(root)
            for selector, method in sorted(obj.own_methods().items())
            if method.origin == "generated" and stored_tests(method)]


def selfcheck(ctx: Context, request: dict) -> Any:
    report = check(ctx.image)
    if field(request, "tests", bool, default=False):
        if ctx.cognition is None:
            raise Internal("this process runs no jail: the methods' tests cannot run here")
        targets = tested_methods(ctx.image.connection.root())
        cognition = ctx.cognition

        async def with_tests(call: Any) -> dict:
            ran, failures = await rerun(cognition.image, cognition.jail, targets, cognition.capabilities_for)
            report["tests"] = {"methods": len(targets), "cases": ran, "failures": len(failures)}
            report["failures"] = report["failures"] + failures
            report["healthy"] = not report["failures"]
            return _verdict(report)

        return Later(with_tests)
    return _verdict(report)


def _verdict(report: dict) -> dict:
    """The report, or SelfCheckFailed listing its failures."""
    if not report["healthy"]:
        listed = report["failures"][:MAX_LISTED]
        first = listed[0]
        logger.error("selfcheck failed: %d problem(s); first: %s", len(report["failures"]), first["message"])
        raise SelfCheckFailed(
            f"{len(report['failures'])} problem(s); first: {first.get('object', '')}{'.' + first['selector'] if 'selector' in first else ''} {first['message']}".strip(),
            failures=listed,
            failure_count=len(report["failures"]),
            schema_version=report["schema_version"],
            expected_schema_version=report["expected_schema_version"],
        )
    return report


COMMANDS = (Command("selfcheck", selfcheck, writes=False),)
