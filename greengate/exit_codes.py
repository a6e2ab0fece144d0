"""greengate's own exit codes, as the README's table gives them.

A wrapped command that fails passes its own code through instead (128+N when killed by
signal N, 127 not found, 126 not executable): see ``greengate.process.supervisor``.
"""

from __future__ import annotations

OK = 0
#: over budget in enforce mode; ``--violation-exit-code`` picks another
OVER_BUDGET = 1
#: a bad option, an invalid policy, an unknown country: the user's mistake, said in words
USAGE = 2
#: greengate could not measure, could not write the verdict, or hit a bug of its own
NOT_MEASURED = 3
#: 128 + SIGPIPE: standard output closed by its reader (``greengate where | head -c1``), as a
#: shell reports a process that SIGPIPE ended; never 1, which would read as over budget
OUTPUT_CLOSED = 141
#: 128 + SIGINT: Ctrl-C outside a measured command (a measured one forwards it instead)
INTERRUPTED = 130  # 128 + SIGINT (2), as a shell reports it
