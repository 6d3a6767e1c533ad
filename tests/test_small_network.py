"""The small tracker of ``dimp nce_plus18``: ResNet-18 backbone, named datasets, fp16 export, end to end."""
import importlib
import json
import shutil

import pytest
import torch
import torchvision

from evaluation.results import read_results
from ltr import load_network
from ltr.admin import MissingPathError, load_env
from ltr.data.mixture import GOT10kFolder, named_datasets, parse_dataset_weights
from ltr.dataset.synthetic import write_got10k_train
from ltr.export import export_network
from ltr.export import main as export_main
from ltr.models import DiMPNetSpec, ResNetBackbone, build_network, load_imagenet_weights
from ltr.run_training import main as train_main
from ltr import training
from ltr.trainers import save_checkpoint
from pytracking import run_tracker
from pytracking.networks import CheckpointMissing
from pytracking_ebm.losses import NCEPlus


def tiny18(**overrides):
    """ResNet-18 (one basic block per stage) with narrow heads."""
    return DiMPNetSpec.tiny(backbone="resnet18", backbone_width=64, frozen_layers=[], box_head_width=16,
                            **overrides)


def test_resnet18_backbone_channels_and_strides():
    bb = ResNetBackbone(blocks=(1, 1, 1), arch="resnet18")
    out = bb(torch.randn(1, 3, 64, 96), ("layer1", "layer2", "layer3"))
    assert out["layer1"].shape == (1, 64, 16, 24) and out["layer2"].shape == (1, 128, 8, 12)
    assert out["layer3"].shape == (1, 256, 4, 6)
    assert bb.channels == {"layer1": 64, "layer2": 128, "layer3": 256}
    assert ResNetBackbone(blocks=(1, 1, 1), width_per_group=8).channels == {"layer1": 256, "layer2": 512, "layer3": 1024}
    with pytest.raises(ValueError, match="backbone_width must be 64"):
        ResNetBackbone(blocks=(1, 1, 1), width_per_group=8, arch="resnet18")
    with pytest.raises(ValueError, match="unknown backbone 'vgg'"):
        ResNetBackbone(arch="vgg")


def test_resnet18_takes_torchvision_imagenet_weights(tmp_path):
    """Same module names and shapes as torchvision's resnet18, so a local resnet18.pth loads."""
    torch.manual_seed(0)
    reference = torchvision.models.resnet18()
    torch.save(reference.state_dict(), tmp_path / "resnet18.pth")
    bb = ResNetBackbone(blocks=(2, 2, 2), arch="resnet18")
    load_imagenet_weights(bb, tmp_path / "resnet18.pth")
    torch.testing.assert_close(bb.layer3[1].conv2.weight, reference.layer3[1].conv2.weight)
    with pytest.raises(ValueError, match="not a torchvision resnet50 state_dict: shapes differ"):
        load_imagenet_weights(ResNetBackbone(blocks=(3, 4, 6), width_per_group=8), tmp_path / "resnet18.pth")


def test_spec_json_with_and_without_the_backbone_field():
    spec = tiny18()
    assert DiMPNetSpec.from_json(spec.to_json()) == spec and spec.backbone == "resnet18"
    old = json.loads(DiMPNetSpec().to_json())
    del old["backbone"], old["box_head_width"]  # JSON of checkpoints written before the fields existed
    assert DiMPNetSpec.from_json(json.dumps(old)) == DiMPNetSpec() and DiMPNetSpec().backbone == "resnet50"


def test_resnet18_network_heads_follow_the_channels():
    torch.manual_seed(0)
    net = build_network(tiny18())
    assert net.classifier.features.conv.in_channels == 256
    assert net.box_head.test_conv3a.conv.in_channels == 128 and net.box_head.test_conv4a.conv.in_channels == 256
    assert net.box_head.test_conv3a.conv.out_channels == 16
    i, s, p = 2, 2, 3
    bb = torch.tensor([20.0, 22.0, 24.0, 18.0]).expand(i, s, 4)
    scores, energy, _ = net(torch.randn(i, s, 3, 64, 64), torch.randn(i, s, 3, 64, 64), bb,
                            bb[:, :, None].expand(i, s, p, 4).contiguous())
    assert scores[-1].shape == (i, s, 5, 5) and energy.shape == (i, s, p)


