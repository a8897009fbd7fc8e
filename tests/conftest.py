"""Settings for the whole suite."""

import os

# Every evaluation in the tests checks that the promotion index left out no
# promotion that applies (engine.program.CHECK_INDEX), not only when reasons are read.
os.environ.setdefault("PROMORULES_CHECK_INDEX", "1")
