"""Result files, tracker specs, missing results and submission archives."""
import zipfile

import numpy as np
import pytest

from evaluation import (MissingResultsError, Sequence, TrackerSpec, evaluate_trackers,
                        find_result_file, pack_got10k, pack_got10k_dirs, pack_trackingnet,
                        pack_trackingnet_dir, parse_tracker, read_got10k_submission,
                        read_results, read_trackingnet_submission, run_dirs, write_results)
from evaluation.results import format_boxes, sequence_aliases
from evaluation.submission import GOT10K_TEST_SEQUENCES


def test_pytracking_format_truncates_toward_zero(tmp_path):
    boxes = np.array([[1.9, -1.7, 10.5, 20.2], [0.2, 3.99, 7.0, 8.0]])
    path = tmp_path / "dimp" / "nce" / "seq.txt"
    write_results(path, boxes, times=[0.5, 0.25])
    assert path.read_text() == "1\t-1\t10\t20\n0\t3\t7\t8\n"
    np.testing.assert_array_equal(read_results(path), np.trunc(boxes))
    assert (path.parent / "seq_time.txt").read_text().splitlines() == ["0.500000", "0.250000"]
    assert sorted(p.name for p in path.parent.iterdir()) == ["seq.txt", "seq_time.txt"]
    got = tmp_path / "got.txt"
    write_results(got, boxes, fmt="got10k")
    assert got.read_text().splitlines()[0] == "1.900,-1.700,10.500,20.200"
    np.testing.assert_allclose(read_results(got), boxes, atol=5e-4)


@pytest.mark.parametrize("text", ["1,2,3,4\n5,6,7,8\n", "1 2 3 4\n5 6 7 8", "1\t2\t3\t4\n\n5\t6\t7\t8\n",
                                  "1.0,2.0\t3.0 4.0\n5,6,7,8\n", "1,2,3,4,\n5,6,7,8,\n"])
def test_read_results_any_separator(tmp_path, text):
    path = tmp_path / "r.txt"
    path.write_text(text)
    np.testing.assert_array_equal(read_results(path), [[1, 2, 3, 4], [5, 6, 7, 8]])


def test_read_results_errors_name_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("1,2,3,4\n5,6,7\n")
    with pytest.raises(ValueError, match=r"bad\.txt:2: expected 4 box values, found 3"):
        read_results(path)
    path.write_text("1,2,3,4\n5,six,7,8\n")
    with pytest.raises(ValueError, match=r"bad\.txt:2: not a number"):
        read_results(path)
    with pytest.raises(FileNotFoundError):
        read_results(tmp_path / "absent.txt")


def test_tracker_specs_and_run_folders(tmp_path):
    assert parse_tracker("dimp:nce_plus") == TrackerSpec("dimp", "nce_plus")
    assert parse_tracker("dimp:nce_plus:3").run_id == 3
    spec = parse_tracker("dimp/kld_is=DiMP-KLD-IS")
    assert (spec.name, spec.param, spec.label) == ("dimp", "kld_is", "DiMP-KLD-IS")
    assert parse_tracker("dimp:nce:2").label == "dimp_nce_002"
    with pytest.raises(ValueError, match="cannot parse tracker"):
        parse_tracker("dimp")
    (tmp_path / "dimp" / "nce").mkdir(parents=True)
    assert run_dirs(tmp_path, parse_tracker("dimp:nce")) == [tmp_path / "dimp" / "nce"]
    for r in (0, 1, 2):
        (tmp_path / "dimp" / f"nce_{r:03d}").mkdir()
    assert [p.name for p in run_dirs(tmp_path, parse_tracker("dimp:nce"))] == [
        "nce_000", "nce_001", "nce_002"]
    assert [p.name for p in run_dirs(tmp_path, parse_tracker("dimp:nce:1"))] == ["nce_001"]
    with pytest.raises(FileNotFoundError, match="no results for dimp:nce_plus"):
        run_dirs(tmp_path, parse_tracker("dimp:nce_plus"))


def test_result_file_aliases(tmp_path):
    assert sequence_aliases("uav_bike1") == ["uav_bike1", "bike1"]
    assert "Jogging-1" in sequence_aliases("Jogging_1")
    (tmp_path / "Jogging-1.txt").write_text("1,2,3,4\n")
    (tmp_path / "Gymnastics.txt").write_text("1,2,3,4\n")
    assert find_result_file(tmp_path, "Jogging_1").name == "Jogging-1.txt"
    assert find_result_file(tmp_path, "nfs_Gymnastics").name == "Gymnastics.txt"
    assert find_result_file(tmp_path, "Jogging_2") is None


def _sequences(n=3, frames=6):
    gt = np.tile([5.0, 5.0, 20.0, 10.0], (frames, 1))
    return [Sequence(f"s{i}", [f"{j}.jpg" for j in range(frames)], gt, "otb") for i in range(n)]