def test_nce_plus18_setting_numbers():
    s = importlib.import_module("ltr.train_settings.dimp.nce_plus18").settings()
    n = s.net
    assert (n.backbone, n.backbone_blocks, n.backbone_width, n.frozen_layers) == ("resnet18", [2, 2, 2], 64, [])
    assert (n.clf_feature_dim, n.box_head_width, n.box_pred_input_dim, n.box_pred_inter_dim) == (256, 128, [128, 128], [128, 128])
    assert (n.filter_size, n.optim_iter, n.num_dist_bins) == (4, 5, 100)
    p = s.processing
    assert (p["output_size"], p["feature_size"], p["search_area_factor"]) == (256, 16, 5.0)
    assert n.init_gauss_sigma == pytest.approx(0.8)
    loss = training.build_box_loss(s)
    assert isinstance(loss, NCEPlus) and loss.beta == 0.1 and loss.num_samples == 128 and loss.sigmas.tolist() == [0.05, 0.5]
    assert s.datasets == {"semireal": 1.0} and s.val_datasets == {"semireal_val": 1.0} and s.pretrained == "optional"
    assert (s.batch_size, s.samples_per_epoch, s.epochs, s.num_workers, s.lr_step) == (8, 320, 8, 2, 6)
    assert s.loss_weights == {"box": 0.01, "test_clf": 100.0, "test_init_clf": 100.0, "test_iter_clf": 400.0}
    # the shipped file must fit in 25 MB at fp16
    net = build_network(n)
    assert 2 * sum(t.numel() for t in net.state_dict().values() if t.is_floating_point()) < 25e6
    for name in ("kld_is", "nce", "nce_plus", "dimp50", "prdimp50"):  # the paper settings keep their datasets
        paper = importlib.import_module(f"ltr.train_settings.dimp.{name}").settings()
        assert paper.datasets == {} and paper.net.backbone == "resnet50" and paper.pretrained == "required"


def test_named_datasets_read_semireal_folders_and_split_weights(tmp_path):
    write_got10k_train(tmp_path / "semi", num_frames=12, num_sequences=3)
    shutil.copytree(tmp_path / "semi" / "train", tmp_path / "semi" / "val")
    env = load_env(overrides={"semireal_dir": tmp_path / "semi"}, environ={})
    sets, weights = named_datasets({"semireal": 1.0, "synthetic": 0.4}, env, tmp_path / "syn")
    assert isinstance(sets[0], GOT10kFolder) and len(sets[0]) == 3 and sets[0].name == "semireal"
    assert weights == pytest.approx([1.0, 0.1, 0.1, 0.1, 0.1]) and len(sets) == 5
    assert len(sets[0].sequence(0).frames) == 12
    (val,), _ = named_datasets({"semireal_val": 1.0}, env)
    assert val.train_dir == tmp_path / "semi" / "val"
    with pytest.raises(MissingPathError, match="SEMIREAL_DIR"):
        named_datasets({"semireal": 1.0}, load_env(environ={}, env_file=_empty_toml(tmp_path)))
    assert parse_dataset_weights("semireal=1, synthetic=0.25") == {"semireal": 1.0, "synthetic": 0.25}
    with pytest.raises(ValueError, match="NAME=WEIGHT"):
        parse_dataset_weights("imagenet=1")


def _empty_toml(tmp_path):
    path = tmp_path / "env.toml"
    path.write_text("")
    return path


