"""The guardian against real RestrictedPython: what it accepts, every escape it refuses, and why."""

import importlib
import json
import pkgutil
import time
import types

import pytest
import transaction
import ZODB
from RestrictedPython import PrintCollector, safe_builtins
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr

from bat_os.jail import guardian
from bat_os.jail.guardian import (
    ALLOWED_IMPORTS,
    DANGEROUS_ATTRIBUTES,
    FORBIDDEN_NAMES,
    Verdict,
    audit,
    compile_restricted_method,
)
from bat_os.image.objects import _OWN, UvmObject
from bat_os.jail.worker.namespace import KEPT_OUT

TIME = "def report_the_current_system_time(self):\n    import datetime\n    return datetime.datetime.now().isoformat()\n"
LIST_FILES = "def teach_yourself_to_list_files(self):\n    import os\n    return os.listdir('.')\n"

ACCEPTED = {
    "report_the_current_system_time": TIME,
    "stats": (
        "import math\nimport json\n\n"
        "def stats(self, text):\n"
        "    import re\n"
        "    words = re.findall(r'\\w+', text)\n"
        "    return json.dumps({'n': len(words), 'root': math.sqrt(len(words))})\n"
    ),
    "bump": "def bump(self):\n    self.count = self.count + 1\n    return self.count\n",
    "remember": "def remember(self, item):\n    self.items.append(item)\n    return len(self.items)\n",
    "touch": "def touch(self):\n    self._p_changed = True\n",
    "nested": (
        "def nested(self, xs):\n"
        "    def double(x):\n"
        "        return x * 2\n"
        "    return [double(x) for x in xs]\n"
    ),
    "documented": '"""A module docstring."""\n\ndef documented(self):\n    """Say hello."""\n    return f"hello {self.name!r}"\n',
    "log_entry": "def log_entry(self, text):\n    self.log = self.log + [{'text': text}]\n",
    "index_it": "def index_it(self, k, v):\n    self.index = {**self.index, k: v}\n",
    "spin": "def spin(self):\n    while True:\n        pass\n",
    "recurse": "def recurse(self, n):\n    return self.recurse(n - 1) if n else 0\n",
    "big": "def big(self):\n    return [0] * 10**9\n",
    "submodule": "def submodule(self, x):\n    import collections.abc\n    return isinstance(x, collections.abc.Mapping)\n",
    "percent": "def percent(self, x):\n    return '%s and %d' % (x, 3)\n",
    "printer": "def printer(self):\n    print('hi')\n    return printed\n",
    "catch": "def catch(self):\n    try:\n        return 1 / 0\n    except ZeroDivisionError as e:\n        return str(e)\n",
    "kwargs": "def kwargs(self, *args, key=None, **rest):\n    return args, key, rest\n",
    "slot_named_like_a_module": "def slot_named_like_a_module(self):\n    self.numbers = [1, 2]\n    return self.numbers\n",
    "warns": "def warns(self, s):\n    import re\n    return re.findall('\\w+', s), s is 1\n",
    "counter": "def counter(self, k):\n    self.counts[k] = self.counts.get(k, 0) + 1\n    self.history.append((k, 1))\n",
    # the builtins the jail offers (issue 50: every candidate's bin(n)[2:] raised)
    "binary": "def binary(self, n):\n    return bin(n)[2:]\n",
    "formatted": "def formatted(self, x, spec='.2f'):\n    return format(x, spec) + ascii(x)\n",
    "kinds": "def kinds(self, x):\n    return type(x) is int or type(x) in (list, tuple) or isinstance(x, type)\n",
    "lookup": "def lookup(self, x, name):\n    return getattr(x, name, None), getattr(self, 'prices', []), hasattr(x, 'real')\n",
    "buffer": "def buffer(self, n):\n    b = bytearray(n)\n    b[0] = 1\n    return bytes(b), object()\n",
    "own_type": "def own_type(self, a, b):\n    def type(x, y):\n        return x\n    return type(a, b)\n",
}


@pytest.mark.parametrize("selector", sorted(ACCEPTED))
def test_accepted(selector):
    verdict = audit(ACCEPTED[selector], selector)
    assert verdict == Verdict(True, ()), verdict.reasons


