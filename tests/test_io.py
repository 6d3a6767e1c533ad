"""Atomic writes: old content survives a failed write, no temporary file is left behind."""
import os

import pytest

from pytracking_ebm.io import (atomic_directory, atomic_write, atomic_write_image, atomic_write_json, atomic_write_text,
                               move_aside)


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


def test_atomic_directory_refuses_user_data_and_leaves_nothing_on_failure(tmp_path):
    def write(staging):
        (staging / "a.txt").write_text("data")

    root = atomic_directory(tmp_path / "new", write)
    assert (root / "a.txt").read_text() == "data"
    with pytest.raises(FileExistsError, match="not an empty directory"):
        atomic_directory(root, write)                      # the user's (or an earlier) data stays
    assert os.listdir(root) == ["a.txt"]

    def broken(staging):
        write(staging)
        raise RuntimeError("killed")

    (tmp_path / "empty").mkdir()
    with pytest.raises(RuntimeError):
        atomic_directory(tmp_path / "empty", broken)
    assert sorted(os.listdir(tmp_path)) == ["empty", "new"] and not os.listdir(tmp_path / "empty")


def test_atomic_write_image_round_trip_and_bad_extension(tmp_path):
    import cv2
    import numpy as np
    image = np.zeros((8, 6, 3), np.uint8)
    image[2:4, 1:3] = (0, 0, 255)
    np.testing.assert_array_equal(cv2.imread(str(atomic_write_image(tmp_path / "a.png", image))), image)
    with pytest.raises(OSError, match="could not write"):
        atomic_write_image(tmp_path / "b.notanimage", image)
    assert sorted(os.listdir(tmp_path)) == ["a.png"]


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_every_atomic_writer_gives_the_usual_mode(tmp_path, umask_022):
    """Files 0644 and folders 0755 under umask 022, as open/mkdir give (not mkstemp's 0600 / 0700)."""
    import numpy as np

    from evaluation import write_results, write_synthetic_dataset
    from evaluation.results import atomic_write_bytes
    atomic_write_text(tmp_path / "a.txt", "x")
    atomic_write_bytes(tmp_path / "b.txt", b"x")
    write_results(tmp_path / "res" / "seq.txt", np.ones((2, 4)), times=[0.1, 0.1])
    for path in (tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "res" / "seq.txt", tmp_path / "res" / "seq_time.txt"):
        assert path.stat().st_mode & 0o777 == 0o644, path
    atomic_directory(tmp_path / "d", lambda staging: (staging / "f").write_text("x"))
    write_synthetic_dataset("otb", tmp_path / "otb")
    for path in (tmp_path / "d", tmp_path / "otb"):
        assert path.stat().st_mode & 0o777 == 0o755, path


def test_remove_stale_temp_files_matches_only_the_writers_temp_names(tmp_path):
    from pytracking_ebm.io import remove_stale_temp_files
    stale = [tmp_path / ".seq.txt.ab_12xyz", tmp_path / ".seq_log.json.0123abcd.json"]
    kept = [tmp_path / "seq.txt", tmp_path / ".seq.txt.ab_12xy", tmp_path / ".notes.md.0123abcd.md",
            tmp_path / "x.seq.txt.ab_12xyz"]
    for path in stale + kept:
        path.write_text("x")
    assert sorted(remove_stale_temp_files(tmp_path, r".+\.txt|.+_log\.json")) == sorted(stale)
    assert all(p.exists() for p in kept)


def test_move_aside_never_reuses_a_name_and_keeps_the_content(tmp_path):
    first = tmp_path / "run"
    first.mkdir()
    (first / "stats.csv").write_text("epoch 1\n")
    moved = move_aside(first, "previous", stamp="20261204-120000")
    assert moved == tmp_path / "run.previous-20261204-120000" and not first.exists()
    first.mkdir()
    (first / "stats.csv").write_text("epoch 2\n")
    again = move_aside(first, "previous", stamp="20261204-120000")    # same second: a new name
    assert again == tmp_path / "run.previous-20261204-120000-2"
    assert (moved / "stats.csv").read_text() == "epoch 1\n" and (again / "stats.csv").read_text() == "epoch 2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.previous-20261204-120000",
                                                          "run.previous-20261204-120000-2"]
