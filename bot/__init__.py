"""briefbot: cited answers about INSS Issue Brief Vol.152 No.14 (2026), on Discord and in a terminal.

``bot.core`` is the pure core (knowledge, matching, answers, rendering) and imports nothing from discord;
``bot.discord_app`` is the thin Discord adapter that only calls the core; ``bot.cli`` is the command line.
"""

__version__ = "0.1.0"
