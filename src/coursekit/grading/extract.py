"""Read a submitted notebook and extract the student's definitions into a module.

Nothing is executed here: each code cell is parsed with :mod:`ast` and only
these top-level statements are kept, in notebook order:

* imports;
* function and class definitions (with their decorators);
* assignments of constants to plain names (``K = 3``, ``EDGE = torch.tensor([[1., 0.], [0., -1.]])``):
  literals, names defined earlier, arithmetic, and a few constructor calls
  (:data:`SAFE_CALLS`).

Everything else (data loading, training loops, plots, ``coursekit.check``
calls) is dropped, so a long training cell costs nothing at grading time.
A cell that is plain Python is read as it is. In any other cell, the lines
that IPython itself would rewrite (magics ``%...``, shell escapes ``!...``,
help ``x?``) become ``pass``; IPython's own input transformer decides which
they are, so a comment ending in ``?`` or a continuation line starting with
``% b`` or ``!= b`` stays code. A cell that still does not parse is skipped
with a note, and the other cells are kept.
"""
from __future__ import annotations

import ast
import builtins
import json
import re
import symtable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Extraction", "read_notebook", "exercise_of", "extract", "unkept_notes", "SAFE_CALLS"]

# Calls allowed in a kept constant: cheap constructors of values.
SAFE_CALLS = {
    "torch.tensor", "torch.as_tensor", "torch.device", "torch.zeros", "torch.ones", "torch.eye",
    "torch.arange", "torch.linspace", "np.array", "numpy.array", "np.asarray", "numpy.asarray",
    "int", "float", "bool", "str", "tuple", "list", "dict", "set", "frozenset", "range", "slice",
    "math.sqrt", "math.floor", "math.ceil", "math.log", "math.exp", "torch.cuda.is_available",
    # pure, cheap numbers students compute once at the top of a cell: EPS = np.finfo(np.float32).eps
    "math.log2", "math.log10", "abs", "round", "np.log", "np.sqrt", "np.exp", "np.float32", "np.float64",
    "numpy.log", "numpy.sqrt", "numpy.exp", "np.finfo", "numpy.finfo", "torch.finfo",
    "nn.init.calculate_gain", "torch.nn.init.calculate_gain", "functools.partial", "partial",
}
# Loss modules hold no data and no weights: `criterion = nn.BCEWithLogitsLoss()` is a constant too.
LOSS_MODULES = ("BCEWithLogitsLoss", "BCELoss", "MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss",
                "SmoothL1Loss", "HuberLoss", "KLDivLoss")
SAFE_CALLS |= {prefix + loss for loss in LOSS_MODULES for prefix in ("", "nn.", "torch.nn.")}
# The course's device choice (the grader's process sees no GPU, so it gives the CPU there).
SAFE_CALLS |= {prefix + "get_device" for prefix in ("", "ck.", "coursekit.", "ck.device.", "coursekit.device.")}
# Cell magics whose body is ordinary Python.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun"}
_CHECK_CALL = re.compile(r"""check\(\s*["']([A-Za-z0-9_]+)\.[A-Za-z0-9_]+["']""")


@dataclass
class Extraction:
    """The extracted module ``source`` and ``notes`` about what could not be read."""

    source: str
    notes: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    # name -> (cell, line, why) of the dropped statement that last binds it in the notebook, for
    # names no kept statement binds after it: (12, 3, "it calls `np.finfo`, ...")
    unkept: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    # name -> (cell, line, its last kept assignment) of a kept constant that a dropped statement
    # sets again later in the notebook: (17, 2, "size = 28")
    rebound: dict[str, tuple[int, int, str]] = field(default_factory=dict)


def read_notebook(path: str | Path) -> dict:
    """The notebook at ``path`` as a dict (nbformat 4 JSON). Raises ValueError when it is not one."""
    path = Path(path)
    try:
        nb = json.loads(path.read_text(encoding="utf-8-sig"))     # -sig: also when saved with a byte order mark
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: not a readable .ipynb notebook ({err})") from err
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError(f"{path}: not a Jupyter notebook (no 'cells' list)")
    return nb


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def code_cells(nb: dict) -> list[tuple[int, str]]:
    """``(cell number, source)`` of every code cell; numbers count all cells from 1."""
    return [(i, _source(c)) for i, c in enumerate(nb["cells"], start=1) if c.get("cell_type") == "code"]


