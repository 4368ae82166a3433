"""The one analysis every front end asks: what a retry loop, a pause, a shutdown exception and a stop path are.

Modules here import only each other and ``fs_lint.settings``; the rules, the codemods and the
front ends sit on top and never the other way round.
"""
