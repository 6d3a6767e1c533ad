"""Helpers shared by the dataset readers: dataset roots, embedded tables, selection, checks."""
from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Callable, Optional, Union

from ..paths import MissingPathError, PathSettings, configured_path, default_env_file, variable_of
from ..sequence import Sequence

PathLike = Union[str, os.PathLike]


class DatasetNotFoundError(MissingPathError):
    """A dataset root is not configured or does not exist."""


def dataset_root(dataset: str, root: Optional[PathLike] = None, paths: Optional[PathSettings] = None,
                 flag: str = "--root") -> Path:
    """The root directory of ``dataset`` (``lasot``, ``coco``, ...; its path key is
    ``<dataset>_dir``): ``root`` if given, else the lookup of :mod:`evaluation.paths` (the
    resolved ``paths`` when the caller has them, e.g. with ``ltr``'s ``--env`` file and flags).
    ``flag`` is the option named in the error message."""
    key = f"{dataset}_dir"
    variable = variable_of(key)
    source = ""
    if root is None:
        if paths is not None:
            value = paths.get(key)
            root, source = value, (f" (from {paths.source.get(key, '?')})" if value else "")
            env_file = paths.env_file or default_env_file()
        else:
            root, source = configured_path(key)
            env_file = default_env_file()
        if root is None:
            raise DatasetNotFoundError(
                f"{dataset}: dataset root not set; set {variable}=<dir>, add "
                f"{key} = \"<dir>\" to {env_file}, or pass {flag} <dir>")
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DatasetNotFoundError(f"{dataset}: dataset root {root}{source} is not a directory; "
                                   f"set {variable} or pass {flag} <dir>")
    return root


def read_data_lines(filename: str, package: str = "evaluation.datasets.data") -> list[str]:
    """Non-comment lines of an embedded data file in ``package`` (default ``evaluation/datasets/data``)."""
    text = resources.files(package).joinpath(filename).read_text("utf-8")
    return [line.rstrip("\n") for line in text.splitlines()
            if line.strip() and not line.startswith("#")]


def select(names: list[str], wanted: Optional[Iterable[str]], dataset: str) -> list[str]:
    """Restrict ``names`` to ``wanted`` (kept in dataset order); unknown names are an error."""
    if wanted is None:
        return names
    wanted = list(wanted)
    unknown = [w for w in wanted if w not in set(names)]
    if unknown:
        raise ValueError(f"{dataset}: unknown sequence(s): {', '.join(unknown[:10])}"
                         + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""))
    keep = set(wanted)
    return [n for n in names if n in keep]


def drop_missing(names: list[str], present: dict[str, bool], dataset: str, root: Path,
                 partial: bool) -> list[str]:
    """Check that every selected sequence exists on disk.

    Missing sequences are an error naming them, unless ``partial`` is set, in which case the
    present ones are kept and a one-line note goes to stderr.
    """
    missing = [n for n in names if not present[n]]
    if not missing:
        return names
    if not partial:
        raise FileNotFoundError(f"{dataset}: {len(missing)} of {len(names)} sequences missing "
                                f"under {root}: {summarise(missing)} (pass partial=True / "
                                f"--partial to use the ones present)")
    kept = [n for n in names if present[n]]
    if not kept:
        raise FileNotFoundError(f"{dataset}: none of the {len(names)} sequences found under {root}")
    print(f"note: {dataset}: using the {len(kept)} of {len(names)} sequences present under "
          f"{root}", file=sys.stderr)
    return kept


def summarise(names: list[str], limit: int = 8) -> str:
    """``a, b, c and 5 more``."""
    head = ", ".join(names[:limit])
    return head + (f" and {len(names) - limit} more" if len(names) > limit else "")


def check_frame_count(name: str, frames: list[str], n_annotations: int,
                      problems: list[str]) -> None:
    """Record a problem when the frame count differs from the annotation count."""
    if len(frames) != n_annotations:
        problems.append(f"{name} ({len(frames)} frames, {n_annotations} annotations)")


def check_frames_exist(name: str, frames: list[str], problems: list[str],
                       after: Optional[str] = None) -> None:
    """Record a problem when the first or last frame file is missing, or ``after`` exists.

    Frame lists that are built from the annotation length (rather than listed from disk) are
    checked this way: two or three ``stat`` calls per sequence instead of one per frame.
    """
    if not frames:
        problems.append(f"{name} (no frames)")
        return
    for path in (frames[0], frames[-1]):
        if not os.path.isfile(path):
            problems.append(f"{name} (missing {path})")
            return
    if after is not None and os.path.isfile(after):
        problems.append(f"{name} (more frames than annotations: {after} exists)")


