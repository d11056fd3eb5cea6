"""Side-by-side timing on a shared machine: wait for idle, interleave, retry disturbed runs.

Method
------
* Each peer runs in a fresh process of its own (``PeerProcess``, running ``peer.py``): in
  one process PyTorch's OpenMP threads and OpenBLAS's threads compete and skew both, and
  one framework's imports change the other's memory. (``interleaved`` also takes plain
  functions, timed in this process, for micro-benchmarks of one library.)
* Before each timed repetition, wait until the machine uses less than ``IDLE_THRESHOLD``
  of the CPUs (from ``/proc/stat``, while this process sleeps: other processes, and our
  own BLAS/OpenMP worker threads still spinning after the previous peer), up to
  ``max_wait`` seconds.
* Peers are timed interleaved, A B A B ..., so slow drifts hit every peer alike. Each
  repetition first runs the peer untimed for ``WARM_SECONDS`` (after the idle wait the
  caches are cold and the core slow), then times ``inner`` calls and keeps the per-call
  mean.
* A repetition during which the *other* processes' load (``/proc/stat`` minus this
  process, ``/proc/self/stat``) rose above the threshold is discarded and repeated (at
  most ``retries`` times).
* When the machine stays busy (a wait ran out), later waits are short and disturbed
  repetitions are kept, until it is idle again: the run ends in bounded time and reports
  the load it saw.
* The result per peer is the median over repetitions; ratios are the median of the
  per-pair ratios (same repetition index), which is robust to a disturbed pair.
"""
from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field

import numpy as np

IDLE_THRESHOLD = 0.25          # fraction of all CPUs used by other processes
WARM_SECONDS = 0.005           # untimed calls before each timed repetition


