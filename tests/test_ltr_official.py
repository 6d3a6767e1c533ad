"""Converter of pytracking's published checkpoints: names map onto our modules, no code runs."""
import math
import os
import sys
import types
from collections import OrderedDict

import pytest
import torch

from ltr.models import DiMPNetSpec, build_network
from ltr.models.filter_ops import apply_filter
from ltr.models.official import load_official_checkpoint, official_to_ours, read_official_state_dict

#: a few names exactly as they appear in dimp50.pth / super_dimp.pth, and ours
KNOWN = {
    "feature_extractor.conv1.weight": "backbone.conv1.weight",
    "feature_extractor.layer3.0.downsample.1.running_mean": "backbone.layer3.0.downsample.1.running_mean",
    "classifier.feature_extractor.0.weight": "classifier.features.conv.weight",
    "classifier.filter_initializer.filter_conv.weight": "classifier.initializer.conv.weight",
    "classifier.filter_initializer.filter_conv.bias": "classifier.initializer.conv.bias",
    "classifier.filter_optimizer.log_step_length": "classifier.optimizer.log_step_length",
    "classifier.filter_optimizer.filter_reg": "classifier.optimizer.filter_reg",
    "classifier.filter_optimizer.label_map_predictor.weight": "classifier.optimizer.label_predictor.weight",
    "classifier.filter_optimizer.target_mask_predictor.0.weight": "classifier.optimizer.mask_predictor.weight",
    "classifier.filter_optimizer.spatial_weight_predictor.weight": "classifier.optimizer.weight_predictor.weight",
    "bb_regressor.conv3_1r.0.weight": "box_head.ref_conv3.conv.weight",
    "bb_regressor.conv3_1r.1.running_var": "box_head.ref_conv3.bn.running_var",
    "bb_regressor.conv3_2t.0.bias": "box_head.test_conv3b.conv.bias",
    "bb_regressor.conv4_1t.1.weight": "box_head.test_conv4a.bn.weight",
    "bb_regressor.fc3_1r.0.weight": "box_head.ref_fc3.conv.weight",
    "bb_regressor.fc34_3r.0.weight": "box_head.mod3.conv.weight",
    "bb_regressor.fc34_4r.1.num_batches_tracked": "box_head.mod4.bn.num_batches_tracked",
    "bb_regressor.fc3_rt.linear.weight": "box_head.test_fc3.fc.weight",
    "bb_regressor.fc4_rt.bn.running_mean": "box_head.test_fc4.bn.running_mean",
    "bb_regressor.iou_predictor.weight": "box_head.energy.weight",
}


def test_known_official_names_map_onto_our_parameters():
    ours = set(build_network(DiMPNetSpec.tiny()).state_dict())
    for theirs, mine in KNOWN.items():
        assert official_to_ours(theirs) == mine and mine in ours
    assert official_to_ours("feature_extractor.layer4.0.conv1.weight") is None
    assert official_to_ours("feature_extractor.fc.weight") is None


def fake_official_checkpoint(net, path, marker, legacy=False):
    """A pytracking-style file: our tensors under the official names, plus pickled foreign objects."""
    own = net.state_dict()
    state = OrderedDict((theirs, torch.randn(own[mine].shape).to(own[mine].dtype)) for theirs, mine in KNOWN.items())
    state["feature_extractor.fc.weight"] = torch.randn(3, 3)
    state["classifier.something_new.weight"] = torch.randn(2)

    fake = types.ModuleType("ltr_admin_fake")  # stands for pytracking's ltr.admin.settings

    class Settings:
        pass

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    Settings.__module__ = Evil.__module__ = fake.__name__
    fake.Settings, fake.Evil = Settings, Evil
    Settings.__qualname__, Evil.__qualname__ = "Settings", "Evil"
    sys.modules[fake.__name__] = fake
    try:
        settings = Settings()
        settings.env = {"lasot_dir": "/data"}
        torch.save({"epoch": 50, "net_type": "dimpnet50", "net": state, "settings": settings,
                    "constructor": Evil()}, path, _use_new_zipfile_serialization=not legacy)
    finally:
        del sys.modules[fake.__name__]
    return state


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy-format"])
def test_converter_loads_tensors_without_running_pickled_code(tmp_path, legacy):
    net = build_network(DiMPNetSpec.tiny())
    marker = tmp_path / "pwned"
    state = fake_official_checkpoint(net, tmp_path / "dimp50.pth", marker, legacy)
    assert "ltr_admin_fake" not in sys.modules
    read = read_official_state_dict(tmp_path / "dimp50.pth")
    assert not marker.exists() and "ltr_admin_fake" not in sys.modules
    assert set(read) == set(state)

    net, report = load_official_checkpoint(tmp_path / "dimp50.pth", net)
    loaded = net.state_dict()
    for theirs, mine in KNOWN.items():
        assert torch.equal(loaded[mine], state[theirs]), mine
    assert report.unexpected == ["classifier.something_new.weight"]
    assert report.ignored == ["feature_extractor.fc.weight"]
    assert "box_head.energy.bias" in report.missing and "box_head.energy.weight" not in report.missing
    assert not marker.exists()


def test_published_prdimp_networks_are_recognised_by_their_names():
    """PrDiMP's file has no DiMP label predictor: a PrDiMP-50 is built (KL optimiser), with
    exactly the classifier tensors such a file holds."""
    from ltr.models.official import official_spec

    dimp = {"classifier.filter_optimizer.label_map_predictor.weight": None, "feature_extractor.conv1.weight": None}
    prdimp = {"classifier.filter_optimizer.log_step_length": None, "feature_extractor.conv1.weight": None}
    assert official_spec(dimp).classifier == "dimp"
    spec = official_spec(prdimp)
    assert spec.classifier == "prdimp" and spec.frozen_layers == []
    names = set(build_network(DiMPNetSpec.tiny(classifier="prdimp")).state_dict())
    assert {n for n in names if n.startswith("classifier.optimizer.")} == {
        "classifier.optimizer.log_step_length", "classifier.optimizer.filter_reg"}
    with pytest.raises(ValueError, match="unknown classifier"):
        build_network(DiMPNetSpec.tiny(classifier="kl"))


def test_prdimp_optimiser_lowers_its_kl_loss():
    """PrDiMP's Newton steps from a zero filter take the train loss well below its initial
    log 100 (a 10x10 map), and the learnt filter's scores peak at the target centre."""
    torch.manual_seed(0)
    net = build_network(DiMPNetSpec.tiny(classifier="prdimp", optim_min_reg=0.05, alpha_eps=0.05))
    feat = torch.randn(3, 1, 16, 9, 9)
    boxes = torch.tensor([[[40.0, 50.0, 30.0, 20.0]]]).repeat(3, 1, 1)
    filt, iterates, losses = net.classifier.optimizer(torch.zeros(1, 16, 4, 4), feat, boxes, num_iter=5)
    assert len(iterates) == len(losses) == 6
    assert losses[0].item() == pytest.approx(math.log(100), rel=1e-5)
    assert losses[-1] < 0.75 * losses[0]
    scores = apply_filter(feat, filt).mean(dim=(0, 1))
    row, col = divmod(int(scores.argmax()), scores.shape[-1])
    assert abs(row - 60 / 16) <= 1 and abs(col - 55 / 16) <= 1  # the box centre (55, 60) px, stride 16
