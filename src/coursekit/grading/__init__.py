"""Graded exercises: one solution notebook, a generated exercise, checks, grading.

==================  ===========================================================
``cases``           :class:`Task` and :class:`Case`; comparison with messages
``rules``           the student's own object, and no forbidden shortcuts
``tasks``           task definitions, one module per exercise (``tasks.cnn``)
``feedback``        ``check(task_id, obj)``: public cases in the notebook
``assign``          ``solutions/NN_*.ipynb`` -> ``exercises/NN_*.ipynb`` (stubs)
``extract``         a submitted notebook -> a module of the student's definitions
``sandbox``         the child process that runs a student's code
``runner``          the checker: inputs, expected values, time limits, scoring
``grade``           ``coursekit grade``: many submissions, reports
``report``          ``results.json`` (Gradescope), ``summary.txt``, ``grades.csv``
==================  ===========================================================

In a notebook: ``coursekit.check("cnn.conv2d", conv2d)``. For instructors:
``coursekit grade submissions/*.ipynb --out grades/``.
"""
from __future__ import annotations

from .cases import Case, Task
from .feedback import CheckResult, check

__all__ = ["Case", "Task", "CheckResult", "check"]