def test_missing_results_are_named_and_can_be_skipped(tmp_path, capsys):
    seqs = _sequences()
    for tracker, names in (("a", ["s0", "s1", "s2"]), ("b", ["s0", "s2"])):
        for name in names:
            write_results(tmp_path / "t" / tracker / f"{name}.txt", seqs[0].ground_truth)
    with pytest.raises(MissingResultsError, match=r"t_b: 1 of 3 sequences \(s1\)"):
        evaluate_trackers(seqs, tmp_path, ["t:a", "t:b"])
    evals = evaluate_trackers(seqs, tmp_path, ["t:a", "t:b"], skip_missing=True)
    assert evals["t_a"].sequences == evals["t_b"].sequences == ["s0", "s2"]
    assert "scoring 2 of 3 sequences" in capsys.readouterr().err
    with pytest.raises(ValueError, match="share a label"):
        evaluate_trackers(seqs, tmp_path, ["t:a", "t:a"])


def test_invalid_result_error_names_the_file(tmp_path):
    seqs = _sequences(1)
    bad = seqs[0].ground_truth.copy()
    bad[3, 2] = -4
    write_results(tmp_path / "t" / "a" / "s0.txt", bad)
    with pytest.raises(ValueError, match=r"s0\.txt:4: NaN or negative size"):
        evaluate_trackers(seqs, tmp_path, ["t:a"])


# ---------------------------------------------------------------- submissions

def test_trackingnet_pack_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    results = {f"seq{i}": np.round(rng.uniform(1, 300, (5 + i, 4)), 2) for i in range(3)}
    out = pack_trackingnet(results, tmp_path / "sub" / "tn.zip", sequences=sorted(results))
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["seq0.txt", "seq1.txt", "seq2.txt"]
        assert archive.read("seq0.txt").decode().splitlines()[0].count(",") == 3
    back = read_trackingnet_submission(out)
    for name, boxes in results.items():
        np.testing.assert_allclose(back[name], boxes, atol=1e-9)
    with pytest.raises(FileNotFoundError, match="no results for 1 of 4 test sequences: extra"):
        pack_trackingnet(results, tmp_path / "x.zip", sequences=sorted(results) + ["extra"])
    assert not (tmp_path / "x.zip").exists()


def test_got10k_pack_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    names = GOT10K_TEST_SEQUENCES[:2]
    runs = [{n: np.round(rng.uniform(1, 300, (7, 4)), 3) for n in names} for _ in range(3)]
    times = [{n: rng.uniform(0.01, 0.1, 7) for n in names} for _ in range(3)]
    out = pack_got10k(runs, tmp_path / "got.zip", times=times, sequences=names)
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == sorted(
            [f"{n}/{n}_{r:03d}.txt" for n in names for r in (1, 2, 3)]
            + [f"{n}/{n}_time.txt" for n in names])
    back = read_got10k_submission(out)
    for n in names:
        for r in range(3):
            np.testing.assert_allclose(back[n]["runs"][r], runs[r][n], atol=1e-9)
        np.testing.assert_allclose(back[n]["times"], np.stack([t[n] for t in times], 1),
                                   atol=1e-8)
    with pytest.raises(FileNotFoundError, match="180 test sequences"):
        pack_got10k(runs, tmp_path / "y.zip")
    with pytest.raises(ValueError, match="1 to 3"):
        pack_got10k(runs * 2, tmp_path / "y.zip", sequences=names)


def test_pack_from_result_folders(tmp_path):
    boxes = np.array([[1, 2, 3, 4], [5, 6, 7, 8]], dtype=float)
    for r in range(2):
        for n in ("GOT-10k_Test_000001", "GOT-10k_Test_000002"):
            write_results(tmp_path / "dimp" / f"p_{r:03d}" / f"{n}.txt", boxes + r,
                          times=[0.1, 0.2])
    runs = run_dirs(tmp_path, parse_tracker("dimp:p"))
    out = pack_got10k_dirs(runs, tmp_path / "g.zip",
                           ["GOT-10k_Test_000001", "GOT-10k_Test_000002"])
    back = read_got10k_submission(out)
    np.testing.assert_array_equal(back["GOT-10k_Test_000002"]["runs"][1], boxes + 1)
    np.testing.assert_allclose(back["GOT-10k_Test_000001"]["times"], [[0.1, 0.1], [0.2, 0.2]])
    tn = pack_trackingnet_dir(runs[0], tmp_path / "t.zip")
    assert sorted(read_trackingnet_submission(tn)) == ["GOT-10k_Test_000001",
                                                       "GOT-10k_Test_000002"]
    assert format_boxes(boxes, "trackingnet").splitlines()[0] == "1.00,2.00,3.00,4.00"
