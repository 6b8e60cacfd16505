"""The package's layout: sub-packages by concern, imports that only go down, no cycle, small modules.

Each sub-package's ``__init__`` says what it may import; :data:`MAY_IMPORT`
is the same, checked. Imports under ``if TYPE_CHECKING:`` are types only and
do not count; imports inside functions do (they run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import bat_os

PACKAGE = Path(bat_os.__file__).resolve().parent
MAX_LINES = 500
#: Modules allowed past MAX_LINES: data tables (and what they hold).
DATA_TABLES: dict[str, str] = {}

BASE = {"bat_os", "bat_os.errors", "bat_os.protocol", "bat_os.config", "bat_os.oscompat"}
#: concern -> the concerns (beside the base modules) its modules may import.
MAY_IMPORT: dict[str, set[str]] = {
    "bat_os.image": {"bat_os.image"},
    "bat_os.jail": {"bat_os.jail"},
    "bat_os.translate": {"bat_os.translate"},
    "bat_os.memory": {"bat_os.memory", "bat_os.image"},
    "bat_os.models": {"bat_os.models", "bat_os.image"},
    "bat_os.cognition": {"bat_os.cognition", "bat_os.image", "bat_os.jail", "bat_os.memory", "bat_os.models"},
    "bat_os.supervise": {"bat_os.supervise", "bat_os.image"},
    "bat_os.forge": {"bat_os.forge", "bat_os.image", "bat_os.models", "bat_os.cognition"},
    "bat_os.kernel": {"bat_os.kernel", "bat_os.image", "bat_os.jail", "bat_os.memory", "bat_os.models",
                      "bat_os.cognition", "bat_os.translate", "bat_os.supervise", "bat_os.forge"},
    "bat_os.cli": {"bat_os.cli", "bat_os.kernel", "bat_os.image", "bat_os.jail", "bat_os.memory", "bat_os.models",
                   "bat_os.cognition", "bat_os.translate", "bat_os.supervise", "bat_os.forge"},
    "bat_os.console": {"bat_os.console", "bat_os.translate"},
    "bat_os.web": {"bat_os.web", "bat_os.console", "bat_os.translate"},
}
#: The modules that assemble the world: they create the persistent objects of other concerns.
ASSEMBLERS: dict[str, set[str]] = {
    "bat_os.image.migrations": {"bat_os.memory.catalog", "bat_os.cognition.cycle.record", "bat_os.models.records"},
    "bat_os.image.primordial": {"bat_os.memory.catalog", "bat_os.cognition.cycle.states"},
}
#: What the base modules may import of each other.
BASE_IMPORTS = {"bat_os.config": {"bat_os.errors", "bat_os.protocol"}}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING":
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The bat_os modules ``path`` imports (resolving ``from pkg import module``)."""
    tree = ast.parse(path.read_text())
    skip = _type_checking_lines(tree)
    me = _module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("bat_os"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([node.module] if node.module else []))
            if not base.startswith("bat_os"):
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in modules else base)
    return found


def _graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {name: {m for m in _imports(path, modules) if m != name} for name, path in paths.items()}


