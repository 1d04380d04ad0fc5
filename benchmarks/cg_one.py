"""``apport ARGS...`` in this process, every budget raised: the command to count under
callgrind (valgrind runs about 50 times slower, which would trip a worker's
processor-time limit). E.g., after a first build (the code cache filled)::

    python -m compileall -q generator
    env -u PYTHONDONTWRITEBYTECODE valgrind --tool=callgrind --trace-children=yes \\
        --callgrind-out-file=cg.%p python benchmarks/cg_one.py build one.yaml -o out
"""

from __future__ import annotations

import sys

from generator import workers
from generator.cli import command

if __name__ == "__main__":
    workers.Limits.__init__.__defaults__ = (500, 8 * workers.MEMORY_BYTES, 3000.0)
    sys.argv = ["apport", *sys.argv[1:]]
    command()
