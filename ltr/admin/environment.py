"""Where the training data and networks live: ``ltr``'s command-line flags over the one lookup.

The lookup itself (flag > environment variable > TOML path file, and the one table of keys and
variables) is :mod:`evaluation.paths`, shared with the benchmark readers and the detection
application. This module adds what training needs on top: ``--env <toml>`` and one flag per
path ``ltr`` reads (``--lasot-dir``, ``--workspace-dir``, ...). For example::

    lasot_dir = "/data/LaSOT"          # ~/.config/pytracking-ebm/env.toml
    got10k_dir = "/data/GOT-10k"

A path that is needed but not configured is a :class:`MissingPathError` whose one-line message
names the variable, the file and the flag that would set it.
"""
from __future__ import annotations

import argparse

from evaluation.paths import PATH_VARIABLES, MissingPathError, PathSettings, default_env_file, flag_of, load_paths

__all__ = ["PATH_VARIABLES", "LTR_PATHS", "MissingPathError", "EnvSettings", "default_env_file", "load_env",
           "add_env_arguments", "env_from_args"]

#: the paths ``ltr`` reads, each with a command-line flag
LTR_PATHS = ("lasot_dir", "got10k_dir", "trackingnet_dir", "coco_dir", "semireal_dir", "workspace_dir",
             "pretrained_dir")

#: ``ltr``'s names for the resolved settings and the lookup
EnvSettings = PathSettings
load_env = load_paths


def add_env_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--env <toml>`` and one ``--<key>`` flag per path of :data:`LTR_PATHS` to ``parser``."""
    group = parser.add_argument_group("paths", "override environment variables and the env file")
    group.add_argument("--env", metavar="TOML", help=f"path settings file (default {default_env_file()})")
    for key in LTR_PATHS:
        variable, what = PATH_VARIABLES[key]
        group.add_argument(flag_of(key), dest=key, metavar="DIR", help=f"{what} (env {variable})")


def env_from_args(args: argparse.Namespace) -> EnvSettings:
    """:func:`load_env` from arguments added by :func:`add_env_arguments`."""
    overrides = {key: getattr(args, key, None) for key in LTR_PATHS}
    return load_env(getattr(args, "env", None), overrides)