def _concern(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 and f"{parts[0]}.{parts[1]}" in MAY_IMPORT else module


def test_no_import_cycle():
    graph = _graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                cycles.append(trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_imports_only_go_down():
    wrong = []
    for module, imported in sorted(_graph().items()):
        concern = _concern(module)
        for target in sorted(imported):
            if target in BASE or _concern(target) == concern:
                if module in BASE and target in BASE and target != "bat_os" and target not in BASE_IMPORTS.get(module, set()):
                    wrong.append(f"{module} -> {target}")
                continue
            if module in BASE:
                wrong.append(f"{module} -> {target}")
            elif _concern(target) in MAY_IMPORT.get(concern, set()) or target in ASSEMBLERS.get(module, set()):
                continue
            else:
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_every_subpackage_says_what_lives_there_and_what_it_may_import():
    for init in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert len(doc) > 40, f"{init.relative_to(PACKAGE)} has no docstring"
        if init.parent != PACKAGE and init.parent.name not in ("commands", "console", "worker"):
            assert "import" in doc.lower(), f"{init.relative_to(PACKAGE)} does not say what it may import"


def test_no_module_over_the_limit_except_data_tables():
    big = {}
    for path in PACKAGE.rglob("*.py"):
        lines = len(path.read_text().splitlines())
        name = _module_name(path)
        if lines > MAX_LINES and name not in DATA_TABLES:
            big[name] = lines
    assert big == {}, f"over {MAX_LINES} lines: {big}"


def test_no_flat_module_sprawl():
    """Beside the sub-packages, only the base modules sit at the top of the package."""
    top = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert top == {name.rpartition(".")[2] for name in BASE if name != "bat_os"}


def _code_strings(tree: ast.Module) -> list[ast.Constant]:
    """The string constants of a module's code: every one but the docstrings (which may cite a benchmark)."""
    docs = {id(body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and (body := node.body) and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)}
    return [node for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs]


def _reads_bench(source: str) -> list[int]:
    """Lines whose code (not a comment, not a docstring) names the ``bench/`` folder or a learning task file."""
    return [node.lineno for node in _code_strings(ast.parse(source))
            if node.value == "bench" or node.value.startswith("bench/") or "learning_tasks" in node.value]


def test_no_module_reads_the_benchmarks():
    """The package runs without ``bench/``: what it needs from there (the forge gate's tasks) is package data."""
    readers = {}
    for path in PACKAGE.rglob("*.py"):
        lines = _reads_bench(path.read_text())
        if lines:
            readers[_module_name(path)] = lines
    assert readers == {}


def test_the_bench_reader_check_sees_a_path_built_from_bench_and_not_a_docstring():
    assert _reads_bench('"""See bench/perf/bench_send.py."""\nROOT = 1\n') == []
    assert _reads_bench('x = ROOT / "bench" / "tasks"\n') == [1]
    assert _reads_bench('def f():\n    """bench/x"""\n    return open("bench/tasks/learning_tasks.jsonl")\n') == [3]


def test_the_signposts_name_every_subpackage_and_every_cognition_room_and_module_and_nothing_else():
    """``bat_os``'s docstring lists its sub-packages; ``cognition``'s its rooms (``name/`` at a line's start); each
    room's lists its modules (``name`` at a line's start)."""
    import importlib
    import re

    import bat_os.cognition

    subpackages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    listed = set(re.findall(r"^\s{4}(\w+)/", bat_os.__doc__, re.M))
    assert listed == subpackages
    rooms = {p.parent.name for p in (PACKAGE / "cognition").glob("*/__init__.py")}
    assert set(re.findall(r"^\s{4}(\w+)/", bat_os.cognition.__doc__, re.M)) == rooms == set(ROOMS)
    assert not [p.name for p in (PACKAGE / "cognition").glob("*.py") if p.name != "__init__.py"], "modules belong in rooms"
    for room in rooms:
        modules = {p.stem for p in (PACKAGE / "cognition" / room).glob("*.py")} - {"__init__"}
        named = set(re.findall(r"^``(\w+)``\s{2,}", importlib.import_module(f"bat_os.cognition.{room}").__doc__, re.M))
        assert named == modules, room


#: The cognition wing's rooms, and the other rooms each may import (its ``__init__`` says the same).
ROOMS: dict[str, set[str]] = {
    "judge": set(),
    "author": {"judge"},
    "methods": {"judge", "author"},
    "trial": {"judge", "author", "methods"},
    "cycle": {"judge", "author", "methods", "trial"},
}
WING_LINES, WING_MODULES = 5000, 20  # the wing, read top to bottom in an afternoon


def test_the_wing_s_rooms_import_only_the_rooms_below_them():
    graph = _graph()
    wrong = []
    for module, imported in sorted(graph.items()):
        if not module.startswith("bat_os.cognition."):
            continue
        room = module.split(".")[2]
        for target in imported:
            if target.startswith("bat_os.cognition.") and (other := target.split(".")[2]) != room and other not in ROOMS[room]:
                wrong.append(f"{module} -> {target}")
        if room == "judge":  # pure: nothing of the image, the jail, the models or the memory
            wrong += [f"{module} -> {t}" for t in imported if not t.startswith(("bat_os.cognition.judge", "bat_os.errors"))]
    assert wrong == []


def test_the_wing_is_at_most_5000_lines_in_at_most_20_modules_besides_its_coverage():
    """The size the pipeline left it (issue 63), plus the coverage module (issue 64), itself under the module limit."""
    files = [p for p in (PACKAGE / "cognition").rglob("*.py") if p.name != "coverage.py"]
    modules = [p for p in files if p.name != "__init__.py"]
    lines = sum(len(p.read_text().splitlines()) for p in files)
    assert len(modules) <= WING_MODULES - 1 and lines <= WING_LINES, (len(modules), lines)


#: Underscored names that are public API: an AST node class's fields, a named tuple's methods.
PUBLIC_UNDERSCORED = {"_fields", "_replace", "_asdict"}


def _private_reads(source: str) -> list[str]:
    """Where a module reads another's private names: ``x._name`` on anything but ``self``/``cls`` (ZODB's ``_p_``
    attributes are its public API), or ``from m import _name``."""
    found = []
    for node in sorted(ast.walk(ast.parse(source)), key=lambda n: getattr(n, "lineno", 0)):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith(("__", "_p_"))
                and node.attr not in PUBLIC_UNDERSCORED
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bat_os"):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if a.name.startswith("_")]
    return found


def test_no_module_of_the_wing_reads_another_s_private_names():
    wrong = {str(p.relative_to(PACKAGE)): found for p in (PACKAGE / "cognition").rglob("*.py")
             if (found := _private_reads(p.read_text()))}
    assert wrong == {}


def test_the_private_reads_check_sees_attributes_and_imports_but_not_self_or_zodb():
    assert _private_reads("o._askers\nself._x\nroot._p_jar\nfrom bat_os.x import _y, z\n") == [
        "line 1: ._askers", "line 4: import _y"]


def test_one_function_makes_a_call_s_key():
    """Calls are compared by one key (``judge.cases.key``): no other code of the wing writes a call's arguments out
    as JSON to compare it."""
    makers = []
    for path in (PACKAGE / "cognition").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "dumps" and node.args
                    and isinstance(node.args[0], (ast.List, ast.Tuple))):
                text = ast.unparse(node.args[0])
                if "args" in text and "kwargs" in text:
                    makers.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert makers == ["cognition/judge/cases.py:" + str(_key_line())]


def _key_line() -> int:
    tree = ast.parse((PACKAGE / "cognition" / "judge" / "cases.py").read_text())
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "key")
    return next(n.lineno for n in ast.walk(function) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "dumps")


