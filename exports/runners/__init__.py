"""Scripts that exported artifacts are run with in a separate process (run by path, not imported).

Kept as a package only so that the scripts are installed with ``exports``.
"""
