"""The default texts the bot posts (jinja2, `*.j2`), installed with the package as data.

A package so `importlib.resources` finds them wherever the bot is installed.
"""
