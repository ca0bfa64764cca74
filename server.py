#!/usr/bin/env python
"""Start Jinpu KG: `python server.py [--host H] [--port P] [--base-iri IRI] [--timeout S] [--store embedded|URL]`.

Builds the dataset first if it is missing or stale, then serves the pages and the SPARQL endpoint.
Every flag also has an environment variable (KG_HOST, KG_PORT, KG_BASE_IRI, KG_TIMEOUT, KG_STORE).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))  # runs from a checkout without installing

from kg.server import main

if __name__ == "__main__":
    sys.exit(main())
