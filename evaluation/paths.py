"""Where data, networks and results live: one lookup, one table of variables (standard library only).

Each path has a key (``lasot_dir``) and an environment variable (``LASOT_DIR``, the key in upper
case). A value is looked up, first match wins, in

1. an explicit value (a command-line flag such as ``--root`` or ``--lasot-dir``),
2. the environment variable,
3. the TOML path file: the one given (``--env <file>`` of ``ltr``), else
   ``~/.config/pytracking-ebm/env.toml`` (``$XDG_CONFIG_HOME`` is honoured) when it exists.

The TOML file holds the keys at top level::

    lasot_dir = "/data/LaSOT"
    got10k_dir = "/data/GOT-10k"

This module is the only reader of these variables: the benchmark readers (``evaluation``), the
training readers and workspace (``ltr``) and the detection application
(``pytracking_ebm.detection``) all ask it. It imports nothing but the standard library, so
``evaluation`` stays free of torch.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional, Union

try:
    import tomllib
except ImportError:  # Python < 3.11: the TOML file is not read (variables and flags still work)
    tomllib = None  # type: ignore[assignment]

__all__ = ["PATH_VARIABLES", "MissingPathError", "PathSettings", "default_env_file", "read_env_file",
           "load_paths", "configured_path", "variable_of", "flag_of"]

PathLike = Union[str, os.PathLike]

#: every configurable path: key -> (environment variable, what it is). The one table.
PATH_VARIABLES: dict[str, tuple[str, str]] = {
    # benchmarks (evaluation) and training sets (ltr)
    "lasot_dir": ("LASOT_DIR", "LaSOT root (holds <class>/<class>-<n>/)"),
    "got10k_dir": ("GOT10K_DIR", "GOT-10k root (holds train/, val/, test/)"),
    "trackingnet_dir": ("TRACKINGNET_DIR", "TrackingNet root (holds TEST/ and TRAIN_0/ ... TRAIN_11/)"),
    "uav123_dir": ("UAV123_DIR", "UAV123 root (holds data_seq/ and anno/)"),
    "uav20l_dir": ("UAV20L_DIR", "UAV20L root (default: UAV123's, the same download)"),
    "nfs_dir": ("NFS_DIR", "Need for Speed root"),
    "otb_dir": ("OTB_DIR", "OTB-100 root"),
    "synthetic_dir": ("SYNTHETIC_DIR", "generated sequences (default ~/.cache/pytracking-ebm/synthetic)"),
    "folder_dir": ("FOLDER_DIR", "your own sequences: one subfolder of frames + groundtruth.txt each"),
    "coco_dir": ("COCO_DIR", "COCO root (holds annotations/ and train2017/)"),
    "semireal_dir": ("SEMIREAL_DIR", "semi-real sequences in GOT-10k's layout (holds train/ and val/)"),
    # outputs and weights
    "workspace_dir": ("WORKSPACE_DIR", "where checkpoints and logs are written"),
    "pretrained_dir": ("PRETRAINED_DIR", "folder of pretrained networks (e.g. resnet50.pth)"),
    "tracking_results_dir": ("TRACKING_RESULTS_DIR", "tracker results (default ./tracking_results)"),
}


class MissingPathError(FileNotFoundError):
    """A path that is needed is not configured, or does not exist."""


def default_env_file() -> Path:
    """``$XDG_CONFIG_HOME/pytracking-ebm/env.toml``, by default ``~/.config/pytracking-ebm/env.toml``."""
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config) / "pytracking-ebm" / "env.toml"


def _check_key(key: str) -> None:
    if key not in PATH_VARIABLES:
        raise KeyError(f"unknown path setting {key!r}; known: {', '.join(PATH_VARIABLES)}")


def variable_of(key: str) -> str:
    """The environment variable of path ``key`` (``lasot_dir`` -> ``LASOT_DIR``)."""
    _check_key(key)
    return PATH_VARIABLES[key][0]


def flag_of(key: str) -> str:
    """The command-line flag of path ``key`` (``lasot_dir`` -> ``--lasot-dir``)."""
    return "--" + key.replace("_", "-")


def read_env_file(path: PathLike) -> dict[str, str]:
    """The ``{key: path}`` table of a TOML path file; unknown keys and non-strings are errors."""
    path = Path(path)
    if tomllib is None:
        return {}
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not valid TOML: {err}") from None
    unknown = sorted(set(table) - set(PATH_VARIABLES))
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(PATH_VARIABLES)}")
    bad = [k for k, v in table.items() if not isinstance(v, str)]
    if bad:
        raise ValueError(f"{path}: {', '.join(bad)} must be strings (paths)")
    return dict(table)


@dataclass
class PathSettings:
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
        variable = variable_of(key)
        if value is None:
            raise MissingPathError(
                f"{key} is not set: set {variable}=<dir>, add {key} = \"<dir>\" to "
                f"{self.env_file or default_env_file()}, or pass {flag_of(key)} <dir>")
        if must_exist and not value.is_dir():
            raise MissingPathError(f"{key} = {value} (from {self.source.get(key, '?')}) is not a "
                                   f"directory; fix {variable} or pass {flag_of(key)} <dir>")
        return value


def load_paths(env_file: Optional[PathLike] = None, overrides: Optional[Mapping[str, Optional[PathLike]]] = None,
               environ: Optional[Mapping[str, str]] = None) -> PathSettings:
    """Resolve every path setting at once (flag > environment variable > TOML file).

    Args:
        env_file: a TOML path file (must exist); default: :func:`default_env_file` if it exists.
        overrides: ``{key: path}`` from the command line; None values are ignored.
        environ: the environment to read (default ``os.environ``).
    """
    environ = os.environ if environ is None else environ
    settings = PathSettings()
    if env_file is not None:
        path: Optional[Path] = Path(env_file).expanduser()
        if not path.is_file():
            raise MissingPathError(f"env file {path} does not exist; pass an existing TOML file to --env")
    else:
        path = default_env_file()
        path = path if path.is_file() else None
    if path is not None:
        settings.env_file = path
        for key, value in read_env_file(path).items():
            settings.values[key], settings.source[key] = value, str(path)
    for key, (variable, _) in PATH_VARIABLES.items():
        if environ.get(variable):
            settings.values[key], settings.source[key] = environ[variable], variable
    for key, value in (overrides or {}).items():
        _check_key(key)
        if value is not None:
            settings.values[key], settings.source[key] = str(value), flag_of(key)
    return settings


def configured_path(key: str) -> tuple[Optional[str], str]:
    """``(value, " (from <where>)")`` of one path setting from the environment variable, else the
    default TOML file (read only when needed); ``(None, "")`` when neither sets it."""
    variable = variable_of(key)
    value = os.environ.get(variable)
    if value:
        return value, f" (from {variable})"
    path = default_env_file()
    if path.is_file():
        value = read_env_file(path).get(key)
        if value:
            return value, f" (from {key} in {path})"
    return None, ""
