"""A method a model wrote inside a class of its own, taken out of it (one rule, for every candidate).

Models wrap the method they were asked for in a class and show it off below:
a small model wrote about one candidate in seven so,
and a larger one does it at its first answer more often than not. Two shapes:

- **the method takes the call's arguments** (``class Solution: def scale(self,
  number, factor)``, then ``print(Solution().scale(15, 2))``): the method
  is taken out as it is (a ``@staticmethod`` loses its decorator, and
  :mod:`bat_os.cognition.mending` gives it ``self``); the class's other members
  go with it, and what follows the class goes with the rest of what a model
  shows off;
- **the constructor takes them** (``class Rectangle: def __init__(self,
  width, height): self.width = width ...`` and ``def area(self): return
  self.width * self.height``): the call ``obj.area(3, 4)``
  gives the method its arguments, so the constructor's parameters become the
  method's and what the constructor kept on ``self`` becomes local names. Only
  where the constructor takes exactly the call's arguments and does nothing but
  keep values on ``self``, the two take the call's arguments between them (the
  constructor's first: ``Date(text).shift(n)`` is ``shift(text, n)``), the
  method reads nothing else of ``self`` and changes nothing the constructor
  kept, and none of those names is one of the receiver's own slots; anything
  else is lifted as it is, for the trial to judge.

:func:`lift` works on the parsed reply and gives back the method as a tree;
:func:`bat_os.cognition.mending.candidate_code` puts it in the place of its class,
keeps what it names, and writes the candidate out.
"""

from __future__ import annotations

import ast
import copy


def lift(tree: ast.Module, selector: str, arity: int | None = None,
         slots: set[str] | frozenset[str] = frozenset()) -> tuple[ast.ClassDef, ast.FunctionDef, str] | None:
    """``def selector`` taken out of the first class of ``tree`` that has it -> (the class, the method as a
    top-level function, what was done: ``"class X: lifted"`` or ``"class X: lifted, its constructor's parameters
    made the method's"``); None where a top-level function has the name or no class has it. The tree is left as
    it is. ``arity``: the call's argument count (None: the constructor is never read); ``slots``: the
    receiver's slot names."""
    if any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == selector for n in tree.body):
        return None
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        if not any(isinstance(m, ast.FunctionDef) and m.name == selector for m in node.body):
            continue
        cls = copy.deepcopy(node)  # what follows rewrites the method's nodes; the tree is left as it is
        method = next(m for m in cls.body if isinstance(m, ast.FunctionDef) and m.name == selector)
        inlined = _fed_by_constructor(cls, method, arity, slots)
        if inlined is not None:
            return node, inlined, f"class {node.name}: lifted, its constructor's parameters made the method's"
        # a @staticmethod's decorator goes (mending gives it self); any other stays for the guardian
        method.decorator_list = [d for d in method.decorator_list if not (isinstance(d, ast.Name) and d.id == "staticmethod")]
        return node, method, f"class {node.name}: lifted"
    return None


def _fed_by_constructor(cls: ast.ClassDef, method: ast.FunctionDef, arity: int | None,
                        slots: set[str] | frozenset[str]) -> ast.FunctionDef | None:
    """The method with the constructor's parameters and what it kept made its own, or None where the class is
    not of that shape (see the module docstring)."""
    init = next((m for m in cls.body if isinstance(m, ast.FunctionDef) and m.name == "__init__"), None)
    if init is None or arity is None or method.decorator_list or init.decorator_list:
        return None
    params, taken = init.args, method.args
    if (params.vararg or params.kwarg or params.kwonlyargs or params.posonlyargs or taken.vararg or taken.kwarg
            or taken.kwonlyargs or taken.posonlyargs or not params.args or not taken.args
            or len(params.args) - 1 + len(taken.args) - 1 != arity or len(params.args) < 2 or taken.defaults):
        return None
    receiver, own = taken.args[0].arg, params.args[0].arg
    parameters = {a.arg for a in params.args[1:]} | {a.arg for a in taken.args[1:]}
    kept: list[tuple[str, ast.expr]] = []
    for statement in init.body:
        if _is_docstring(statement):
            continue
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1 and _self_attribute(statement.targets[0], own)):
            return None  # the constructor does more than keep values: lifted as it is
        kept.append((statement.targets[0].attr, statement.value))
    names = {name for name, _value in kept}
    if not kept or names & set(slots) or any(
            name in parameters and not (isinstance(value, ast.Name) and value.id == name) for name, value in kept):
        return None  # a kept name that is one of the receiver's slots, or that would shadow another parameter
    for node in ast.walk(method):
        if _self_attribute(node, receiver) and (node.attr not in names or not isinstance(node.ctx, ast.Load)):
            return None  # it reads another member of the class, or changes what the constructor kept
    if params.defaults and len(taken.args) > 1:
        return None  # a default among the constructor's would come before the method's parameters
    body = [ast.Assign(targets=[ast.Name(name, ast.Store())], value=_Local(own, names).visit(value), lineno=0)
            for name, value in kept if not (isinstance(value, ast.Name) and value.id == name)]
    rest = [_Local(receiver, names).visit(statement) for statement in method.body]
    docstring = rest[:1] if rest and _is_docstring(rest[0]) else []
    # the call's arguments: the constructor's first, then the method's own (``Date(text).shift(n)``: ``shift(text, n)``)
    arguments = ast.arguments(posonlyargs=[], args=[ast.arg("self"), *params.args[1:], *taken.args[1:]], kwonlyargs=[],
                              kw_defaults=[], defaults=list(params.defaults))
    fields = {"type_params": []} if "type_params" in ast.FunctionDef._fields else {}
    lifted = ast.FunctionDef(name=method.name, args=arguments, body=[*docstring, *body, *rest[len(docstring):]],
                             decorator_list=[], returns=None, lineno=method.lineno, **fields)
    return ast.fix_missing_locations(lifted)


class _Local(ast.NodeTransformer):
    """``receiver.name`` read as the local ``name``, for the names the constructor kept."""

    def __init__(self, receiver: str, names: set[str]) -> None:
        self.receiver, self.names = receiver, names

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if _self_attribute(node, self.receiver) and node.attr in self.names:
            return ast.copy_location(ast.Name(node.attr, ast.Load()), node)
        return self.generic_visit(node)


def _self_attribute(node: ast.AST, receiver: str) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == receiver


def _is_docstring(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) and isinstance(statement.value.value, str)


__all__ = ["lift"]
