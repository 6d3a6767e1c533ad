"""Imported first by every benchmark script: time this checkout's code.

Run as a script, a benchmark's folder comes first on ``sys.path``, where
``benchmarks/evaluation.py`` would shadow the ``evaluation`` package; and where another
checkout is installed (``pip install -e`` elsewhere) its packages would be imported instead of
these. So the folder goes off ``sys.path`` and the repository root goes first.
"""
import os
import sys

#: this folder (benchmarks/)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [os.path.dirname(HERE)] + [p for p in sys.path if os.path.abspath(p or os.curdir) != HERE]
