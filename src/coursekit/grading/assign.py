"""``coursekit assign``: generate ``exercises/NN_*.ipynb`` from ``solutions/NN_*.ipynb``.

In a solution notebook, solution code sits between two comment lines inside an
ordinary code cell::

    def conv2d(x, weight, bias=None, stride=1, padding=0):
        ### BEGIN SOLUTION
        ### HINT: pad x with F.pad, then slide a window over it
        ...
        ### END SOLUTION

The exercise replaces each region by a stub at the marker's indentation:

* a region of plain assignments (``k = 3``) becomes ``k = ...``;
* any other region becomes ``raise NotImplementedError("<hint>")``, with the
  text of the region's ``### HINT:`` lines, else a generic hint.

Outputs and execution counts are stripped; everything else (markdown, other
code, metadata, cell ids) is kept. The result is deterministic: the same
solution always gives the same bytes.
"""
from __future__ import annotations

import ast
import copy
import textwrap
from pathlib import Path

import nbformat

from ..files import atomic_write_text

__all__ = ["BEGIN", "END", "HINT", "stub_cell", "exercise_text", "assign"]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
HINT = "### HINT:"
GENERIC_HINT = "replace this line with your solution"


def _stub(region: list[str], indent: str, where: str) -> list[str]:
    hints = [ln.strip()[len(HINT):].strip() for ln in region if ln.strip().startswith(HINT)]
    code = [ln for ln in region if not ln.strip().startswith(HINT)]
    try:
        tree = ast.parse(textwrap.dedent("\n".join(code)))
    except SyntaxError as err:
        raise ValueError(f"{where}: the solution region does not parse as whole statements "
                         f"(line {err.lineno}: {err.msg})") from err
    is_value = tree.body and all(
        isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
        for s in tree.body)
    if is_value:
        lines = [f"{indent}# Hint: {h}" for h in hints]
        return lines + [f"{indent}{s.targets[0].id} = ..." for s in tree.body]
    message = " ".join(hints) or GENERIC_HINT
    return [f"{indent}raise NotImplementedError({message!r})"]


def stub_cell(source: str, where: str = "cell") -> str:
    """``source`` with every solution region replaced by its stub."""
    out, region, indent = [], None, ""
    for number, line in enumerate(source.split("\n"), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if region is not None:
                raise ValueError(f"{where}, line {number}: {BEGIN} inside another solution region")
            region, indent = [], line[: len(line) - len(line.lstrip())]
        elif marker == END:
            if region is None:
                raise ValueError(f"{where}, line {number}: {END} without {BEGIN}")
            out += _stub(region, indent, where)
            region = None
        elif region is not None:
            region.append(line)
        else:
            out.append(line)
    if region is not None:
        raise ValueError(f"{where}: {BEGIN} without {END}")
    return "\n".join(out)


def exercise_text(solution: str | Path) -> str:
    """The exercise notebook generated from a solution notebook, as file text."""
    solution = Path(solution)
    nb = nbformat.reads(solution.read_text(encoding="utf-8"), as_version=4)
    nb = copy.deepcopy(nb)
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        cell.source = stub_cell(cell.source, where=f"{solution.name}, cell {number}")
        cell.outputs = []
        cell.execution_count = None
        try:
            ast.parse("\n".join(ln for ln in cell.source.split("\n") if not ln.lstrip().startswith(("%", "!"))))
        except SyntaxError as err:
            raise ValueError(f"{solution.name}, cell {number}: the exercise cell would not parse "
                             f"(line {err.lineno}: {err.msg})") from err
    return nbformat.writes(nb) + "\n"


def assign(solutions, out, force: bool = False, log=print) -> list[Path]:
    """Write the exercise of each solution notebook into folder ``out``.

    An existing exercise that differs is replaced only with ``force=True``;
    an identical one is left alone. Returns the paths written.
    """
    out = Path(out)
    solutions = [Path(s) for s in solutions]
    folders = [s for s in solutions if s.is_dir()]
    if folders:    # `coursekit assign solutions` ended in a traceback (IsADirectoryError)
        raise ValueError(f"{folders[0]} is a folder: pass the solution notebooks in it, "
                         f"e.g. {folders[0] / '*.ipynb'}")
    missing = [str(s) for s in solutions if not s.is_file()]
    if missing:
        raise FileNotFoundError(f"no such solution notebook(s): {', '.join(missing)}")
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"--out {out} is a file, not a folder: name a folder for the exercises")
    texts = {s: exercise_text(s) for s in solutions}   # every solution must convert first
    for solution in texts:
        if BEGIN not in solution.read_text(encoding="utf-8"):
            log(f"note: {solution} has no '{BEGIN}' region, so its exercise is a copy without outputs: "
                "is it a solution notebook?")
    for solution in texts:
        if (out / solution.name).resolve() == solution.resolve():
            raise ValueError(f"{solution}: the exercise would overwrite its solution; choose another --out")
    blocked = [out / s.name for s, text in texts.items()
               if (out / s.name).exists() and (out / s.name).read_text(encoding="utf-8") != text]
    if blocked and not force:
        raise FileExistsError(f"{', '.join(map(str, blocked))} differ(s) from what the solution generates. "
                              "Exercises are generated files: pass --force to regenerate them.")
    written = []
    for solution, text in texts.items():
        target = out / solution.name
        if target.exists() and target.read_text(encoding="utf-8") == text:
            log(f"{target}: unchanged")
            continue
        atomic_write_text(target, text)
        written.append(target)
        log(f"{solution} -> {target}")
    return written
