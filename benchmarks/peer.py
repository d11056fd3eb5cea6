"""One peer of the training comparison, alone in a fresh process (driven by ``harness.PeerProcess``).

    python benchmarks/peer.py WORKLOAD PEER

It builds the peer's training step (``workloads.PEERS``), prints ``ready``, then answers one
command per line on stdin:

* ``run INNER``: a short untimed warm-up, then INNER timed steps; prints the seconds per
  step and the other processes' CPU share meanwhile (``harness.timed_repetition``);
* ``rss``: prints this process's peak resident memory, in MiB;

and exits at the end of its input. Only this peer's libraries are imported.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from workloads import PEERS, WORKLOADS  # noqa: E402


def main(workload: str, peer: str) -> None:
    step = PEERS[peer](WORKLOADS[workload])
    print("ready", flush=True)
    for line in sys.stdin:
        command, *args = line.split()
        if command == "run":
            seconds, load = harness.timed_repetition(step, int(args[0]))
            print(f"{seconds!r} {load!r}", flush=True)
        elif command == "rss":
            print(harness.peak_rss_mb(), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:3])