def test_export_writes_fp16_and_loads_back_to_the_same_network(tmp_path):
    torch.manual_seed(0)
    net = build_network(tiny18()).eval()
    run = {"setting": "dimp/nce_plus18", "argv": ["dimp", "nce_plus18", "--epochs", "3"],
           "settings": {"seed": 5, "datasets": {"semireal": 1.0}}}
    ckpt = save_checkpoint({"format": "ltr-checkpoint-v1", "epoch": 3, "net": net.state_dict(),
                            "net_spec": net.spec.to_json(), "run": json.dumps(run)}, tmp_path / "ck" / "epoch_0003.pth")
    out = tmp_path / "net.pth"
    training = export_network(tmp_path / "ck", out, data_seed="11")
    assert training["command"] == "python ltr/run_training.py dimp nce_plus18 --epochs 3"
    assert (training["seed"], training["data_seed"], training["epoch"]) == (5, "11", 3)
    raw = torch.load(out, weights_only=True)
    assert all(v.dtype == torch.float16 for v in raw["net"].values() if v.is_floating_point())
    loaded, info = load_network(out)
    assert info.training["setting"] == info.setting == "dimp/nce_plus18" and info.epoch == 3 and not info.official
    for name, value in loaded.state_dict().items():  # fp32 again, equal to the fp16-rounded weights
        ref = net.state_dict()[name]
        assert value.dtype == ref.dtype
        if ref.is_floating_point():
            assert torch.equal(value, ref.half().float())
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        a, b = net.extract_backbone_features(x), loaded.extract_backbone_features(x)
    torch.testing.assert_close(b["layer3"], a["layer3"], rtol=2e-2, atol=2e-2)
    assert export_main([str(ckpt), str(ckpt)]) == 2  # never overwrite the checkpoint
    assert export_main([str(tmp_path / "nothing"), str(tmp_path / "x.pth")]) == 2


def test_nce_plus18_trains_exports_and_tracks(tmp_path, monkeypatch, capsys, synthetic_root):
    """Two training steps on synthetic data, the export, and run_tracker with the exported file."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    ws = tmp_path / "ws"
    assert train_main(["dimp", "nce_plus18", "--synthetic", "--workspace", str(ws), "--samples-per-epoch", "2",
                       "--batch-size", "2", "--epochs", "1", "--device", "cpu"]) == 0
    ckpt = ws / "checkpoints" / "dimp" / "nce_plus18" / "epoch_0001.pth"
    state = torch.load(ckpt, weights_only=True)
    assert json.loads(state["net_spec"])["backbone"] == "resnet18"
    shipped = tmp_path / "pretrained" / "nce_plus18.pth"
    assert export_main([str(ckpt.parent), str(shipped)]) == 0
    assert shipped.stat().st_size < 25e6
    root = synthetic_root(num_frames=6, num_sequences=1, seed=2)
    params = importlib.import_module("pytracking.parameter.dimp.nce_plus18")
    monkeypatch.setattr(params, "SHIPPED", shipped)  # the default network is the shipped file
    results = tmp_path / "results"
    assert run_tracker.main(["dimp", "nce_plus18", "--dataset", "synthetic", "--root", str(root),
                             "--results", str(results), "--device", "cpu"]) == 0
    (out,) = (results / "dimp" / "nce_plus18").glob("*[0-9].txt")
    assert read_results(out).shape == (6, 4)
    # a workspace checkpoint works too; a missing shipped file says how to make one
    assert run_tracker.main(["dimp", "nce_plus18", "--dataset", "synthetic", "--root", str(root), "--results",
                             str(tmp_path / "r2"), "--device", "cpu", "--checkpoint", str(ckpt)]) == 0
    monkeypatch.setattr(params, "SHIPPED", tmp_path / "absent.pth")
    with pytest.raises(CheckpointMissing, match="ltr.export"):
        from pytracking.tracker.dimp import build
        build(params.parameters())


def test_datasets_flag_overrides_the_mix_and_is_recorded():
    import argparse
    s = importlib.import_module("ltr.train_settings.dimp.nce_plus18").settings()
    args = argparse.Namespace(synthetic=False, epochs=None, samples_per_epoch=None, batch_size=None, workers=None,
                              seed=None, datasets="semireal=1,synthetic=0.2")
    changed = training.apply_overrides(s, args)
    assert s.datasets == {"semireal": 1.0, "synthetic": 0.2} and changed["datasets"] == s.datasets
