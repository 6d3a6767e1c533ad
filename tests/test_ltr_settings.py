"""The settings build what the paper says: check the built objects, not the constants."""
import importlib

import pytest
import torch

from ltr.models import DiMPNetSpec
from ltr import training
from ltr.train_settings.dimp import paper_settings
from pytracking_ebm.losses import KLDIS, NCE, NCEPlus

FROZEN = ("conv1", "bn1", "layer1", "layer2")
GROUP_LR = {"classifier.initializer": 5e-5, "classifier.optimizer": 5e-4, "classifier.features": 5e-5,
            "box_head": 1e-3, "backbone": 2e-5}


@pytest.fixture(scope="module")
def synthetic_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("synthetic")


def settings(name):
    return importlib.import_module(f"ltr.train_settings.dimp.{name}").settings()


def build(s, synthetic_dir, tmp_path):
    return training.build_trainer(s, "dimp/test", tmp_path, torch.device("cpu"), synthetic_dir=synthetic_dir)


def test_the_training_numbers_have_one_home():
    """Neither the settings class nor the processing has a default number of its own: the
    paper's values live only in ``paper_settings`` (mean / std are the backbone's ImageNet
    normalisation; ``box_loss`` is an object)."""
    from dataclasses import MISSING, fields

    from ltr.data.processing import DiMPProcessing
    for cls, allowed in ((training.DiMPSettings, set()), (DiMPProcessing, {"mean", "std"})):
        defaults = {f.name for f in fields(cls) if f.default is not MISSING or f.default_factory is not MISSING}
        assert defaults == allowed, (cls.__name__, defaults)
    s = paper_settings("nce_plus")
    processing = {f.name for f in fields(DiMPProcessing)} - {"box_loss", "filter_size", "mean", "std"}
    assert set(s.processing) == processing          # every processing number comes from the setting


@pytest.mark.filterwarnings("ignore:This DataLoader will create")  # 8 workers are configured, never started
def test_paper_setting_builds_the_paper_numbers(synthetic_dir, tmp_path):
    s = settings("nce_plus")
    trainer = build(s, synthetic_dir, tmp_path)
    net, actor = trainer.net, trainer.actor
    # frozen conv1 / bn1 / layer1 / layer2: no gradient, BatchNorm in eval mode while training
    net.train()
    for name in FROZEN:
        module = getattr(net.backbone, name)
        assert all(not p.requires_grad for p in module.parameters()) and not module.training
    assert all(p.requires_grad for p in net.backbone.layer3.parameters()) and net.backbone.layer3.training
    assert len(net.backbone.layer3) == 6 and net.spec.optim_iter == 5
    # Adam groups and StepLR(15, 0.2)
    opt = trainer.optimizer
    assert isinstance(opt, torch.optim.Adam) and opt.defaults["lr"] == 2e-4
    assert {g["name"]: g["lr"] for g in opt.param_groups} == GROUP_LR
    backbone_group = next(g for g in opt.param_groups if g["name"] == "backbone")
    assert {id(p) for p in backbone_group["params"]} == {id(p) for p in net.backbone.layer3.parameters()}
    assert sum(len(g["params"]) for g in opt.param_groups) == sum(p.requires_grad for p in net.parameters())
    assert isinstance(trainer.scheduler, torch.optim.lr_scheduler.StepLR)
    assert (trainer.scheduler.step_size, trainer.scheduler.gamma) == (15, 0.2)
    # losses
    assert actor.loss_weights == {"box": 0.01, "test_clf": 100.0, "test_init_clf": 100.0, "test_iter_clf": 400.0}
    assert actor.hinge_threshold == 0.05
    assert isinstance(actor.box_loss, NCEPlus) and actor.box_loss.beta == 0.1
    assert actor.box_loss.num_samples == 128 and actor.box_loss.sigmas.tolist() == [0.05, 0.5]
    # data: batch 20, 40 000 samples, LaSOT:GOT-10k:TrackingNet:COCO = 1:1:1:1, flips 0.5
    train, val = trainer.phases
    assert train.training and train.epoch_interval == 1 and train.loader.batch_size == 20
    sampler = train.loader.dataset
    assert len(train.loader.sampler) == 40000 and sampler.samples_per_epoch == 40000
    assert sampler.probabilities.tolist() == [0.25, 0.25, 0.25, 0.25]
    assert (sampler.max_gap, sampler.num_train_frames, sampler.num_test_frames) == (200, 3, 3)
    p = sampler.processing
    assert p.box_loss is actor.box_loss
    assert (p.flip_prob, p.frame_flip_prob, p.grayscale_prob, p.brightness_jitter) == (0.5, 0.5, 0.05, 0.2)
    assert (p.search_area_factor, p.output_size, p.feature_size, p.filter_size) == (6.0, 352, 22, 4)
    assert tuple(p.center_jitter) == (3.0, 5.5) and tuple(p.scale_jitter) == (0.25, 0.5)
    assert (p.crop_mode, p.max_scale_change, p.output_sigma_factor) == ("inside_major", 1.5, 0.25)
    # validation: GOT-10k votval, 10 000 samples every 5 epochs
    assert not val.training and val.epoch_interval == 5 and val.loader.dataset.samples_per_epoch == 10000
    assert net.spec.init_gauss_sigma == pytest.approx(0.25 / 6 * 22)
    assert s.epochs == 50