# (id, source, expected rule, expected line); the selector is "m" unless the source is a seed scenario.
REFUSED = [
    ("import-os", LIST_FILES, "import", 2),
    ("from-subprocess", "def m(self):\n    from subprocess import run\n    return run(['ls'])\n", "import", 2),
    ("dunder-import", "def m(self):\n    return __import__('os')\n", "forbidden-name", 2),
    ("eval", "def m(self):\n    return eval('1+1')\n", "forbidden-name", 2),
    ("exec", "def m(self):\n    exec('x = 1')\n", "forbidden-name", 2),
    ("open", "def m(self):\n    open('x', 'w').write('owned')\n", "forbidden-name", 2),
    ("getattr-dunder", "def m(self, x):\n    return getattr(x, '__class__')\n", "underscore-attribute", 2),
    ("getattr-add-method", "def m(self):\n    return getattr(self, 'add_method')\n", "dangerous-attribute", 2),
    ("hasattr-frame", "def m(self, g):\n    return hasattr(g, 'gi_frame')\n", "dangerous-attribute", 2),
    ("getattr-error-obj", "def m(self, e):\n    return getattr(e, 'obj', None)\n", "dangerous-attribute", 2),
    ("globals", "def m(self):\n    return globals()\n", "forbidden-name", 2),
    ("subclasses", "def m(self):\n    return ().__class__.__bases__[0].__subclasses__()\n", "underscore-attribute", 2),
    ("dict", "def m(self, x):\n    return x.__dict__\n", "underscore-attribute", 2),
    ("private-slot", "def m(self):\n    return self._secret\n", "underscore-attribute", 2),
    ("other-p-changed", "def m(self, other):\n    other._p_changed = True\n", "underscore-attribute", 2),
    ("read-p-changed", "def m(self):\n    return self._p_changed\n", "underscore-attribute", 2),
    ("gi-frame", "def m(self):\n    g = (i for i in [])\n    return g.gi_frame.f_back\n", "dangerous-attribute", 3),
    ("f-back", "def m(self, frame):\n    return frame.f_back\n", "dangerous-attribute", 2),
    ("tb-frame", "def m(self):\n    try:\n        1 / 0\n    except Exception as e:\n        return e.with_traceback(None).tb_frame\n",
     "dangerous-attribute", 5),
    ("error-obj", "def m(self):\n    try:\n        self.nothing\n    except AttributeError as e:\n        return e.obj\n",
     "dangerous-attribute", 5),
    ("vformat", "import string\ndef m(self, x):\n    return string.Formatter().vformat('{0.__class__}', [x], {})\n", "format-attribute", 3),
    ("type-3-args", "def m(self):\n    return type('X', (), {'__eq__': len})\n", "forbidden-name", 2),
    ("type-starred", "def m(self, args):\n    return type(*args)\n", "forbidden-name", 2),
    ("vars", "def m(self, x):\n    return vars(x)\n", "forbidden-name", 2),
    ("compile", "def m(self):\n    return compile('1', 'f', 'eval')\n", "forbidden-name", 2),
    ("two-functions", "def m(self):\n    return 1\n\ndef other(self):\n    return 2\n", "single-function", 4),
    ("class", "class M:\n    pass\n\ndef m(self):\n    return 1\n", "single-function", 1),
    ("nested-class", "def m(self):\n    class Box:\n        pass\n    return Box\n", "class", 2),
    ("wrong-name", "def n(self):\n    return 1\n", "single-function", 1),
    ("not-self", "def m(this):\n    return this\n", "self-first", 1),
    ("no-params", "def m():\n    return 1\n", "self-first", 1),
    ("rebind-self", "def m(self, other):\n    self = other\n", "self-first", 2),
    ("top-level-statement", "x = 1\n\ndef m(self):\n    return x\n", "single-function", 1),
    ("top-level-lambda", "m = lambda self: 1\n", "single-function", 1),
    ("async", "async def m(self):\n    return 1\n", "async", 1),
    ("await", "def m(self):\n    async def inner():\n        await inner()\n", "async", 3),
    ("decorator", "import functools\n\n@functools.lru_cache\ndef m(self):\n    return 1\n", "decorator", 3),
    ("syntax", "def m(self):\n    return (1,\n\nx = ]\n", "syntax", 4),
    # parses, but does not compile: refused, never an internal error (a planner's helper came out so, and its cycle
    # ended "internal error: SyntaxError")
    ("return-outside", "def m(self):\n    total = 1\nreturn total\n", "syntax", 3),
    ("break-outside", "def m(self):\n    break\n", "syntax", 2),
    ("except-star", "def m(self):\n    try:\n        pass\n    except* ValueError:\n        pass\n", "except-star", 2),
    ("ctypes", "def m(self):\n    import ctypes\n", "import", 2),
    ("importlib", "import importlib\n\ndef m(self):\n    return importlib.import_module('os')\n", "import", 1),
    ("relative", "def m(self):\n    from . import x\n", "import", 2),
    ("os-path", "def m(self):\n    import os.path\n", "import", 2),
    ("json-tool", "def m(self):\n    import json.tool\n", "import", 2),
    ("from-json-tool", "def m(self):\n    from json import tool\n    return tool.main()\n", "dangerous-attribute", 2),
    ("star-import", "def m(self):\n    from math import *\n", "import", 2),
    ("underscore-alias", "def m(self):\n    import math as _m\n", "underscore-name", 2),
    ("underscore-local", "def m(self):\n    _x = 1\n", "underscore-name", 2),
    ("builtins-name", "def m(self):\n    return __builtins__\n", "underscore-name", 2),
    ("fractions-sys", "def m(self):\n    import fractions\n    return fractions.sys.modules['os']\n", "dangerous-attribute", 3),
    ("datetime-sys", "def m(self):\n    import datetime\n    return datetime.sys\n", "dangerous-attribute", 3),
    ("json-codecs", "def m(self):\n    import json\n    return json.codecs.open('x', 'w')\n", "dangerous-attribute", 3),
    ("enum-builtins", "def m(self):\n    import re\n    return re.enum.bltns.eval('1')\n", "dangerous-attribute", 3),
    ("attrgetter", "def m(self):\n    import operator\n    return operator.attrgetter('__class__')(self)\n", "dangerous-attribute", 3),
    ("from-attrgetter", "def m(self):\n    from operator import methodcaller\n", "dangerous-attribute", 2),
    ("string-formatter", "def m(self):\n    import string\n    return string.Formatter().get_field('0.__class__', [self], {})\n",
     "dangerous-attribute", 3),
    ("fstring-walk", "def m(self):\n    return f'{self.__class__}'\n", "underscore-attribute", 2),
    ("mro", "def m(self):\n    return str.mro()[-1]\n", "dangerous-attribute", 2),
    ("super-init-subclass", "def m(self):\n    return super().__init_subclass__\n", "underscore-attribute", 2),
    ("object-subclasses", "def m(self):\n    return object.__subclasses__()\n", "underscore-attribute", 2),
    ("memoryview", "def m(self, b):\n    return memoryview(b)\n", "forbidden-name", 2),
    ("breakpoint", "def m(self):\n    breakpoint()\n", "forbidden-name", 2),
    ("dir", "def m(self):\n    return dir(self)\n", "forbidden-name", 2),
    ("setattr", "def m(self):\n    setattr(self, 'x', 1)\n", "forbidden-name", 2),
    ("global", "def m(self):\n    global cache\n    cache = 1\n", "covenant", 2),
    ("store-lambda", "def m(self):\n    self.hook = lambda: 1\n", "covenant", 2),
    ("store-module", "def m(self):\n    import math\n    self.lib = math\n", "covenant", 3),
    ("store-generator", "def m(self):\n    self.gen = (i for i in range(3))\n", "covenant", 2),
    ("write-slots", "def m(self):\n    self.slots['x'] = 1\n", "covenant", 2),
    ("rebind-parents", "def m(self):\n    self.parents = []\n", "covenant", 2),
    ("data-bypass", "def m(self):\n    self.items.data.append(1)\n", "covenant", 2),
    ("slots-pop", "def m(self):\n    self.slots.pop('name')\n", "covenant", 2),
    ("slots-del", "def m(self):\n    del self.slots['name']\n", "covenant", 2),
    ("add-method", "def m(self):\n    self.add_method('x', 'def x(self):\\n    import os')\n", "dangerous-attribute", 2),
    ("augmented-attribute", "def m(self):\n    self.counts[self.key()] += 1\n", "restricted", 2),  # a call in the target: not written out
    ("match", "def m(self, x):\n    match x:\n        case _:\n            pass\n", "restricted", 2),
    ("nonlocal", "def m(self):\n    n = 0\n    def inc():\n        nonlocal n\n        n = 1\n", "restricted", 4),
    ("assign-print", "def m(self):\n    print = 1\n", "restricted", 2),
]


