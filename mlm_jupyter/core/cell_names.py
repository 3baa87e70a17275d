"""Names a cell reads and writes, and its top-level literal assignments, from its syntax tree.

``analyze(source)`` is pure and cheap (one ``ast.parse``). IPython syntax is
handled without IPython: a leading ``%%magic`` line is dropped (its body is
analysed), and lines starting with ``%`` or ``!`` are blanked when the cell
does not parse as plain Python. A cell that still does not parse gives
empty names (``parsed=False``).

*Reads* are names whose value the cell takes from the namespace it runs in:
loads of a name not yet bound earlier at the cell's top level, including
free names used inside functions and classes it defines. *Writes* are names
the cell binds at top level (assignments, ``for``/``with`` targets, imports,
``def``/``class``, ``del``) plus names whose object it mutates in place
through an attribute or item assignment (``df["x"] = 1`` writes ``df``).
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CellNames", "analyze", "literal_value", "parse_cell", "strip_ipython_syntax"]

_BUILTINS = frozenset(dir(builtins)) | {"get_ipython", "display", "In", "Out", "_", "__", "___"}
_LITERAL_TYPES = (int, float, complex, str, bytes, bool, type(None))


@dataclass(frozen=True)
class CellNames:
    """What one cell's code reads, writes and sets to literals."""

    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()
    literals: Mapping[str, Any] = field(default_factory=dict)
    parsed: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"reads": sorted(self.reads), "writes": sorted(self.writes), "parsed": self.parsed}


def strip_ipython_syntax(source: str) -> str:
    """Drop a leading cell magic line and blank line magics and shell escapes."""
    lines = source.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    if lines and lines[0].lstrip().startswith("%%"):
        lines = lines[1:]
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)


def parse_cell(source: str) -> ast.Module | None:
    """The cell's syntax tree (IPython magics and shell escapes blanked if needed), or None."""
    for text in (source, strip_ipython_syntax(source)):
        try:
            return ast.parse(text)
        except (SyntaxError, ValueError):
            continue
    return None


def literal_value(node: ast.AST) -> Any:
    """The value of a literal expression (numbers, strings, lists/tuples/dicts/sets of them).

    Raises ``ValueError`` for anything that is not a literal.
    """
    value = ast.literal_eval(node)
    if _is_plain(value):
        return value
    raise ValueError("not a plain literal")


def _is_plain(value: Any) -> bool:
    if isinstance(value, _LITERAL_TYPES):
        return True
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_is_plain(k) and _is_plain(v) for k, v in value.items())
    return False


class _Scope(ast.NodeVisitor):
    """Collects loads not bound locally (free names) inside a function or class body."""

    def __init__(self, bound: set[str]) -> None:
        self.bound = set(bound)
        self.free: set[str] = set()

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            if node.id not in self.bound:
                self.free.add(node.id)
        else:
            self.bound.add(node.id)

    def visit_Global(self, node: ast.Global) -> None:
        self.bound.difference_update(node.names)


def _function_free_names(node: ast.AST) -> set[str]:
    """Free names of a function/lambda/class body (params and its own assignments excluded)."""
    bound: set[str] = set()
    args = getattr(node, "args", None)
    if isinstance(args, ast.arguments):
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None:
                bound.add(arg.arg)
    raw_body = getattr(node, "body", [])
    body: list[ast.AST] = raw_body if isinstance(raw_body, list) else [raw_body]
    for statement in body:  # locals: every name stored anywhere in the body
        for child in ast.walk(statement):
            if isinstance(child, ast.Name) and not isinstance(child.ctx, ast.Load):
                bound.add(child.id)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(child.name)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                bound.update((a.asname or a.name).partition(".")[0] for a in child.names)
    for child in ast.walk(node):
        if isinstance(child, ast.Global):
            bound.difference_update(child.names)
    scope = _Scope(bound)
    for statement in body:
        scope.visit(statement)
    return scope.free


