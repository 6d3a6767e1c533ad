"""1D regression: true densities, samplers, KL evaluator, training, resume, CLI (issue 4)."""
import math
import os

import pandas as pd
import pytest
import scipy.stats
import torch

from pytracking_ebm.regression1d import __main__ as cli
from pytracking_ebm.regression1d.datasets import get_dataset, make_training_set
from pytracking_ebm.regression1d.evaluate import evaluate_kl, grid, kl_divergence, true_log_density_grid
from pytracking_ebm.losses import make_loss
from pytracking_ebm.regression1d.hparams import METHODS, loss_hparams, resolve_method
from pytracking_ebm.regression1d.network import EnergyNet, load_model, save_model
from pytracking_ebm.regression1d.storage import load_json
from pytracking_ebm.regression1d.train import init_network, make_config, train

XS = (-2.5, -1.0, -0.3, 0.0, 0.4, 1.5, 2.9)
SMALL = {"num_samples": 16, "epochs": 3}


def true_cdf(dataset_id, x, y):
    if dataset_id == 1 and x < 0:
        return 0.8 * scipy.stats.norm.cdf(y, math.sin(x), 0.075) + 0.2 * scipy.stats.norm.cdf(y, -math.sin(x), 0.075)
    if dataset_id == 1:
        return scipy.stats.lognorm.cdf(y + 1.0, 0.25)
    return scipy.stats.norm.cdf(y, math.sin(x), 0.15 / (1 + math.exp(-x)))


# ------------------------------------------------------------------ datasets

@pytest.mark.parametrize("dataset_id", [1, 2])
def test_true_density_integrates_to_one(dataset_id):
    y = torch.linspace(-4, 4, 100_001, dtype=torch.float64)
    for x in XS:
        p = get_dataset(dataset_id).density(torch.tensor(x, dtype=torch.float64), y)
        assert torch.trapezoid(p, y).item() == pytest.approx(1.0, abs=1e-6), x


@pytest.mark.parametrize("dataset_id", [1, 2])
def test_samples_follow_true_conditional_cdf(dataset_id):
    gen = torch.Generator().manual_seed(1)
    for x in XS:
        y = get_dataset(dataset_id).sample(torch.full((4000,), x, dtype=torch.float64), gen).numpy()
        assert scipy.stats.kstest(y, lambda v: true_cdf(dataset_id, x, v)).pvalue > 1e-3, x


def test_training_set_is_fixed_by_its_seed():
    x, y = make_training_set(1)
    assert x.shape == y.shape == (2000, 1) and x.min() >= -3 and x.max() <= 3
    assert torch.equal(y, make_training_set(1)[1])
    assert not torch.equal(y, make_training_set(1, data_seed=5)[1])


# ------------------------------------------------------------------ network and hyper-parameters

def test_network_matches_plain_layer_stack():
    torch.manual_seed(0)
    net = EnergyNet().double()
    x = torch.randn(4, 1, dtype=torch.float64)
    y = torch.randn(4, 7, 1, dtype=torch.float64, requires_grad=True)
    xf = net.x_features(x)
    z = torch.tanh(net.fc1_xy(torch.cat([xf[:, None].expand(-1, 7, -1), torch.tanh(net.fc1_y(y))], -1)))
    z = torch.tanh(net.fc2_xy(z)) + z
    z = torch.tanh(net.fc3_xy(z)) + z
    reference = net.fc4_xy(z).squeeze(-1)
    assert torch.allclose(net(x, y), reference, atol=1e-12)
    # the score-based losses differentiate w.r.t. y (DSM and SM twice): same derivatives
    (g_ref,) = torch.autograd.grad(reference.sum(), y, create_graph=True)
    (g,) = torch.autograd.grad(net(x, y).sum(), y, create_graph=True)
    assert torch.allclose(g, g_ref, atol=1e-12)
    (h_ref,) = torch.autograd.grad(g_ref.sum(), y)
    (h,) = torch.autograd.grad(g.sum(), y)
    assert torch.allclose(h, h_ref, atol=1e-12)