def test_the_three_paper_settings_differ_only_in_the_box_loss():
    ref = settings("kld_is").to_dict()
    for name, cls in (("kld_is", KLDIS), ("nce", NCE), ("nce_plus", NCEPlus)):
        s = settings(name)
        assert type(training.build_box_loss(s)) is cls
        diff = {k for k, v in s.to_dict().items() if v != ref[k]}
        assert diff <= {"box_loss", "box_loss_params", "description"}, diff
    assert training.build_box_loss(settings("kld_is")).sigma == 0.05


@pytest.mark.filterwarnings("ignore:This DataLoader will create")
def test_prdimp50_reverts_the_four_changes(synthetic_dir, tmp_path):
    s = settings("prdimp50")
    s.net = DiMPNetSpec.tiny(frozen_layers=[])  # the training numbers are what matter here
    trainer = build(s, synthetic_dir, tmp_path)
    sampler = trainer.phases[0].loader.dataset
    assert trainer.phases[0].loader.batch_size == 10 and sampler.samples_per_epoch == 26000
    assert sampler.probabilities.tolist() == pytest.approx([0.25 / 3.25, 1 / 3.25, 1 / 3.25, 1 / 3.25])
    assert sampler.processing.flip_prob == 0.0 and sampler.processing.frame_flip_prob == 0.0
    backbone_group = next(g for g in trainer.optimizer.param_groups if g["name"] == "backbone")
    assert len(backbone_group["params"]) == len(list(trainer.net.backbone.parameters()))


@pytest.mark.filterwarnings("ignore:This DataLoader will create")
def test_dimp50_trains_the_box_head_by_iou_regression(synthetic_dir, tmp_path):
    from ltr.actors import IoURegression
    s = settings("dimp50")
    assert s.net.frozen_layers == [] and s.net.init_gauss_sigma == pytest.approx(0.9)
    s.net = DiMPNetSpec.tiny(frozen_layers=[])
    trainer = build(s, synthetic_dir, tmp_path)
    loss = trainer.actor.box_loss
    assert isinstance(loss, IoURegression) and loss.num_samples == 8 and trainer.actor.loss_weights["box"] == 1.0
    assert {g["name"]: g["lr"] for g in trainer.optimizer.param_groups}["box_head"] == 2e-4
    sampler = trainer.phases[0].loader.dataset
    p = sampler.processing
    assert (p.search_area_factor, p.output_size, p.feature_size, p.crop_mode) == (5.0, 288, 18, "replicate")
    assert (trainer.phases[0].loader.batch_size, sampler.samples_per_epoch, sampler.max_gap) == (10, 26000, 30)


def test_synthetic_overrides_are_recorded():
    import argparse
    s = settings("nce_plus")
    args = argparse.Namespace(synthetic=True, epochs=None, samples_per_epoch=None, batch_size=3, workers=None,
                              seed=None)
    changed = training.apply_overrides(s, args)
    assert changed["batch_size"] == 3 and s.batch_size == 3 and s.epochs == 2 and s.num_workers == 0
    assert s.processing["output_size"] == 176 and s.processing["feature_size"] == 11
    assert changed["crop_size"] == 176


def test_one_epoch_on_synthetic_data_end_to_end(synthetic_dir, tmp_path):
    s = settings("kld_is")
    s.net = DiMPNetSpec.tiny()
    s.box_loss_params["num_samples"] = 8
    training.set_crop_size(s, 64)
    s.batch_size, s.samples_per_epoch, s.val_samples_per_epoch, s.val_interval, s.num_workers = 2, 4, 2, 1, 0
    trainer = build(s, synthetic_dir, tmp_path)
    trainer.progress = False
    trainer.train(1)
    assert (tmp_path / "checkpoints/dimp/test/epoch_0001.pth").is_file()
    assert (tmp_path / "runs/dimp/test/stats.csv").read_text().count("\n") == 3  # header, train, val
    assert list((tmp_path / "runs/dimp/test").glob("events.out.tfevents.*"))


DDP_SCRIPT = '''
import sys
from pathlib import Path
import torch
from ltr.models import DiMPNetSpec
from ltr import training
from ltr.train_settings.dimp import paper_settings
from ltr.trainers.distributed import cleanup, init_distributed
torch.set_num_threads(1)
device = init_distributed("cpu")
s = paper_settings("nce", sigmas=(0.05, 0.5), num_samples=8)
s.net = DiMPNetSpec.tiny()
training.set_crop_size(s, 64)
s.batch_size, s.samples_per_epoch, s.val_samples_per_epoch, s.val_interval, s.num_workers = 2, 8, 4, 1, 0
torch.manual_seed(0)
ws = Path(sys.argv[1])
trainer = training.build_trainer(s, "dimp/ddp", ws, device, synthetic_dir=ws / "synthetic")
trainer.progress = False
trainer.train(1)
assert type(trainer.actor.net).__name__ == "DistributedDataParallel"
cleanup()
'''


def test_ddp_with_two_cpu_processes(tmp_path):
    import subprocess
    import sys
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", str(script), str(tmp_path)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = (tmp_path / "runs/dimp/ddp/stats.csv").read_text().splitlines()
    assert rows[1].startswith("1,train,8,")  # 2 processes x 2 batches x 2 sequences, reduced over ranks
    assert (tmp_path / "checkpoints/dimp/ddp/epoch_0001.pth").is_file()