class _TopLevel(ast.NodeVisitor):
    def __init__(self) -> None:
        self.bound: set[str] = set()
        self.reads: set[str] = set()
        self.writes: set[str] = set()

    def _load(self, name: str) -> None:
        if name not in self.bound:
            self.reads.add(name)

    def _store(self, name: str) -> None:
        self.bound.add(name)
        self.writes.add(name)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._load(node.id)
        else:
            self._store(node.id)

    def _mutated_base(self, target: ast.AST) -> None:
        base = target
        while isinstance(base, (ast.Attribute, ast.Subscript)):
            base = base.value
        if isinstance(base, ast.Name):
            self._load(base.id)
            self.writes.add(base.id)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._target(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self._target(node.target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self._load(node.target.id)
            self._store(node.target.id)
        else:
            self._target(node.target)

    def _target(self, target: ast.AST) -> None:
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            for child in ast.iter_child_nodes(target):
                if child is not target.value:
                    self.visit(child)
            self._mutated_base(target)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._target(element)
        elif isinstance(target, ast.Starred):
            self._target(target.value)
        else:
            self.visit(target)

    def visit_For(self, node: ast.For) -> None:
        self.visit(node.iter)
        self._target(node.target)
        for statement in (*node.body, *node.orelse):
            self.visit(statement)

    visit_AsyncFor = visit_For  # type: ignore[assignment]

    def visit_withitem(self, node: ast.withitem) -> None:
        self.visit(node.context_expr)
        if node.optional_vars is not None:
            self._target(node.optional_vars)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.bound.discard(target.id)
                self.writes.add(target.id)
            else:
                self._target(target)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._store((alias.asname or alias.name).partition(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self._store(alias.asname or alias.name)

    def _definition(self, node: Any) -> None:
        for decorator in getattr(node, "decorator_list", []):
            self.visit(decorator)
        args = getattr(node, "args", None)
        if isinstance(args, ast.arguments):
            for default in (*args.defaults, *[d for d in args.kw_defaults if d is not None]):
                self.visit(default)
        for base in getattr(node, "bases", []):
            self.visit(base)
        for name in _function_free_names(node):
            self._load(name)
        if hasattr(node, "name"):
            self._store(node.name)

    visit_FunctionDef = _definition
    visit_AsyncFunctionDef = _definition
    visit_ClassDef = _definition
    visit_Lambda = _definition

    def _comprehension(self, node: Any) -> None:
        targets: set[str] = set()
        for generator in node.generators:
            for child in ast.walk(generator.target):
                if isinstance(child, ast.Name):
                    targets.add(child.id)
        for child in ast.walk(node):
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load) and child.id not in targets:
                self._load(child.id)
            elif isinstance(child, ast.NamedExpr) and isinstance(child.target, ast.Name):
                self._store(child.target.id)

    visit_ListComp = _comprehension
    visit_SetComp = _comprehension
    visit_DictComp = _comprehension
    visit_GeneratorExp = _comprehension

    def visit_Global(self, node: ast.Global) -> None:
        return None


def _accumulated_names(tree: ast.Module) -> set[str]:
    """Names the cell builds up rather than sets: the result, not a hyperparameter.

    A name is accumulated when, after its top-level assignment, the cell mutates it
    (``preds[k] = v``, ``clfs.append(m)``, ``total += x``) or assigns it again inside
    a loop (``for ...: best = score``). ``predictions = {}`` filled later is such a
    name, and so is ``total = 0`` summed in a loop.
    """
    accumulated: set[str] = set()
    for node in ast.walk(tree):
        base: ast.expr
        if isinstance(node, ast.AugAssign):
            base = node.target
            while isinstance(base, (ast.Attribute, ast.Subscript)):
                base = base.value
            if isinstance(base, ast.Name):
                accumulated.add(base.id)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, (ast.Attribute, ast.Subscript)):
                    base = target.value
                    while isinstance(base, (ast.Attribute, ast.Subscript)):
                        base = base.value
                    if isinstance(base, ast.Name):
                        accumulated.add(base.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.attr in _MUTATING_METHODS:
            accumulated.add(node.func.value.id)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            for statement in (*node.body, *node.orelse):
                for child in ast.walk(statement):
                    if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                        accumulated.add(child.id)
    return accumulated


_MUTATING_METHODS = frozenset({
    "append", "extend", "insert", "add", "update", "setdefault", "pop", "popitem", "remove", "discard",
    "clear", "sort", "reverse", "appendleft", "extendleft"})


def _literals(tree: ast.Module) -> dict[str, Any]:
    found = _assigned_literals(tree)
    if not found:
        return found
    accumulated = _accumulated_names(tree)
    return {name: value for name, value in found.items() if name not in accumulated}


def _assigned_literals(tree: ast.Module) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            found.update(_unpacked_literals(statement))
        if isinstance(statement, ast.Assign) and statement.value is not None:
            targets = [t for t in statement.targets if isinstance(t, ast.Name)]
            if len(targets) != len(statement.targets):
                continue
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None \
                and isinstance(statement.target, ast.Name):
            targets = [statement.target]
        else:
            continue
        if statement.value is None:
            continue
        try:
            value = literal_value(statement.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            for target in targets:  # ``x = []`` then ``x = x + [1]``: x ends as computed, not as set
                found.pop(target.id, None)
            continue
        for target in targets:
            found[target.id] = value
    return found


def _unpacked_literals(statement: ast.Assign) -> dict[str, Any]:
    """``a, b = 1, 0.5``: each name gets its own literal (other unpackings are not literals)."""
    sequences = (ast.Tuple, ast.List)
    if len(statement.targets) != 1 or not isinstance(statement.targets[0], sequences) \
            or not isinstance(statement.value, sequences):
        return {}
    names, values = statement.targets[0].elts, statement.value.elts
    if len(names) != len(values) or not all(isinstance(n, ast.Name) for n in names):
        return {}
    found: dict[str, Any] = {}
    for name, node in zip(names, values):
        try:
            found[name.id] = literal_value(node)  # type: ignore[attr-defined]
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
    return found


def analyze(source: str) -> CellNames:
    """Names ``source`` reads and writes, and its top-level literal assignments.

    Args:
        source: the cell as typed (IPython magics allowed).

    Returns:
        ``CellNames``; builtins are never reported as reads.
    """
    tree = parse_cell(source)
    if tree is None:
        return CellNames(parsed=False)
    visitor = _TopLevel()
    for statement in tree.body:
        visitor.visit(statement)
    return CellNames(reads=frozenset(visitor.reads - _BUILTINS), writes=frozenset(visitor.writes),
                     literals=_literals(tree))
