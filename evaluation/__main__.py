"""``python -m evaluation``: see ``evaluation/cli.py``."""
import sys

from .cli import main

sys.exit(main())
