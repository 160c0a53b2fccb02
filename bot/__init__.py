"""briefbot: cited answers about INSS Issue Brief Vol.152 No.14 (2026), on Discord and in a terminal.

``bot.core`` is the pure core (knowledge, matching, answers, rendering) and imports nothing from discord;
``bot.discord_app`` is the thin Discord adapter that only calls the core; ``bot.cli`` is the command line.
"""

__version__ = "0.1.0"

import os as _os

# The engine's matrix-vector products are small (a few thousand phrasings x 256), and the bot runs them on two
# threads at once: BLAS's own threads only wait on each other there (a quarter of the time per question went to
# it on 2 cores). One BLAS thread, unless the host says otherwise; this must happen before NumPy is loaded.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_name, "1")
