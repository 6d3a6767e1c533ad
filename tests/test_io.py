"""Atomic writes: old content survives a failed write, no temporary file is left behind."""
import os

import pytest

from pytracking_ebm.io import atomic_write, atomic_write_json, atomic_write_text


def test_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "results.txt"
    atomic_write_text(path, "old\n")

    def broken(tmp):
        with open(tmp, "w") as f:
            f.write("half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic_write(path, broken)
    assert path.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["results.txt"]


def test_temp_name_keeps_suffix_and_parents_are_created(tmp_path):
    seen = []
    path = atomic_write(tmp_path / "a" / "b" / "plot.png", lambda tmp: (seen.append(tmp), open(tmp, "w").close()))
    assert path.exists() and seen[0].endswith(".png") and os.path.basename(seen[0]).startswith(".")
    atomic_write_json(tmp_path / "x.json", {"k": [1, 2]})
    assert (tmp_path / "x.json").read_text() == '{\n  "k": [\n    1,\n    2\n  ]\n}\n'