@pytest.mark.parametrize(("source", "rule", "line"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_refused(source, rule, line):
    selector = "teach_yourself_to_list_files" if source is LIST_FILES else "m"
    verdict = audit(source, selector)
    assert verdict.accepted is False
    assert (rule, line) in {(r.rule, r.line) for r in verdict.reasons}, verdict.reasons
    assert all(r.message for r in verdict.reasons)


def test_the_corpus_is_large_and_distinct():
    sources = [r[1] for r in REFUSED]
    assert len(set(sources)) == len(sources) >= 30


def test_the_seed_scenario_names_the_module_and_the_allowlist():
    (reason,) = audit(LIST_FILES, "teach_yourself_to_list_files").reasons
    assert reason.rule == "import" and reason.line == 2
    assert "'os'" in reason.message and "datetime" in reason.message and "math" in reason.message


def test_all_reasons_are_collected_with_their_lines():
    source = "def m(self):\n    import os\n    x = eval('1')\n    return self._secret\n"
    verdict = audit(source, "m")
    assert [(r.rule, r.line) for r in verdict.reasons] == [
        ("import", 2),
        ("forbidden-name", 3),
        ("underscore-attribute", 4),
    ]


def test_structure_problems_are_reported_together():
    source = "x = 1\n\nclass C:\n    pass\n\ndef m(this):\n    return 1\n\ndef m(self):\n    return 2\n"
    rules = [(r.rule, r.line) for r in audit(source, "m").reasons]
    assert rules == [("single-function", 1), ("single-function", 3), ("self-first", 6), ("single-function", 9)]


def test_reasons_are_ordered_by_line_then_column():
    source = "def m(self, g):\n    return g.gi_frame.f_back, open\n"
    assert [r.message.split("'")[1] for r in audit(source, "m").reasons] == ["f_back", "gi_frame", "open"]


def test_restricted_python_twins_are_not_reported_twice():
    # RestrictedPython refuses these too; one reason each, ours.
    for source, rule in [
        ("def m(self, o):\n    return o._x\n", "underscore-attribute"),
        ("def m(self):\n    return eval('1')\n", "forbidden-name"),
        ("def m(self, g):\n    return g.gi_frame\n", "dangerous-attribute"),
        ("def m(self):\n    try:\n        pass\n    except* ValueError:\n        pass\n", "except-star"),
        ("async def m(self):\n    return 1\n", "async"),
    ]:
        assert [r.rule for r in audit(source, "m").reasons] == [rule], source


def test_restricted_python_refusals_become_reasons():
    (reason,) = audit("def m(self):\n    x = 1\n    self.count[self.key()] += x\n", "m").reasons
    assert reason.rule == "restricted" and reason.line == 3
    assert "Augmented assignment" in reason.message and "x.a = x.a + 1" in reason.message


def test_syntax_error_reports_its_line_only():
    verdict = audit("def m(self):\n    return 1\n  oops(\n", "m")
    assert [(r.rule, r.line) for r in verdict.reasons] == [("syntax", 3)]


def test_null_bytes_are_a_syntax_error():
    assert [r.rule for r in audit("def m(self):\n    return '\0'\x00\n", "m").reasons] == ["syntax"]


def test_too_large_is_refused_before_parsing():
    (reason,) = audit("def m(self):\n" + "    x = 1\n" * 3000 + "import os\n", "m").reasons
    assert (reason.rule, reason.line) == ("too-large", None) and "20000" in reason.message


def test_bad_selector_is_refused():
    assert "selector" in {r.rule for r in audit("def _m(self):\n    return 1\n", "_m").reasons}


def test_source_must_be_text():
    with pytest.raises(TypeError):
        audit(b"def m(self): pass", "m")


def test_verdict_to_dict_is_json():
    verdict = audit(LIST_FILES + "x = 1\n", "teach_yourself_to_list_files")
    data = json.loads(json.dumps(verdict.to_dict()))
    assert data["accepted"] is False
    assert data["reasons"][0] == {"rule": "import", "line": 2, "message": verdict.reasons[0].message}
    assert {r["rule"] for r in data["reasons"]} == {"import", "single-function"}
    assert json.loads(json.dumps(audit(TIME, "report_the_current_system_time").to_dict())) == {"accepted": True, "reasons": []}


def _run(code, name, receiver, *args):
    """Run compiled code the way a jail would: RestrictedPython's guards, a permissive _write_."""
    env = {
        "__builtins__": {**safe_builtins, "__import__": __import__, "max": max, "list": list},
        "_getattr_": safer_getattr, "_getitem_": lambda o, k: o[k], "_getiter_": iter, "_write_": lambda o: o,
        "_print_": PrintCollector, "_inplacevar_": lambda op, x, y: x + y if op == "+=" else None,
        "_unpack_sequence_": guarded_unpack_sequence, "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_apply_": lambda f, *a, **k: f(*a, **k),
    }
    exec(code, env)  # noqa: S102 - audited code under RestrictedPython's guards, in a test
    return env[name](receiver, *args)


def test_compile_restricted_method_returns_runnable_code():
    code = compile_restricted_method(TIME, "report_the_current_system_time")
    assert isinstance(code, types.CodeType)
    assert _run(code, "report_the_current_system_time", UvmObject())[:2] == "20"
    obj = UvmObject({"count": 1, "items": []})
    assert _run(compile_restricted_method(ACCEPTED["bump"], "bump"), "bump", obj) == 2
    assert _run(compile_restricted_method(ACCEPTED["remember"], "remember"), "remember", obj, "x") == 1
    _run(compile_restricted_method(ACCEPTED["touch"], "touch"), "touch", obj)  # _write_(self)._p_changed = True
    assert _run(compile_restricted_method(ACCEPTED["printer"], "printer"), "printer", obj) == "hi\n"


def test_compile_restricted_method_raises_for_refused_source():
    with pytest.raises(ValueError, match="'os'"):
        compile_restricted_method(LIST_FILES, "teach_yourself_to_list_files")
    with pytest.raises(ValueError, match="Augmented assignment"):
        compile_restricted_method("def m(self):\n    self.n[self.key()] += 1\n", "m")
    # a plain one is written out (contract.expand_augmented), not refused
    compile_restricted_method("def m(self):\n    self.n += 1\n", "m")
    with pytest.raises(ValueError, match="does not parse"):
        compile_restricted_method("def m(self:\n", "m")


def test_compiled_code_expects_only_the_known_guards():
    source = (
        "def m(self, xs):\n    n = 0\n    n += 1\n    for a, b in xs:\n        n = n + a\n"
        "    c, d = xs[0]\n    print(c)\n    self.v = max(*xs)\n    return printed\n"
    )
    names = set()

    def walk(code):
        names.update(n for n in code.co_names if n.startswith("_"))
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                walk(const)

    walk(compile_restricted_method(source, "m"))
    assert names == {"_apply_", "_call_print", "_getattr_", "_getitem_", "_getiter_", "_inplacevar_",
                     "_iter_unpack_sequence_", "_print_", "_unpack_sequence_", "_write_"}


def test_allowed_modules_reach_no_other_module_but_through_a_dangerous_attribute():
    """Every module reachable by public attributes from an allowed one is allowed, or its attribute is refused."""
    seen, queue, leaks = set(), [importlib.import_module(m) for m in ALLOWED_IMPORTS], []
    while queue:
        module = queue.pop()
        if module.__name__ in seen:
            continue
        seen.add(module.__name__)
        for name, value in vars(module).items():
            if isinstance(value, types.ModuleType) and not name.startswith("_"):
                if value.__name__ not in ALLOWED_IMPORTS and name not in DANGEROUS_ATTRIBUTES:
                    leaks.append(f"{module.__name__}.{name}")
                if value.__name__ in ALLOWED_IMPORTS:
                    queue.append(value)
    for package in [m for m in ALLOWED_IMPORTS if hasattr(importlib.import_module(m), "__path__")]:
        for sub in pkgutil.iter_modules(importlib.import_module(package).__path__):
            if not sub.name.startswith("_") and f"{package}.{sub.name}" not in ALLOWED_IMPORTS:
                assert sub.name in DANGEROUS_ATTRIBUTES, f"from {package} import {sub.name}"
    assert leaks == []


def test_lists_agree_with_the_object_model_and_restricted_python():
    assert guardian.OWN_ATTRIBUTES == _OWN
    assert {"gi_frame", "f_back", "tb_frame", "obj", "sys"} <= DANGEROUS_ATTRIBUTES
    assert {"eval", "exec", "compile", "open", "vars", "__import__"} <= FORBIDDEN_NAMES
    # what the jail keeps out the guardian refuses (aiter, anext: async code is refused anyway); what it offers, not
    assert set(KEPT_OUT) - {"aiter", "anext"} <= FORBIDDEN_NAMES
    assert not FORBIDDEN_NAMES & {"getattr", "hasattr", "type", "super", "object", "format", "bin", "bytearray",
                                  "property", "staticmethod", "classmethod"}
    assert "os" not in ALLOWED_IMPORTS and "datetime" in ALLOWED_IMPORTS


def test_containers_put_into_slots_are_accepted_because_the_model_converts_them():
    """'self.log.append({...})' is fine: the slot's container converts the new dict, so
    a later in-place change to it reaches the image."""
    for source in ("def m(self):\n    self.log.append({'a': 1})\n",
                   "def m(self, k, v):\n    self.index.setdefault(k, []).append(v)\n",
                   "def m(self):\n    self.rows.extend([[1], [2]])\n"):
        assert audit(source, "m").accepted, source
    db = ZODB.DB(None)
    try:
        conn = db.open()
        conn.root()["obj"] = obj = UvmObject({"log": []})
        transaction.commit()
        obj.log.append({"n": 1})
        transaction.commit()
        obj.log[0]["n"] = 2  # a later method changes the record in place
        transaction.commit()
        fresh = db.open()
        assert fresh.root()["obj"].log[0]["n"] == 2
        fresh.close()
        conn.close()
    finally:
        transaction.abort()
        db.close()


def test_audit_is_fast():
    audit(TIME, "report_the_current_system_time")
    best = min(_timed(TIME) for _ in range(20))
    assert best < 0.005, f"{best * 1000:.2f} ms"


def _timed(source):
    start = time.perf_counter()
    audit(source, "report_the_current_system_time")
    return time.perf_counter() - start


def test_slots_read_names_what_self_is_read_for_or_none_when_it_may_be_anything():
    from bat_os.jail.guardian import slots_read

    assert slots_read("def f(self, v):\n    return {'args': [v], 'name': self.name}\n") == {"name"}
    assert slots_read("def f(self):\n    self.n = self.n + 1\n    return self['prices'][0] + len(self.a.b)\n") == {"n", "prices", "a"}
    assert slots_read("def f(x):\n    return x + 1\n") == frozenset()
    for anything in ("def f(self):\n    return helper(self)\n",  # passed on
                     "def f(self, k):\n    return self[k]\n",  # a computed key
                     "def f(self):\n    return self.total() + self.n\n",  # a method sent: it reads what it reads
                     "def f(self):\n    s = self\n    return s.n\n",
                     "def f(self:\n"):  # does not parse
        assert slots_read(anything) is None, anything
