"""ltr/run_training.py: listing, unknown settings, the missing-weights message."""
import pytest

from ltr.run_training import main


def test_list_shows_every_setting_with_its_description(capsys):
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    for name in ("dimp/kld_is", "dimp/nce", "dimp/nce_plus", "dimp/prdimp50", "dimp/dimp50"):
        assert name in out
    assert "DiMP-NCE+: DiMP centre regression + box energy head trained with NCE+" in out


def test_unknown_setting_is_an_error(capsys):
    assert main(["dimp", "nope"]) == 2
    assert "unknown setting 'dimp/nope'" in capsys.readouterr().err


def test_missing_imagenet_weights_refuse_to_start(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PRETRAINED_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no env.toml
    assert main(["dimp", "nce_plus", "--workspace", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "PRETRAINED_DIR" in err and "--no-pretrained" in err
    (tmp_path / "weights").mkdir()
    assert main(["dimp", "nce_plus", "--workspace", str(tmp_path), "--pretrained-dir", str(tmp_path / "weights")]) == 2
    assert "resnet50.pth" in capsys.readouterr().err
    assert not (tmp_path / "checkpoints").exists()


def test_missing_dataset_root_is_one_line(tmp_path, monkeypatch, capsys):
    for variable in ("LASOT_DIR", "GOT10K_DIR", "TRACKINGNET_DIR", "COCO_DIR", "WORKSPACE_DIR"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no env.toml
    assert main(["dimp", "nce_plus", "--workspace", str(tmp_path), "--no-pretrained", "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("run_training.py: ") and "_DIR" in err
    assert not (tmp_path / "checkpoints").exists()


def test_resuming_a_checkpoint_of_another_setting_is_one_line(tmp_path, capsys):
    """A dimp/nce_plus checkpoint copied under checkpoints/dimp/nce: refused, naming both settings."""
    import json

    from ltr.trainers import save_checkpoint
    from pytracking_ebm.checkpoint import TRAINING_FORMAT as FORMAT
    folder = tmp_path / "checkpoints" / "dimp" / "nce"
    save_checkpoint({"format": FORMAT, "epoch": 1, "run": json.dumps({"setting": "dimp/nce_plus"})},
                    folder / "epoch_0001.pth")
    assert main(["dimp", "nce", "--synthetic", "--workspace", str(tmp_path), "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip()                   # (after the synthetic data's notes)
    last = err.splitlines()[-1]
    assert "Traceback" not in err and last.startswith("run_training.py: ")
    assert "setting dimp/nce_plus, not of dimp/nce" in last
    assert [p.name for p in folder.iterdir()] == ["epoch_0001.pth"]