def exercise_of(nb: dict) -> str | None:
    """The exercise a notebook belongs to: its ``metadata.coursekit.exercise``,
    else the prefix of the task ids in its ``coursekit.check("...")`` calls."""
    meta = nb.get("metadata", {}).get("coursekit", {})
    if isinstance(meta, dict) and isinstance(meta.get("exercise"), str):
        return meta["exercise"]
    for _, src in code_cells(nb):
        found = _CHECK_CALL.search(src)
        if found:
            return found.group(1)
    return None


def strip_magics(source: str) -> str | None:
    """``source`` as plain Python: each line that IPython would rewrite (``%magic``,
    ``!shell``, ``x?``) becomes ``pass`` at its indentation, and the cell keeps its line
    numbers (unless a shell escape continues over several lines). None for a cell magic
    whose body is not Python (``%%bash``, ``%%writefile``...)."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].lstrip()[2:].split(maxsplit=1)
        if not magic or magic[0] not in PYTHON_CELL_MAGICS:
            return None
        lines[0] = "pass"
    source = "\n".join(lines)
    try:
        ast.parse(source)
        return source             # plain Python: a '?' or '%' here is in a comment, a string or an operator
    except SyntaxError:
        pass
    return _ipython_lines_to_pass(lines)


def _ipython_lines_to_pass(lines: list[str]) -> str:
    """Run IPython's input transformer on ``lines`` and turn every line that it rewrote
    into a ``get_ipython()`` call into ``pass`` (the grader has no IPython shell)."""
    from IPython.core.inputtransformer2 import TransformerManager

    blank = 0                     # IPython drops leading blank lines; put them back to keep line numbers
    while blank < len(lines) and not lines[blank].strip():
        blank += 1
    rest = lines[blank:]
    text = "\n".join(rest)
    new = TransformerManager().transform_cell(text).splitlines()
    call = "get_ipython()"
    if len(new) == len(rest):     # the usual case: one line in, one line out
        rewritten = [call in n and call not in o for o, n in zip(rest, new)]
    else:                         # a shell escape continued with a backslash became one line
        rewritten = [call in n and call not in text for n in new]
    out = [n[: len(n) - len(n.lstrip())] + "pass" if r else n for n, r in zip(new, rewritten)]
    return "\n".join([""] * blank + out)


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


_SIMPLE_NODES = (ast.Constant, ast.Name, ast.Attribute, ast.Subscript, ast.Slice, ast.Tuple, ast.List,
                 ast.Set, ast.Dict, ast.UnaryOp, ast.BinOp, ast.BoolOp, ast.Compare, ast.IfExp,
                 ast.keyword, ast.Starred, ast.Call, ast.expr_context, ast.operator, ast.unaryop,
                 ast.boolop, ast.cmpop)


def _why_not_constant(value: ast.AST, known: set[str], star_import: bool) -> str | None:
    """None for a value that is cheap to compute and refers only to names defined so far;
    otherwise why the grader will not compute it, in a student's words."""
    if isinstance(value, ast.Lambda):
        return None
    for node in ast.walk(value):
        if not isinstance(node, _SIMPLE_NODES):
            return f"the grader keeps only simple constant expressions, and this one contains a {type(node).__name__.lower()}"
        if isinstance(node, ast.Call) and _dotted(node.func) not in SAFE_CALLS:
            return f"it calls `{_dotted(node.func) or ast.unparse(node.func)}`, which the grader does not run"
        if isinstance(node, ast.Name) and node.id not in known and not star_import:
            return f"it reads `{node.id}`, which the grader does not have at that point"
    return None


def _target_names(targets: list[ast.AST]) -> list[str] | None:
    names = []
    for t in targets:
        if isinstance(t, ast.Name):
            names.append(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)) and all(isinstance(e, ast.Name) for e in t.elts):
            names.extend(e.id for e in t.elts)
        else:
            return None
    return names


