"""One peer of the training comparison, alone in a fresh process (driven by ``harness.PeerProcess``).

    python benchmarks/peer.py WORKLOAD PEER

It builds the peer's function (W1-W6: ``workloads.PEERS``; W7: ``recurrent.PEERS``; the
rows F, I, T: ``rows.ROWS``), prints ``ready``, then answers one command per line on stdin:

* ``run INNER [WARM]``: a short untimed warm-up (none when WARM is 0), then INNER timed
  calls; prints the seconds per call and the other processes' CPU share meanwhile
  (``harness.timed_repetition``);
* ``rss``: prints this process's peak resident memory, in MiB;

and exits at the end of its input. Only this peer's libraries are imported.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402


def build(workload: str, peer: str):
    """The zero-argument function of ``peer`` in ``workload`` (a name of W1-W7, F, I, T)."""
    import recurrent
    import rows
    import workloads
    if workload in workloads.WORKLOADS:
        return workloads.PEERS[peer](workloads.WORKLOADS[workload])
    if workload == recurrent.W7.name:
        return recurrent.PEERS[peer](recurrent.W7)
    return rows.ROWS[workload].peers[peer]()


def main(workload: str, peer: str) -> None:
    step = build(workload, peer)
    print("ready", flush=True)
    for line in sys.stdin:
        command, *args = line.split()
        if command == "run":
            warm = len(args) < 2 or args[1] != "0"
            seconds, load = harness.timed_repetition(step, int(args[0]), warm)
            print(f"{seconds!r} {load!r}", flush=True)
        elif command == "rss":
            print(harness.peak_rss_mb(), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:3])