def test_hparams_table_builds_every_loss():
    assert loss_hparams("dsm", 1)["sigma"] == 0.2 and loss_hparams("dsm", 2)["sigma"] == 0.075
    assert loss_hparams("ml_mcmc_16", 1)["alpha"] == 0.05 and loss_hparams("ml_mcmc_16", 2)["alpha"] == 0.0125
    assert loss_hparams("nce_plus", 1) == {"sigmas": (0.1, 0.8), "beta": 0.025, "num_samples": 1024}
    assert resolve_method("NCE+") == "nce_plus" and resolve_method("ML-MCMC-16") == "ml_mcmc_16"
    for m in METHODS:
        for d in (1, 2):
            make_loss(m, **make_config(m, d, 0).loss_hparams)
    with pytest.raises(ValueError, match="no hyper-parameter 'beta'"):
        loss_hparams("nce", 1, {"beta": 0.1})


# ------------------------------------------------------------------ KL evaluation

def test_kl_is_zero_for_the_true_density():
    for d in (1, 2):
        log_p = true_log_density_grid(d, 512)
        assert kl_divergence(log_p, log_p).item() == pytest.approx(0.0, abs=1e-12)


def test_kl_of_shifted_gaussian_matches_closed_form():
    x, y = grid(512)
    std, shift = 0.3, 0.1
    mean = 0.5 * torch.sin(x)[:, None]
    log_p = -0.5 * ((y[None] - mean) / std) ** 2
    log_q = -0.5 * ((y[None] - mean - shift) / std) ** 2
    assert kl_divergence(log_p, log_q).item() == pytest.approx(shift ** 2 / (2 * std ** 2), rel=1e-3)


def test_kl_stays_finite_for_a_very_sharp_model():
    log_p = true_log_density_grid(2, 256)
    _, y = grid(256)
    kl = kl_divergence(log_p, -1e6 * (y[None] - 0.3).abs().expand(256, -1))
    assert torch.isfinite(kl) and kl > 0


# ------------------------------------------------------------------ training

@pytest.mark.parametrize("method", ["ml_is", "nce"])
def test_short_training_lowers_kl(method):
    # a larger learning rate than the protocol's 1e-3 so that two epochs suffice
    cfg = make_config(method, 2, seed=0, num_samples=16, epochs=2, lr=1e-2)
    before = evaluate_kl(init_network(cfg.seed), 2, size=512)
    net, info = train(cfg)
    after = evaluate_kl(net, 2, size=512)
    assert info.epochs_done == 2 and after < 0.4 * before, (before, after)


class Killed(Exception):
    pass


def test_resume_after_kill_gives_identical_result(tmp_path):
    cfg = make_config("nce_plus", 1, seed=3, **SMALL)
    ckpt = str(tmp_path / "checkpoint.pt")

    def kill_after_two(epoch, loss):
        if epoch == 2:
            raise Killed

    with pytest.raises(Killed):
        train(cfg, checkpoint=ckpt, on_epoch_end=kill_after_two)
    resumed, info = train(cfg, checkpoint=ckpt)
    straight, _ = train(cfg)
    assert info.epochs_done == 3 and len(info.epoch_losses) == 3
    assert evaluate_kl(resumed, 1, size=256) == evaluate_kl(straight, 1, size=256)
    with pytest.raises(ValueError, match="other settings"):
        train(make_config("nce_plus", 1, seed=4, **SMALL), checkpoint=ckpt)


def test_model_round_trip(tmp_path):
    net = init_network(1)
    save_model(net, str(tmp_path / "model.pt"), {"dataset": 2})
    loaded, meta = load_model(str(tmp_path / "model.pt"))
    assert meta == {"network": {"hidden_dim": 10}, "dataset": 2}
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), loaded.state_dict().values()))
    with pytest.raises(FileNotFoundError, match="not found"):
        load_model(str(tmp_path / "missing.pt"))