class BadSequencesError(ValueError):
    """Some sequences cannot be used (frames and annotations disagree, an annotation file
    does not parse, no frames); ``loaded`` holds the good ones, ``problems`` one line each."""

    def __init__(self, message: str, problems: list[str], loaded: Optional[list[Sequence]] = None):
        super().__init__(message)
        self.problems = problems
        self.loaded = loaded if loaded is not None else []


def raise_problems(dataset: str, problems: list[str], loaded: Optional[list[Sequence]] = None) -> None:
    """One error listing every sequence that cannot be used (frames and annotations disagree,
    an annotation file does not parse, no frames)."""
    if problems:
        raise BadSequencesError(f"{dataset}: frames and annotations do not fit for {len(problems)} "
                                f"sequence(s): {summarise(problems, 5)} (pass --partial to skip them)",
                                problems, loaded)


def empty_problem(name: str) -> str:
    """The problem every reader reports for a sequence without frames or annotations."""
    return f"{name} (no frames)"


def load_each(dataset: str, names: list[str], load_one: Callable[[str, list[str]], Sequence],
              partial: bool = False) -> list[Sequence]:
    """Load every sequence with ``load_one(name, problems)``; bad ones are reported together.

    A sequence is bad when its reader records a problem (frames and annotations disagree), an
    annotation file does not parse, or it has no frames or no ground truth. By default they
    raise one :class:`BadSequencesError` naming all of them (a silently shorter benchmark
    would give a different score) and holding the good ones (``run_tracker.py`` tracks those);
    with ``partial`` each is skipped with one warning line on stderr and the others are returned.
    """
    loaded: list[Sequence] = []
    problems: list[str] = []
    for name in names:
        found: list[str] = []
        try:
            sequence = load_one(name, found)
        except (ValueError, OSError) as err:        # an annotation file that does not parse, a missing folder
            found.append(f"{name} ({err})")
        else:
            if not found and (not sequence.frames or len(sequence.ground_truth) == 0):
                found.append(empty_problem(name))
        if not found:
            loaded.append(sequence)
        elif partial:
            print(f"warning: {dataset}: skipping {found[0]}", file=sys.stderr)
        else:
            problems.extend(found[:1])
    if partial and len(loaded) < len(names):
        if not loaded:
            raise BadSequencesError(f"{dataset}: none of the {len(names)} sequences can be used", problems)
        print(f"note: {dataset}: using {len(loaded)} of {len(names)} sequences", file=sys.stderr)
    raise_problems(dataset, problems, loaded)
    return loaded


@contextmanager
def collect_problems(dataset: str, problems: Optional[list[str]] = None) -> Iterator[list[str]]:
    """The list a reader appends frame/annotation disagreements to.

    A caller that loads many sequences passes its own list (and raises once, naming all of
    them); with ``problems=None`` a fresh list is raised by :func:`raise_problems` when the
    block ends, so a single sequence's reader fails on its own.
    """
    collected = [] if problems is None else problems
    yield collected
    if problems is None:
        raise_problems(dataset, collected)


def listed_sequence(dataset: str, name: str, frames: list[str], boxes, problems: Optional[list[str]],
                    object_class: Optional[str]) -> Sequence:
    """A sequence of a table-driven dataset (OTB, UAV123) whose frames were checked to exist;
    a missing first or last frame goes to ``problems`` (or is raised if it is None)."""
    with collect_problems(dataset, problems) as found:
        check_frames_exist(name, frames, found)
    return Sequence(name=name, frames=frames, ground_truth=boxes, dataset=dataset, object_class=object_class)


def load_listed(dataset: str, root: Path, names: list[str], wanted: Optional[Iterable[str]], partial: bool,
                annotation_path: Callable[[str], Path], load_one: Callable[[str, list[str]], Sequence]) -> list[Sequence]:
    """The sequences of a dataset with an embedded sequence table (OTB, UAV123, NfS).

    Selects ``wanted`` among ``names``, drops (with ``partial``) or reports the ones whose
    annotation file is missing, loads the rest with ``load_one(name, problems)`` and raises
    one error naming every sequence whose frames and annotations disagree.
    """
    names = select(names, wanted, dataset)
    present = {n: annotation_path(n).is_file() for n in names}
    names = drop_missing(names, present, dataset, root, partial)
    return load_each(dataset, names, load_one, partial)
