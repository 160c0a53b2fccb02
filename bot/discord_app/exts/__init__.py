"""The bot's extensions, one concern each: asking, browsing, and the command tree's error handler."""