# ------------------------------------------------------------------ CLI

def test_cli_run_resume_report_predict(tmp_path, capsys):
    results = str(tmp_path / "results")
    args = ["run", "--methods", "sm", "nce", "--datasets", "2", "--runs", "1", "--epochs", "2",
            "--num-samples", "16", "--results", results]
    assert cli.main(args) == 0
    model = os.path.join(results, "runs", "d2", "nce", "run00", "model.pt")
    stamp = os.path.getmtime(model)
    assert cli.main(args) == 0 and os.path.getmtime(model) == stamp          # finished runs are skipped
    table = open(os.path.join(results, "table.md")).read()
    assert "NCE" in table and "SM" in table and "0/1" in table  # runs on dataset 1 / dataset 2
    runs = pd.read_csv(os.path.join(results, "runs.csv"))
    kl = load_json(os.path.join(os.path.dirname(model), "result.json"))["kl"]
    assert runs[["method", "dataset", "run"]].values.tolist() == [["nce", 2, 0], ["sm", 2, 0]]
    assert runs.loc[runs["method"] == "nce", "kl"].item() == pytest.approx(kl, rel=1e-5)
    for name in ("true_density_d1.png", "training_data_d2.png", "learned_d2_nce.png", "learned_d2_all.png"):
        assert os.path.getsize(os.path.join(results, "figures", name)) > 1000
    capsys.readouterr()
    assert cli.main(["predict", "--checkpoint", model, "--x", "0.5"]) == 0
    assert "mode y =" in capsys.readouterr().out


def test_cli_bad_input_is_one_line_error(tmp_path, capsys):
    assert cli.main(["run", "--methods", "nope", "--results", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: unknown method 'nope'") and "\n" not in err
    assert cli.main(["run", "--set", "dsm.sigma", "--results", str(tmp_path)]) == 2
    assert "METHOD.KEY=VALUE" in capsys.readouterr().err
    assert cli.main(["predict", "--checkpoint", str(tmp_path / "x.pt"), "--x", "0"]) == 2


def test_a_truncated_checkpoint_restarts_the_run_and_says_so(tmp_path, capsys):
    cfg = make_config("nce_plus", 1, seed=3, **SMALL)
    ckpt = tmp_path / "checkpoint.pt"

    def kill_after_two(epoch, loss):
        if epoch == 2:
            raise Killed

    with pytest.raises(Killed):
        train(cfg, checkpoint=str(ckpt), on_epoch_end=kill_after_two)
    data = ckpt.read_bytes()
    ckpt.write_bytes(data[: len(data) // 2])                             # a torn write
    stale = tmp_path / ".checkpoint.pt.a1b2c3d4.pt"                      # a killed atomic write's temp file
    stale.write_bytes(data)
    restarted, info = train(cfg, checkpoint=str(ckpt))
    straight, _ = train(cfg)
    assert info.epochs_done == 3 and len(info.epoch_losses) == 3
    assert evaluate_kl(restarted, 1, size=256) == evaluate_kl(straight, 1, size=256)   # from epoch 0
    err = capsys.readouterr().err
    assert f"cannot read checkpoint {ckpt}" in err and "restarting this run from epoch 0" in err
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("checkpoint.pt.unreadable-")]
    assert len(kept) == 1 and kept[0].read_bytes() == data[: len(data) // 2]   # moved aside, not deleted
    assert not stale.exists()


def test_predict_with_a_truncated_model_is_one_line(tmp_path, capsys):
    save_model(init_network(1), str(tmp_path / "model.pt"), {"dataset": 2})
    data = (tmp_path / "model.pt").read_bytes()
    (tmp_path / "model.pt").write_bytes(data[: len(data) // 2])
    assert cli.main(["predict", "--checkpoint", str(tmp_path / "model.pt"), "--x", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith(f"error: not a complete checkpoint: {tmp_path / 'model.pt'}")
