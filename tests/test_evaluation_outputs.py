"""Plots, tables and the command line, end to end on synthetic data."""
import os

import numpy as np
import pandas as pd
import pytest

from evaluation import (evaluate_trackers, get_dataset, plot_success, results_table,
                        to_latex, to_markdown, transpose, write_results, write_synthetic_dataset,
                        write_table)
from evaluation.cli import main
from evaluation.plots import legend_rows


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A synthetic UAV123 root and results of two trackers (one with three runs)."""
    base = tmp_path_factory.mktemp("outputs")
    names = write_synthetic_dataset("uav123", base / "uav")
    seqs = get_dataset("uav123", base / "uav", sequences=names)
    rng = np.random.default_rng(0)
    for s in seqs:
        gt = np.nan_to_num(s.ground_truth, nan=10.0)
        write_results(base / "res" / "good" / "p" / f"{s.name}.txt", gt)
        for run in range(3):
            noisy = gt + rng.normal(0, 3, gt.shape)
            noisy[:, 2:] = np.abs(noisy[:, 2:]) + 1
            write_results(base / "res" / "noisy" / f"p_{run:03d}" / f"{s.name}.txt", noisy)
    return base, names, seqs


def test_plots_written_and_sorted_by_auc(setup, tmp_path):
    base, _, seqs = setup
    evals = evaluate_trackers(seqs, base / "res", ["noisy:p=Noisy", "good:p=Good"])
    assert evals["Noisy"].runs == 3 and evals["Good"].runs == 1
    paths = plot_success(evals, tmp_path / "plots" / "uav_success")
    assert [p.suffix for p in paths] == [".png", ".pdf"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths[1].read_bytes()[:5] == b"%PDF-"
    rows = legend_rows(evals, "success")
    assert [r[0] for r in rows] == [f"Good [{evals['Good'].auc:.1f}]",
                                    f"Noisy [{evals['Noisy'].auc:.1f}]"]
    assert evals["Good"].auc > evals["Noisy"].auc


def test_table_numbers_equal_the_metrics(setup, tmp_path):
    base, _, seqs = setup
    evals = evaluate_trackers(seqs, base / "res", ["noisy:p=Noisy", "good:p=Good"])
    frame = results_table(evals)
    assert list(frame.index) == ["Good", "Noisy"]
    for name, ev in evals.items():
        assert frame.loc[name].to_dict() == ev.summary()
    paths = write_table(frame, tmp_path / "uav_results")
    assert [p.suffix for p in paths] == [".md", ".csv", ".tex"]
    csv = pd.read_csv(paths[1], index_col=0)
    for name, ev in evals.items():
        assert csv.loc[name].to_dict() == ev.summary()                    # full precision
    md = paths[0].read_text()
    assert f"| Good | {evals['Good'].auc:.1f} |" in md
    assert md == to_markdown(frame)
    tex = to_latex(transpose(frame))
    assert r"\textbf{" + f"{evals['Good'].auc:.1f}" + "}" in tex and "Metric & Good & Noisy" in tex


def test_cli_score_plot_table(setup, tmp_path, capsys):
    base, names, _ = setup
    common = ["--dataset", "uav123", "--root", str(base / "uav"), "--partial",
              "--results", str(base / "res"), "--trackers", "good:p=Good", "noisy:p"]
    assert main(["score", *common, "--per-sequence"]) == 0
    out = capsys.readouterr().out
    assert "UAV123: scored 4 sequences" in out and "| Good |" in out and "uav_bird1_2" in out
    assert main(["plot", *common, "--out", str(tmp_path / "plots")]) == 0
    written = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert written == sorted(f"{k}_plot.{f}" for k in ("success", "precision", "norm_precision")
                             for f in ("png", "pdf"))
    assert main(["table", *common, "--out", str(tmp_path / "tables"), "--transpose"]) == 0
    assert (tmp_path / "tables" / "uav123_results.tex").is_file()
    assert main(["score", *common, "--convention", "got10k"]) == 0


def test_cli_errors_are_one_line(setup, tmp_path, capsys, monkeypatch):
    base, _, _ = setup
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))             # no user path file
    monkeypatch.delenv("OTB_DIR", raising=False)
    assert main(["score", "--dataset", "otb", "--trackers", "a:b"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "OTB_DIR" in err and "--root" in err
    assert main(["score", "--dataset", "uav123", "--root", str(base / "uav"), "--partial",
                 "--results", str(base / "res"), "--trackers", "missing:p"]) == 2
    assert "no results for missing:p" in capsys.readouterr().err


def test_cli_list_synthetic_and_pack(tmp_path, capsys):
    assert main(["synthetic", "--layout", "got10k", "--out", str(tmp_path / "got")]) == 0
    assert main(["list", "--dataset", "got10k_val", "--root", str(tmp_path / "got")]) == 0
    assert "GOT-10k_Val_000001" in capsys.readouterr().out
    assert main(["list"]) == 0
    assert "GOT10K_DIR" in capsys.readouterr().out
    test = get_dataset("got10k", tmp_path / "got", split="test")
    for s in test:
        write_results(tmp_path / "res" / "dimp" / "p" / f"{s.name}.txt",
                      np.tile(s.ground_truth, (len(s), 1)), times=np.full(len(s), 0.02))
    assert main(["pack", "--dataset", "got10k", "--root", str(tmp_path / "got"),
                 "--results", str(tmp_path / "res"), "--tracker", "dimp:p",
                 "--out", str(tmp_path / "got.zip")]) == 0
    assert (tmp_path / "got.zip").is_file()
    val = get_dataset("got10k", tmp_path / "got", split="val")
    for s in val:
        write_results(tmp_path / "res" / "dimp" / "p" / f"{s.name}.txt", s.ground_truth)
    assert main(["score", "--dataset", "got10k_val", "--root", str(tmp_path / "got"),
                 "--results", str(tmp_path / "res"), "--trackers", "dimp:p",
                 "--convention", "got10k"]) == 0
    assert "AO 100.0  SR50 100.0  SR75 100.0" in capsys.readouterr().out
    assert main(["synthetic", "--layout", "otb", "--out", str(tmp_path / "got")]) == 2
    assert "not an empty directory" in capsys.readouterr().err


def test_cli_list_check_against_official_lengths(tmp_path, capsys):
    assert main(["synthetic", "--layout", "otb", "--out", str(tmp_path / "otb")]) == 0
    assert main(["list", "--dataset", "otb", "--root", str(tmp_path / "otb"), "--partial",
                 "--check"]) == 2
    captured = capsys.readouterr()
    assert "David" in captured.out and "[official length 471]" in captured.out
    assert "differ from the official lengths" in captured.err


def test_pack_trackingnet_without_root_packs_exactly_the_official_names(tmp_path, capsys, monkeypatch):
    from evaluation.cli import main as cli
    from evaluation.submission import TRACKINGNET_TEST_SEQUENCES, read_trackingnet_submission
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))             # no user path file
    monkeypatch.delenv("TRACKINGNET_DIR", raising=False)
    assert len(TRACKINGNET_TEST_SEQUENCES) == len(set(TRACKINGNET_TEST_SEQUENCES)) == 511
    assert {"__WaG8fRMto_0", "0HBDWix1LAk_1", "EdQqy72QQeQ_3"} <= set(TRACKINGNET_TEST_SEQUENCES)
    run = tmp_path / "res" / "dimp" / "p"
    box = np.array([[1.0, 2.0, 3.0, 4.0]])
    for name in TRACKINGNET_TEST_SEQUENCES[:-2] + ["GOT-10k_Test_000001"]:   # another dataset's result too
        write_results(run / f"{name}.txt", box)
    args = ["pack", "--dataset", "trackingnet", "--results", str(tmp_path / "res"), "--tracker", "dimp:p",
            "--out", str(tmp_path / "tn.zip")]
    assert cli(args) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "no results for 2 of 511" in err and TRACKINGNET_TEST_SEQUENCES[-1] in err
    assert not (tmp_path / "tn.zip").exists()
    for name in TRACKINGNET_TEST_SEQUENCES[-2:]:
        write_results(run / f"{name}.txt", box)
    assert cli(args) == 0
    assert sorted(read_trackingnet_submission(tmp_path / "tn.zip")) == sorted(TRACKINGNET_TEST_SEQUENCES)


def test_cli_partial_skips_a_bad_sequence_and_says_how_many_were_scored(setup, tmp_path, capsys):
    import shutil
    base, names, seqs = setup
    root = tmp_path / "uav"
    shutil.copytree(base / "uav", root)
    bad = seqs[1]
    os.remove(bad.frames[-1].replace(str(base / "uav"), str(root)))
    common = ["--dataset", "uav123", "--root", str(root), "--partial", "--results", str(base / "res"),
              "--trackers", "good:p=Good"]
    assert main(["score", *common]) == 0
    captured = capsys.readouterr()
    assert "UAV123: scored 3 sequences" in captured.out
    assert [line for line in captured.err.splitlines() if line.startswith("warning:")] == [
        line for line in captured.err.splitlines() if bad.name in line and line.startswith("warning:")]
    assert captured.err.count(f"skipping {bad.name}") == 1
    assert main(["score", *[a for a in common if a != "--partial"], "--sequences", *names]) == 2   # strict default
    assert bad.name in capsys.readouterr().err
