"""Task definitions, one module per exercise.

``coursekit.grading.tasks.<exercise>`` (e.g. ``cnn``) defines ``TASKS``, a list
of :class:`~coursekit.grading.cases.Task` whose ids start with ``"<exercise>."``.
They ship with the package, so ``coursekit.check`` works on Colab after
``pip install``.

Hidden (instructor-only) cases live outside the package, in a folder passed as
``coursekit grade --hidden DIR``: ``DIR/<exercise>.py`` defines

    CASES = {"cnn.conv2d": [conv_case("5x5 kernel, stride 3", kernel=(5, 5), stride=3)], ...}

with :class:`~coursekit.grading.cases.Case` objects in the same format as the
public ones (usually made by the same helpers, imported from the task module).
"""
from __future__ import annotations

import importlib
import pkgutil
import runpy
from dataclasses import replace
from pathlib import Path

from ..cases import Case, Task

__all__ = ["exercises", "notebooks", "exercise_named", "exercise_tasks", "get_task", "load_hidden"]


def exercises() -> list[str]:
    """Names of the exercises that have task definitions (``["cnn", ...]``)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def notebooks() -> dict[str, str]:
    """Each exercise's notebook, by exercise name (``{"nn": "01_neural_networks", ...}``):
    the ``NOTEBOOK`` of its task module, the stem of ``exercises/<NOTEBOOK>.ipynb``."""
    return {e: importlib.import_module(f"{__name__}.{e}").NOTEBOOK for e in exercises()}


def exercise_named(name: str) -> str:
    """The exercise that ``name`` means: an exercise name (``"nn"``), or its notebook's name
    with or without a folder and ``.ipynb`` (``"01_neural_networks"``,
    ``"exercises/01_neural_networks.ipynb"``). Refused with every name and notebook."""
    names = notebooks()
    if name in names:
        return name
    stem = Path(str(name)).name.removesuffix(".ipynb")
    for exercise, notebook in names.items():
        if notebook == stem:
            return exercise
    known = ", ".join(f"{e} ({notebook})" for e, notebook in names.items())
    raise ValueError(f"unknown exercise {name!r}; known: {known}")


def exercise_tasks(exercise: str) -> list[Task]:
    """The tasks of one exercise, in the order the notebook presents them."""
    if exercise not in exercises():
        raise ValueError(f"unknown exercise {exercise!r}; known exercises: {exercises()}")
    return list(importlib.import_module(f"{__name__}.{exercise}").TASKS)


def get_task(task_id: str) -> Task:
    """The task with id ``"<exercise>.<name>"``, e.g. ``"cnn.conv2d"``."""
    if not isinstance(task_id, str) or "." not in task_id:
        raise ValueError(f"a task id looks like 'cnn.conv2d'; got {task_id!r}")
    exercise = task_id.split(".", 1)[0]
    for task in exercise_tasks(exercise):
        if task.id == task_id:
            return task
    known = [t.id for t in exercise_tasks(exercise)]
    raise ValueError(f"unknown task {task_id!r}; the {exercise!r} exercise has {known}")


def check_hidden_folder(directory: str | Path) -> list[str]:
    """The exercises that ``directory`` holds hidden cases for (``<exercise>.py``). Refused
    (``ValueError``) when it is not a folder, or holds a ``.py`` file that names no exercise:
    such a file would be skipped, and its cases never graded, without a word."""
    folder = Path(directory)
    if not folder.is_dir():
        raise ValueError(f"--hidden {directory}: not a folder")
    known, stems = exercises(), sorted(p.stem for p in folder.glob("*.py"))
    strays = [stem + ".py" for stem in stems if stem not in known]
    if strays:
        by_notebook = {notebook: ex for ex, notebook in notebooks().items()}
        renames = [f"{stem}.py to {by_notebook[stem]}.py" for stem in stems if stem in by_notebook]
        raise ValueError(f"--hidden {directory}: {', '.join(strays)} name(s) no exercise, so their cases would "
                         f"never be graded; name each file after its exercise: {', '.join(e + '.py' for e in known)}"
                         + (f" (a file is named after the exercise, not its notebook: rename {', '.join(renames)})"
                            if renames else ""))
    return stems


def load_hidden(directory: str | Path, exercise: str) -> dict[str, list[Case]]:
    """Instructor cases for ``exercise`` from ``directory/<exercise>.py`` (``{}`` if absent).

    The file is ordinary Python, run in the grader's process (never in a
    student's), and must define ``CASES = {task_id: [Case, ...]}``. Every case
    comes back with visibility ``"hidden"``. A case's ``run`` must be a function
    of the ``coursekit.grading`` package, because the student's process imports
    it by name.
    """
    path = Path(directory) / f"{exercise}.py"
    if not Path(directory).is_dir():
        raise ValueError(f"--hidden {directory}: not a folder")
    if not path.exists():
        return {}
    try:
        cases = runpy.run_path(str(path)).get("CASES")
    except Exception as err:  # noqa: BLE001 - report the instructor's file, do not crash the run
        raise ValueError(f"{path} failed to run: {type(err).__name__}: {err}") from err
    if not isinstance(cases, dict):
        raise ValueError(f"{path}: expected a dict CASES = {{task_id: [Case, ...]}}")
    known = {t.id for t in exercise_tasks(exercise)}
    hidden = {}
    for task_id, items in cases.items():
        if task_id not in known:
            raise ValueError(f"{path}: unknown task {task_id!r}; known: {sorted(known)}")
        for case in items:
            if not isinstance(case, Case):
                raise ValueError(f"{path}: CASES[{task_id!r}] must hold Case objects; got {type(case).__name__}")
            if not case.run.__module__.startswith("coursekit.grading"):
                raise ValueError(f"{path}: case {case.name!r}: run must be a function of coursekit.grading "
                                 f"(the student's process imports it); got {case.run.__module__}")
        hidden[task_id] = [replace(c, visibility="hidden") for c in items]
    return hidden
