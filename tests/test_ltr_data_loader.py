"""A full DiMP batch from synthetic data in the official layouts; workers; the sample viewer."""
import cv2
import pytest
import torch

from ltr.actors import check_batch
from ltr.data import build_dimp_pipeline
from ltr.data.loader import EpochIndexSampler
from ltr.data.show import main as show_main
from ltr.dataset import write_synthetic_training_data
from ltr.train_settings.dimp import paper_settings
from pytracking_ebm.losses import Samples


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp("syn")
    write_synthetic_training_data(root)
    return root


@pytest.mark.parametrize("loss, candidates", [("nce_plus", 129), ("kld_is", 128)])
def test_a_batch_of_20_has_the_shapes_of_the_batch_contract(synthetic, loss, candidates):
    s = paper_settings(loss)
    s.num_workers, s.samples_per_epoch = 0, 20
    data = build_dimp_pipeline(s, loss, synthetic_dir=synthetic)
    batch = next(iter(data.train_loader))
    check_batch(batch)
    c = batch.pop("test_candidates")
    assert isinstance(c, Samples) and c.y.shape == (3, 20, candidates, 4) and c.log_q.shape == (3, 20, candidates)
    assert (c.log_p is None) == (loss != "kld_is") and (c.log_p is None or c.log_p.shape == (3, 20, candidates))
    expected = {"train_images": (3, 20, 3, 352, 352), "test_images": (3, 20, 3, 352, 352),
                "train_anno": (3, 20, 4), "test_anno": (3, 20, 4),
                "train_label": (3, 20, 23, 23), "test_label": (3, 20, 23, 23)}
    assert {k: tuple(v.shape) for k, v in batch.items()} == expected
    values = [*batch.values(), *(v for v in (c.y, c.log_q, c.log_p) if v is not None)]
    assert all(v.dtype == torch.float32 and torch.isfinite(v).all() for v in values)
    assert (batch["test_anno"][..., 2:] > 0).all()


def test_workers_give_the_same_batches_and_epochs_differ(synthetic):
    def batches(workers):
        s = paper_settings("nce")
        s.num_workers, s.batch_size, s.samples_per_epoch = workers, 2, 4
        s.processing.update(output_size=64, feature_size=4)   # small shared memory
        loader = build_dimp_pipeline(s, "nce", synthetic_dir=synthetic).train_loader
        epochs = [[b["test_candidates"].y for b in loader] for _ in range(2)]
        loader.set_epoch(1)
        return epochs, [b["test_candidates"].y for b in loader]

    (serial, again), (parallel, again_parallel) = batches(0), batches(2)
    assert len(serial[0]) == 2
    for x, y in zip(serial[0] + serial[1], parallel[0] + parallel[1]):
        assert torch.equal(x, y)
    assert not torch.equal(serial[0][0], serial[1][0])                      # epoch 1 differs from 0
    assert all(torch.equal(x, y) for x, y in zip(again, serial[1]))         # set_epoch(1) replays it


def test_epoch_index_sampler():
    sampler = EpochIndexSampler(3)
    assert list(sampler) == [0, 1, 2] and list(sampler) == [3, 4, 5]
    sampler.set_epoch(10)
    assert list(sampler) == [30, 31, 32]
    ranks = [EpochIndexSampler(10, epoch=2, rank=r, world_size=3) for r in range(3)]
    assert [list(s) for s in ranks] == [[20, 23, 26], [21, 24, 27], [22, 25, 28]]


def test_viewer_writes_a_picture(synthetic, tmp_path):
    out = tmp_path / "samples.png"
    assert show_main(["--setting", "dimp/kld_is", "--n", "2", "--out", str(out), "--tile", "64",
                      "--synthetic", str(synthetic)]) == 0
    assert cv2.imread(str(out)).shape == (2 * 64, 6 * 64, 3)


def test_viewer_builds_the_setting_not_a_loss_named_like_it(synthetic, tmp_path, capsys):
    # prdimp50 trains KLD-IS; its name is no loss name (the viewer once failed on it)
    out = tmp_path / "prdimp50.png"
    assert show_main(["--setting", "dimp/prdimp50", "--n", "1", "--out", str(out), "--tile", "32",
                      "--synthetic", str(synthetic)]) == 0
    assert cv2.imread(str(out)).shape == (32, 6 * 32, 3)
    assert show_main(["--setting", "dimp/no_such_setting", "--out", str(out)]) == 2
    assert "unknown setting 'dimp/no_such_setting'" in capsys.readouterr().err
