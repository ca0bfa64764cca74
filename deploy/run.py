#!/usr/bin/env python
"""Start N replicas of Jinpu KG behind HAProxy on this machine: `python deploy/run.py --replicas 3 [--port 8080]`.

Builds first if the build is missing or stale, starts the replicas (`python server.py --no-build` on their own ports),
then HAProxy on a configuration rendered from deploy/haproxy.cfg.template, all in the foreground with their
configuration, pid files and logs in one run folder (--dir, or a new temporary folder). Ctrl-C or SIGTERM stops
everything; SIGHUP replaces every replica in turn (after `kg build`: a roll-out of the new build), dropping no request.
`python deploy/run.py render --server HOST:PORT ...` prints the configuration for replicas on other machines.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # runs from a checkout without installing

from kg.deploy import main

if __name__ == "__main__":
    sys.exit(main())
