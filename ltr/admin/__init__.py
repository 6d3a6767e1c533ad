"""Administrative helpers: path configuration, and listing the modules of a package (settings, parameter files)."""
from .environment import EnvSettings, MissingPathError, add_env_arguments, env_from_args, load_env
from .modules import format_listing, list_modules

__all__ = ["EnvSettings", "MissingPathError", "add_env_arguments", "env_from_args", "load_env", "format_listing",
           "list_modules"]
