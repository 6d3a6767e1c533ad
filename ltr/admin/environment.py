"""Where the training data and networks live: environment variables, a TOML file, CLI flags.

Each path has a key (``lasot_dir``) and an environment variable (``LASOT_DIR``). A value is
looked up, first match wins, in

1. an explicit override (a command-line flag such as ``--lasot-dir``),
2. the environment variable,
3. the TOML file given by ``--env <file>``, else ``~/.config/pytracking-ebm/env.toml``
   (``$XDG_CONFIG_HOME`` is honoured) when it exists.

The TOML file holds the keys at top level::

    lasot_dir = "/data/LaSOT"
    got10k_dir = "/data/GOT-10k"

A path that is needed but not configured is a :class:`MissingPathError` whose one-line message
names the variable, the file and the flag that would set it.
"""
from __future__ import annotations

import argparse
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional, Union

__all__ = ["PATH_VARIABLES", "MissingPathError", "EnvSettings", "default_env_file", "load_env",
           "add_env_arguments", "env_from_args"]

PathLike = Union[str, os.PathLike]

#: configurable path key -> (environment variable, what it is)
PATH_VARIABLES: dict[str, tuple[str, str]] = {
    "lasot_dir": ("LASOT_DIR", "LaSOT root (holds <class>/<class>-<n>/)"),
    "got10k_dir": ("GOT10K_DIR", "GOT-10k root (holds train/, val/, test/)"),
    "trackingnet_dir": ("TRACKINGNET_DIR", "TrackingNet root (holds TRAIN_0/ ... TRAIN_11/)"),
    "coco_dir": ("COCO_DIR", "COCO root (holds annotations/ and train2017/)"),
    "semireal_dir": ("SEMIREAL_DIR", "semi-real sequences in GOT-10k's layout (holds train/ and val/)"),
    "workspace_dir": ("WORKSPACE_DIR", "where checkpoints and logs are written"),
    "pretrained_dir": ("PRETRAINED_DIR", "folder of pretrained networks (e.g. resnet50.pth)"),
}


class MissingPathError(FileNotFoundError):
    """A path that is needed is not configured, or does not exist."""


def default_env_file() -> Path:
    """``$XDG_CONFIG_HOME/pytracking-ebm/env.toml``, by default ``~/.config/pytracking-ebm/env.toml``."""
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config) / "pytracking-ebm" / "env.toml"


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


@dataclass
class EnvSettings:
    """Resolved path settings; ``source`` says where each value came from (for messages)."""

    values: dict[str, str] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)
    env_file: Optional[Path] = None

    def get(self, key: str) -> Optional[Path]:
        """The configured path for ``key``, or None."""
        _check_key(key)
        value = self.values.get(key)
        return Path(value).expanduser() if value else None

    def path(self, key: str, *, must_exist: bool = True) -> Path:
        """The configured path for ``key``; a :class:`MissingPathError` naming how to set it
        when it is not configured (or, with ``must_exist``, is not a directory)."""
        value = self.get(key)
        variable = PATH_VARIABLES[key][0]
        if value is None:
            raise MissingPathError(
                f"{key} is not set: set {variable}=<dir>, add {key} = \"<dir>\" to "
                f"{self.env_file or default_env_file()}, or pass {_flag(key)} <dir>")
        if must_exist and not value.is_dir():
            raise MissingPathError(f"{key} = {value} (from {self.source.get(key, '?')}) is not a "
                                   f"directory; fix {variable} or pass {_flag(key)} <dir>")
        return value


def _check_key(key: str) -> None:
    if key not in PATH_VARIABLES:
        raise KeyError(f"unknown path setting {key!r}; known: {', '.join(PATH_VARIABLES)}")


def _read_toml(path: Path) -> dict[str, str]:
    try:
        with open(path, "rb") as f:
            table = tomllib.load(f)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path}: not valid TOML: {err}") from None
    unknown = sorted(set(table) - set(PATH_VARIABLES))
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(PATH_VARIABLES)}")
    bad = [k for k, v in table.items() if not isinstance(v, str)]
    if bad:
        raise ValueError(f"{path}: {', '.join(bad)} must be strings (paths)")
    return dict(table)


def load_env(env_file: Optional[PathLike] = None, overrides: Optional[Mapping[str, Optional[PathLike]]] = None,
             environ: Optional[Mapping[str, str]] = None) -> EnvSettings:
    """Resolve the path settings.

    Args:
        env_file: a TOML file (must exist); default: :func:`default_env_file` if it exists.
        overrides: ``{key: path}`` from the command line; None values are ignored.
        environ: the environment to read (default ``os.environ``).
    """
    environ = os.environ if environ is None else environ
    settings = EnvSettings()
    if env_file is not None:
        path = Path(env_file).expanduser()
        if not path.is_file():
            raise MissingPathError(f"env file {path} does not exist")
    else:
        path = default_env_file()
        path = path if path.is_file() else None
    if path is not None:
        settings.env_file = path
        for key, value in _read_toml(path).items():
            settings.values[key], settings.source[key] = value, str(path)
    for key, (variable, _) in PATH_VARIABLES.items():
        if environ.get(variable):
            settings.values[key], settings.source[key] = environ[variable], variable
    for key, value in (overrides or {}).items():
        _check_key(key)
        if value is not None:
            settings.values[key], settings.source[key] = str(value), _flag(key)
    return settings


def add_env_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--env <toml>`` and one ``--<key>`` flag per path setting to ``parser``."""
    group = parser.add_argument_group("paths", "override environment variables and the env file")
    group.add_argument("--env", metavar="TOML", help=f"path settings file (default {default_env_file()})")
    for key, (variable, what) in PATH_VARIABLES.items():
        group.add_argument(_flag(key), dest=key, metavar="DIR", help=f"{what} (env {variable})")


def env_from_args(args: argparse.Namespace) -> EnvSettings:
    """:func:`load_env` from arguments added by :func:`add_env_arguments`."""
    overrides = {key: getattr(args, key, None) for key in PATH_VARIABLES}
    return load_env(getattr(args, "env", None), overrides)