def bound_names(node: ast.stmt) -> list[str]:
    """The top-level names that a statement of the kinds the extraction keeps binds (an import,
    a definition, an assignment to plain names); ``[]`` for any other statement."""
    if isinstance(node, ast.Import):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    if isinstance(node, ast.ImportFrom):
        return [a.asname or a.name for a in node.names]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return _target_names(node.targets) or []
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _kept_names(node: ast.stmt, known: set[str], star_import: bool) -> list[str] | None:
    """Names a statement defines if it is kept, None if it is dropped."""
    names = bound_names(node)
    if isinstance(node, (ast.Assign, ast.AnnAssign)):   # kept when the value is a constant
        if not (names and node.value is not None and _why_not_constant(node.value, known, star_import) is None):
            return None
    return names or None


def _stored_names(node: ast.stmt) -> set[str]:
    """Module-level names a dropped statement assigns (``for size in ...``, ``size //= 2``,
    ``size = f()``), not counting functions, classes, lambdas and comprehensions inside it,
    whose names are their own."""
    found, todo = set(), [node]
    while todo:
        n = todo.pop()
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            found.add(n.id)
        todo.extend(c for c in ast.iter_child_nodes(n)
                    if not isinstance(c, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda,
                                          ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)))
    return found


def _read_at_call_time(node: ast.stmt) -> set[str]:
    """Names a kept function or class reads in its body (when it runs), not in its
    decorators or default arguments (those are read once, where it is defined)."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return set()
    names, todo = set(), symtable.symtable(ast.unparse(node), "<cell>", "exec").get_children()
    while todo:               # the definition's own scope and those nested in it (methods...)
        table = todo.pop()
        todo += table.get_children()
        names |= {s.get_name() for s in table.get_symbols() if s.is_global() and s.is_referenced()}
    return names


_BLOCKS = {ast.If: "if", ast.With: "with", ast.Try: "try", ast.For: "for", ast.While: "while"}


def _dropped_binds(node: ast.stmt) -> set[str]:
    """Module-level names a dropped statement binds: what it assigns, and the functions,
    classes and imports inside a top-level ``if``/``with``/``try``/``for`` block."""
    found = _stored_names(node)
    for field_name in ("body", "orelse", "finalbody", "handlers"):
        for child in getattr(node, field_name, []):
            for stmt in child.body if isinstance(child, ast.ExceptHandler) else [child]:
                found |= _dropped_binds(stmt) | set(bound_names(stmt))
    return found


def _why_dropped(node: ast.stmt, known: set[str], star_import: bool) -> str:
    """Why the extraction drops a top-level statement, in a student's words."""
    kind = next((word for cls, word in _BLOCKS.items() if isinstance(node, cls)), None)
    if kind is not None:
        return f"it is inside a top-level `{kind}` block, and the grader runs no such block"
    value = getattr(node, "value", None)
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and value is not None and bound_names(node):
        why = _why_not_constant(value, known, star_import)
        if why:
            return why
    return "the grader runs only imports, functions, classes and constant assignments"


def _stale_constant_notes(constants: dict, rebound: dict, readers: dict) -> list[str]:
    """A note for each kept constant that code the grader skips gives its final value in the
    notebook, where a kept function or class reads it: the two would see different values."""
    notes = []
    for name, (cell, line) in rebound.items():
        users = sorted(readers.get(name, ()))
        if users:
            notes.append(f"`{name}` is last set by code that the grader does not run (cell {cell}, line {line}), "
                         f"so {', '.join(users)} will see the value of `{constants[name]}` (the last constant "
                         f"assignment), not the value it has at the end of your notebook. Give `{name}` the value "
                         f"you want as a constant, or compute it inside {users[0]}.")
    return notes


CELL_MARKER = "# --- cell {} ---"
_MARKER = re.compile(r"# --- cell (\d+) ---")


def _place(slots: list[str], text: list[str], line: int) -> None:
    """Put a kept statement's lines at ``line`` (1-based) of its cell's block, so that the
    block keeps the cell's own line numbers (dropped statements leave blank lines). One that
    shared a line with the statement before (``a = 1; b = 2``) joins it there with ``;``."""
    if line <= len(slots) and len(text) == 1 and slots[-1]:
        slots[-1] += "; " + text[0]
        return
    slots.extend([""] * (line - 1 - len(slots)))
    slots.extend(text)


