"""``autodiff.memory``: glibc keeps freed memory for the next step, unless the environment
sets glibc's own variables. Checked by its effect: re-allocating a large array after
freeing it costs (almost) no page faults."""
import os
import subprocess
import sys

import pytest

CODE = """
import resource
import numpy as np
import chainrule.autodiff.memory as memory
arrays = [np.ones(2 << 20, np.float32) for _ in range(4)]        # 8 MiB each, then freed
del arrays
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    np.ones(2 << 20, np.float32).sum()
print(memory.ACTIVE, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def run(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True,
                         env={**clean, **env})
    active, faults = out.stdout.split()
    return active == "True", int(faults)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
def test_freed_memory_is_reused_without_page_faults():
    active, faults = run()
    if not active:
        pytest.skip("not glibc (musl?): the thresholds cannot be set")
    system, system_faults = run(MALLOC_TRIM_THRESHOLD_="131072")
    assert not system                                      # the user's own setting wins
    assert faults < 200 < system_faults                    # 10 x 2,048 pages of 4 KiB otherwise
