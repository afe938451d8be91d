"""Running a long command from a test (the site build, `coursekit grade`) so that a hang fails
with the end of what the command printed, which names where it stopped."""
import subprocess
from pathlib import Path

import pytest


def run_or_say_where_it_stopped(cmd, env=None, timeout=1800):
    """subprocess.run with its output captured as text; past ``timeout`` seconds, fail with the
    end of what it had printed (the build names each notebook as it starts executing it, the
    grader each submission), not with the bare TimeoutExpired that says nothing of where it
    stopped."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired as stopped:
        said = "".join(x.decode(errors="replace") if isinstance(x, bytes) else x
                       for x in (stopped.stdout, stopped.stderr) if x)
        pytest.fail(f"{Path(cmd[0]).name} ran past {timeout} s and was stopped; the end of what it printed:\n"
                    f"{said[-4000:]}", pytrace=False)
