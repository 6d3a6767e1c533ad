"""The one data-path lookup (evaluation.paths) as every package sees it."""
from __future__ import annotations

import pytest

from evaluation import ROOT_VARIABLES, dataset_root
from evaluation.paths import PATH_VARIABLES, MissingPathError, configured_path
from ltr.admin.environment import LTR_PATHS, load_env
from pytracking_ebm.detection.checkpoint import default_pretrained


@pytest.fixture
def config(tmp_path, monkeypatch):
    for variable, _ in PATH_VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    folder = tmp_path / "cfg" / "pytracking-ebm"
    folder.mkdir(parents=True)
    return folder / "env.toml"


def test_one_table_of_variables():
    assert set(ROOT_VARIABLES.values()) <= {v for v, _ in PATH_VARIABLES.values()}
    assert set(LTR_PATHS) <= set(PATH_VARIABLES)
    assert all(v == k.upper() for k, (v, _) in PATH_VARIABLES.items())  # the TOML key is the variable in lower case


def test_benchmarks_training_and_detection_read_the_same_file(tmp_path, config, monkeypatch):
    for d in ("uav", "coco", "weights", "env"):
        (tmp_path / d).mkdir()
    config.write_text(f'uav123_dir = "{tmp_path / "uav"}"\ncoco_dir = "{tmp_path / "coco"}"\n'
                      f'pretrained_dir = "{tmp_path / "weights"}"\n')
    assert dataset_root("uav123") == tmp_path / "uav"
    assert load_env().path("coco_dir") == tmp_path / "coco"          # before: ltr refused uav123_dir
    assert default_pretrained("r50.pth") == tmp_path / "weights" / "r50.pth"  # before: $PRETRAINED_DIR only
    monkeypatch.setenv("PRETRAINED_DIR", str(tmp_path / "env"))     # the variable wins over the file
    assert default_pretrained("r50.pth") == tmp_path / "env" / "r50.pth"
    assert configured_path("pretrained_dir") == (str(tmp_path / "env"), " (from PRETRAINED_DIR)")
    assert dataset_root("uav123", tmp_path / "coco") == tmp_path / "coco"  # the flag wins over both


def test_unknown_key_and_missing_root_are_one_line_errors(config):
    config.write_text('lasot_dri = "/x"\n')
    with pytest.raises(ValueError, match=r"unknown key\(s\) lasot_dri; known: lasot_dir"):
        configured_path("lasot_dir")
    config.write_text("")
    with pytest.raises(MissingPathError, match=r"^otb: dataset root not set; set OTB_DIR=<dir>, add otb_dir"):
        dataset_root("otb")
