"""The thin Discord adapter: the bot class, its extensions (cogs), views and embed rendering.

It only calls the core (``bot.core``); nothing in the core imports from here.
"""