#: Benchmark task ids that are also names outside the benchmark: library API (``Counter.most_common``,
#: ``load_state_dict(...).missing_keys``) and the protocol's own example selector, older than the benchmark.
NOT_TASK_NAMES = {"most_common", "missing_keys", "report_the_current_system_time"}
BENCHMARK_WORDS = r"\bissue\s*#?\d+|\bnovel\d*\b|learning_tasks|\bthe 51\b"


def _naming_benchmarks(text: str, task_ids: set[str]) -> list[int]:
    """Lines naming an issue, a task file or a benchmark task (an id with an underscore: the single words are
    ordinary words too)."""
    import re

    names = re.compile(BENCHMARK_WORDS + (r"|\b(" + "|".join(map(re.escape, sorted(task_ids))) + r")\b" if task_ids else ""), re.I)
    return [n for n, line in enumerate(text.splitlines(), 1) if names.search(line)]


def test_no_line_of_the_package_names_a_benchmark_task_a_task_file_or_an_issue():
    """A rule is stated as a rule, with its reason; which task it came from belongs in the journal."""
    import json
    import re

    sources = {path: path.read_text() for path in PACKAGE.rglob("*.py")}
    own = {name for text in sources.values() for name in re.findall(r"^\s*def (\w+)", text, re.M)}
    tasks = {json.loads(line)["id"] for path in (PACKAGE.parent / "bench" / "tasks").glob("*.jsonl")
             for line in path.read_text().splitlines() if line.strip()}
    ids = {t for t in tasks if "_" in t} - own - NOT_TASK_NAMES
    named = {str(path.relative_to(PACKAGE)): lines for path, text in sources.items()
             if (lines := _naming_benchmarks(text, ids))}
    assert named == {}


def test_the_benchmark_name_check_sees_issues_task_files_and_task_ids():
    ids = {"clear_scores"}
    assert _naming_benchmarks("x = 1  # as issue 39 found\n", ids) == [1]
    assert _naming_benchmarks("ok\n# from novel12\n", ids) == [2]
    assert _naming_benchmarks('"""clear_scores answering 0"""\n', ids) == [1]
    assert _naming_benchmarks("scores = clear(scores)\nthe issue at hand\n", ids) == []