def notebook_place(source: str, lineno: int) -> str:
    """Where line ``lineno`` of an extraction's ``source`` comes from, for a student, who
    never sees the extracted file: ``"cell 7, line 3"``; ``"line N"`` outside every cell."""
    lines = source.splitlines()
    for i in range(min(lineno, len(lines) + 1) - 2, -1, -1):
        m = _MARKER.fullmatch(lines[i])
        if m:
            return f"cell {m.group(1)}, line {lineno - i - 1}"
    return f"line {lineno}"


def extract(nb: dict) -> Extraction:
    """The student's definitions from every code cell of ``nb``, as module source."""
    known = set(dir(builtins))
    star_import = False
    future, body, notes, names = [], [], [], []
    constants, rebound, readers = {}, {}, {}   # name -> its kept text; -> (cell, line); -> kept users
    unkept, definitions, shadowed = {}, {}, {}   # name -> (cell, line, why); -> kept def place; -> its note
    for number, raw in code_cells(nb):
        source = strip_magics(raw)
        if source is None:
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError as err:
            notes.append(f"cell {number} was skipped: it does not parse "
                         f"(line {err.lineno}: {err.msg}); its definitions are missing from grading")
            continue
        lines = source.splitlines()
        kept = []
        for i, node in enumerate(tree.body):
            defined = _kept_names(node, known, star_import)
            if defined is None:
                for name in _stored_names(node) & constants.keys():
                    rebound[name] = (number, node.lineno)
                why = _why_dropped(node, known, star_import)
                for name in _dropped_binds(node):
                    unkept[name] = (number, node.lineno, why)
                    if name in definitions:
                        shadowed[name] = (f"`{name}` is last set at cell {number}, line {node.lineno}: {why}; the "
                                          f"grader uses its earlier definition, at {definitions[name]}, instead.")
                continue
            for name in defined:
                rebound.pop(name, None)
                unkept.pop(name, None)
                shadowed.pop(name, None)
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    definitions[name] = f"cell {number}, line {node.lineno}"
                if isinstance(node, (ast.Assign, ast.AnnAssign)):
                    constants[name] = ast.unparse(node)
                else:
                    constants.pop(name, None)
            for name in _read_at_call_time(node):
                readers.setdefault(name, set()).add(node.name)
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                star_import = True
            known.update(defined)
            names.extend(n for n in defined if n not in names and n != "*")
            start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            shares_a_line = ((i > 0 and tree.body[i - 1].end_lineno >= start)
                             or (i + 1 < len(tree.body) and tree.body[i + 1].lineno <= node.end_lineno))
            text = ast.unparse(node) if shares_a_line else "\n".join(lines[start - 1: node.end_lineno])
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                future.append(text)
            else:
                _place(kept, text.splitlines(), start)
        if kept:
            body.append(CELL_MARKER.format(number) + "\n" + "\n".join(kept))
    notes += _stale_constant_notes(constants, rebound, readers) + list(shadowed.values())
    header = "# Definitions extracted by coursekit grade from the submitted notebook.\n"
    source = header + "".join(f + "\n" for f in future) + "\n\n".join(body) + "\n"
    return Extraction(source=source, notes=notes, names=names, unkept=unkept,
                      rebound={n: (cell, line, constants[n]) for n, (cell, line) in rebound.items()})


_UNDEFINED = re.compile(r"name '(\w+)' is not defined|does not define '(\w+)'|NameError: '(\w+)' is not defined")


def unkept_notes(extraction: Extraction, messages: list[str]) -> list[str]:
    """For each name that ``messages`` (a task's failed cases) report undefined and that the
    notebook does bind, in a statement the grader dropped: where, why, and what to do."""
    notes = []
    for name in dict.fromkeys(n for m in messages for match in _UNDEFINED.finditer(m) for n in match.groups() if n):
        if name in extraction.unkept:
            cell, line, why = extraction.unkept[name]
            notes.append(f"`{name}` is set at cell {cell}, line {line}: {why}. {UNKEPT_ADVICE}")
    return notes


UNKEPT_ADVICE = ("Define it at the top level of a cell, as an import, a function, a class or a constant, or "
                 "compute it inside the function that needs it.")
