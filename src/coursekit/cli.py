"""The ``coursekit`` command.

    coursekit assign solutions/02_cnn.ipynb [...] --out exercises [--force]
    coursekit grade SUBMISSION.ipynb [...] --out DIR [--timeout S] [--memory MB] [--hidden DIR]
                    [--jobs N] [--exercise NAME] [--force]
    coursekit checkpoints [FOLDER ...] [--prune]

Exit status: 0 when the command completed (also when students score zero),
2 for a usage problem (missing file or folder, a report that already exists...) or a grading process that
cannot start (the submission being graded then gets no report), 130 when interrupted (Ctrl-C), and
128 + the signal's number when stopped by SIGTERM (143) or SIGHUP (129), which stop it as Ctrl-C does.
"""
from __future__ import annotations

import argparse
import os
import sys

__all__ = ["main"]


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number; got {text}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1; got {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coursekit", description="Course tools: exercises, grading and checkpoints.")
    sub = parser.add_subparsers(dest="command", required=True)

    a = sub.add_parser("assign", help="generate exercise notebooks from solution notebooks")
    a.add_argument("solutions", nargs="+", help="solution notebooks (solutions/NN_*.ipynb)")
    a.add_argument("--out", default="exercises", help="folder for the exercises (default: exercises)")
    a.add_argument("--force", action="store_true", help="replace exercises that differ")

    g = sub.add_parser("grade", help="grade submitted notebooks")
    g.add_argument("submissions", nargs="+", help="submitted notebooks (.ipynb)")
    g.add_argument("--out", default="grading-output", help="folder for the reports (default: grading-output)")
    g.add_argument("--timeout", type=_positive, default=None,
                   help="wall-clock seconds per task (default: the task's own, 60 s)")
    g.add_argument("--hidden", default=None, help="folder of instructor-only cases (<exercise>.py)")
    g.add_argument("--memory", type=_positive, default=2048,
                   help="memory limit per task in MiB (default: 2048; Linux only)")
    g.add_argument("--jobs", type=_count, default=None, help="submissions graded at once (default: CPU cores)")
    g.add_argument("--exercise", default=None,
                   help="exercise of every submission, whatever its notebook says: its name or its notebook's "
                        "(e.g. cnn or 02_cnn)")
    g.add_argument("--force", action="store_true", help="replace existing reports")

    c = sub.add_parser("checkpoints", help="list the training checkpoints that this coursekit can resume, "
                                           "and delete (--prune) those written by other coursekit code")
    c.add_argument("folders", nargs="*", help="folders of checkpoints (default: every 'checkpoints' folder here "
                                              "and one level down, e.g. notebooks/checkpoints)")
    c.add_argument("--prune", action="store_true",
                   help="delete the checkpoints written by other coursekit code (no cell opens them again); "
                        "run it while no notebook trains")
    return parser


class _Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP during ``grade`` (a ``kill``, a scheduler's or ``timeout``'s time limit,
    a closed terminal): handled as Ctrl-C is, so that the student processes are killed with the
    grader instead of running on, an infinite loop included, after it is gone."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop_on_termination() -> dict:
    """Make SIGTERM and SIGHUP raise :class:`_Stopped` in the main thread, where they have their
    default action (not under ``nohup``, which ignores SIGHUP); returns the handlers replaced."""
    import signal
    import threading

    def stop(signum, frame):
        raise _Stopped(signum)

    replaced = {}
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGHUP"):
            sig = getattr(signal, name, None)
            if sig is not None and signal.getsignal(sig) == signal.SIG_DFL:
                replaced[sig] = signal.signal(sig, stop)
    return replaced


def main(argv: list[str] | None = None) -> int:
    import signal

    args = _parser().parse_args(argv)
    replaced = _stop_on_termination() if args.command == "grade" else {}
    try:
        return _run(args)
    finally:
        for sig, handler in replaced.items():
            signal.signal(sig, handler)


def _run(args) -> int:
    try:
        if args.command == "assign":
            from .grading.assign import assign
            assign(args.solutions, args.out, force=args.force)
        elif args.command == "checkpoints":
            try:
                _checkpoints(args.folders, args.prune)
            except OSError as err:     # no such folder, or one may not read it or delete from it
                raise ValueError(str(err)) from err
        else:
            from .grading.grade import grade
            grade(args.submissions, args.out, timeout=args.timeout, hidden=args.hidden,
                  memory_mb=args.memory, jobs=args.jobs, force=args.force, exercise=args.exercise)
    except (ValueError, FileExistsError, FileNotFoundError, NotADirectoryError) as err:
        print(f"coursekit {args.command}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as stop:
        if isinstance(stop, _Stopped):
            import signal
            print(f"coursekit {args.command}: stopped by {signal.Signals(stop.signum).name}{_kept(args)}",
                  file=sys.stderr)
            return 128 + stop.signum
        print(f"coursekit {args.command}: interrupted{_kept(args)}", file=sys.stderr)
        return 130
    except RuntimeError as err:
        from .grading.runner import GraderFailed
        if not isinstance(err, GraderFailed):
            raise
        print(f"coursekit {args.command}: {err}{_kept(args)}", file=sys.stderr)
        return 2
    return 0


def _checkpoints(folders: list[str], prune: bool) -> None:
    """``coursekit checkpoints``: describe each folder; with ``prune``, delete the other code's
    checkpoints and say which."""
    from . import checkpoints

    if not folders:
        folders = checkpoints.find_folders(".")
        if not folders:
            print("no 'checkpoints' folder here or one level down: run this in the course's folder, "
                  "or name the folders")
            return
    unique = {}
    for f in folders:                  # a folder named twice is read once
        unique.setdefault(os.path.realpath(f), f)
    found = {f: checkpoints.survey(f) for f in unique.values()}   # every folder read before any file is deleted
    freed = 0
    for folder, in_folder in found.items():
        print(checkpoints.describe(folder, in_folder))
        if prune:
            for c in checkpoints.prune(in_folder):
                print(f"  deleted {c.path} ({checkpoints.megabytes(c.size)})")
                freed += c.size
    other = [c for in_folder in found.values() for c in checkpoints.other_code(in_folder)]
    if prune:
        print(f"freed {checkpoints.megabytes(freed)}")
    elif other:
        print(f"coursekit checkpoints --prune deletes the {len(other)} written by other coursekit code "
              f"({checkpoints.megabytes(sum(c.size for c in other))}).")


def _kept(args) -> str:
    """What a stopped ``grade`` run leaves, and how to finish it."""
    return (f"; the reports printed above are kept in {args.out}, each with its row in grades.csv. "
            "The others were not graded: run again with those notebooks (adding --force for any that "
            "still has a report from an earlier run)") if args.command == "grade" else ""


if __name__ == "__main__":
    sys.exit(main())
