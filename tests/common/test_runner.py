"""How a service process sets itself up before it serves."""

import os
import subprocess
import sys


def test_yield_cpu_lowers_the_priority_and_never_raises_it() -> None:
    # In a child process: a niceness once raised cannot be lowered again without privileges.
    script = "from services.common.runner import yield_cpu\nprint(yield_cpu(7), yield_cpu(3), yield_cpu(0))\n"
    started_at = os.getpriority(os.PRIO_PROCESS, 0)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    expected = max(started_at, 7)
    assert done.stdout.split() == [str(expected)] * 3
