"""Administrative helpers for training: path configuration."""
from .environment import EnvSettings, MissingPathError, add_env_arguments, env_from_args, load_env

__all__ = ["EnvSettings", "MissingPathError", "add_env_arguments", "env_from_args", "load_env"]