def _cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine."""
    with open("/proc/stat") as f:
        values = [float(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _own_jiffies() -> float:
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return float(fields[11]) + float(fields[12])          # utime + stime of this process


class LoadProbe:
    """Fraction of the machine used by other processes between ``start()`` and ``stop()``.

    ``include_self=True`` counts this process too: for a probe taken while the main thread
    sleeps, what it sees of this process is its worker threads (BLAS, OpenMP) still spinning.
    """

    def __init__(self, include_self: bool = False):
        self.include_self = include_self

    def start(self):
        self._busy, self._total = _cpu_times()
        self._own = _own_jiffies()
        return self

    def stop(self) -> float:
        busy, total = _cpu_times()
        own = 0.0 if self.include_self else _own_jiffies() - self._own
        elapsed = total - self._total
        if elapsed <= 0:
            return 0.0
        return max(0.0, (busy - self._busy - own) / elapsed)


BUSY_WAIT = 2.0                # seconds to wait for idle once a wait has run out


class _Machine:
    busy = False               # the last wait for idle ran out: the machine stays busy


def wait_for_idle(max_wait: float = 20.0, window: float = 0.2) -> float:
    """Block until the CPUs are < IDLE_THRESHOLD busy; return the load seen.

    Once a wait has run out (someone else keeps the machine busy), the next waits last at
    most ``BUSY_WAIT`` seconds and ``interleaved`` stops repeating disturbed repetitions
    until the machine is idle again: the run then ends in bounded time, with the load it
    saw in its report, instead of waiting for an idle machine that does not come.

    NOTE: this counts this process's own worker threads too. OpenBLAS's workers spin for
    about 0.1 s after a multithreaded product, and a peer timed while the previous peer's
    threads still spin loses a core to them (W2's chainrule step: 75 -> 110 us).
    """
    deadline = time.monotonic() + (min(max_wait, BUSY_WAIT) if _Machine.busy else max_wait)
    while True:
        probe = LoadProbe(include_self=True).start()
        time.sleep(window)
        load = probe.stop()
        if load < IDLE_THRESHOLD:
            _Machine.busy = False
            return load
        if time.monotonic() > deadline:
            _Machine.busy = True
            return load


@dataclass
class Timing:
    name: str
    seconds: list[float] = field(default_factory=list)      # per-call mean of each repetition
    loads: list[float] = field(default_factory=list)        # other processes' CPU share, each kept repetition
    retries: int = 0                                        # repetitions discarded as disturbed

    @property
    def median(self) -> float:
        return float(np.median(self.seconds))


def interleaved(peers: dict, repetitions: int = 15, inner: int = 10, warmup: int = 3,
                retries: int = 3, max_wait: float = 20.0, warm: bool = True) -> dict[str, Timing]:
    """Time each peer (one training step) A B A B ...; see the module docstring.

    A peer is a ``PeerProcess`` or a zero-argument function timed in this process.
    ``warm=False`` drops the untimed calls before each repetition (for calls that take
    seconds, whose first milliseconds do not matter)."""
    peers = {name: peer if hasattr(peer, "repetition") else InProcess(peer)
             for name, peer in peers.items()}
    for peer in peers.values():
        peer.repetition(warmup, warm)
    timings = {name: Timing(name) for name in peers}
    for _ in range(repetitions):
        for name, peer in peers.items():
            for attempt in range(retries + 1):
                wait_for_idle(max_wait)
                elapsed, load = peer.repetition(inner, warm)
                if load < IDLE_THRESHOLD or _Machine.busy:
                    break
                if attempt < retries:
                    timings[name].retries += 1
            timings[name].seconds.append(elapsed)
            timings[name].loads.append(load)
    return timings


def timed_repetition(fn, inner: int, warm: bool = True) -> tuple[float, float]:
    """(seconds per call, other processes' CPU share) of ``inner`` calls, after a short
    untimed warm-up (unless ``warm`` is False)."""
    if warm:
        _warm(fn)
    probe = LoadProbe().start()
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    elapsed = (time.perf_counter() - start) / inner
    return elapsed, probe.stop()


class InProcess:
    """A function timed in this process."""

    def __init__(self, fn):
        self.fn = fn

    def repetition(self, inner: int, warm: bool = True) -> tuple[float, float]:
        return timed_repetition(self.fn, inner, warm)


class PeerProcess:
    """One peer of one workload in a fresh process (``peer.py``), driven line by line."""

    def __init__(self, workload: str, peer: str):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer.py")
        self.name = peer
        self.process = subprocess.Popen([sys.executable, script, workload, peer], text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=1)
        self._expect("ready")

    def _ask(self, command: str) -> str:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._expect(None)

    def _expect(self, word):
        line = self.process.stdout.readline().strip()
        if not line or (word is not None and line != word):
            raise RuntimeError(f"benchmark peer {self.name!r} stopped (exit code "
                               f"{self.process.poll()}); its errors are above.")
        return line

    def repetition(self, inner: int, warm: bool = True) -> tuple[float, float]:
        seconds, load = self._ask(f"run {inner} {int(warm)}").split()
        return float(seconds), float(load)

    def peak_rss_mb(self) -> float:
        return float(self._ask("rss"))

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def _warm(fn, seconds: float = WARM_SECONDS) -> None:
    """Run ``fn`` untimed for ``seconds`` (at least once): after an idle wait the caches are
    cold and the core slow, and the first ~2 ms of W2 steps run at half speed."""
    deadline = time.perf_counter() + seconds
    fn()
    while time.perf_counter() < deadline:
        fn()


def median_ratio(numerator: Timing, denominator: Timing) -> float:
    """Median over repetitions of numerator_time / denominator_time (pairs by index)."""
    return float(np.median(np.array(numerator.seconds) / np.array(denominator.seconds)))


def peak_rss_mb() -> float:
    """Peak resident set size of this process, in MiB.

    NOTE: read VmHWM from /proc, not ``getrusage().ru_maxrss``: Linux carries ru_maxrss over
    fork and exec, so a child started by a big parent reports the parent's peak.
    """
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024.0
    raise RuntimeError("VmHWM not found in /proc/self/status")


def machine_description() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    except OSError:
        model = platform.processor() or "?"
    return f"{model}, {os.cpu_count()} logical CPUs, Python {platform.python_version()}, NumPy {np.__version__}"


def blas_description() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    infos = [f"{i.get('internal_api')} {i.get('version')} ({i.get('num_threads')} threads, "
             f"{i.get('threading_layer', '')} {i.get('architecture', '')})".replace("  ", " ")
             for i in threadpool_info() if i.get("user_api") == "blas"]
    return "; ".join(infos) or "no BLAS found by threadpoolctl"
