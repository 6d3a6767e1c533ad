"""The loss library against explicit-loop float64 references, gradcheck, and consistency."""
import math

import pytest
import torch

from pytracking_ebm.losses import (DSM, KLDIS, LOSSES, MLIS, MLMCMC, NCE, SM, NCEPlus, dsm, kld_is, loss_key, make_loss,
                                   ml_is, ml_mcmc, nce, paper_hparams, sm)
from pytracking_ebm.proposals import GaussianMixture

B, M, D = 3, 5, 2


def rand(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


# ------------------------------------------------------------------ explicit-loop references

def lse(values):
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def ref_ml_is(s_gt, s, lq):
    out = 0.0
    for i in range(len(s_gt)):
        mm = len(s[i])
        out += -s_gt[i] + math.log(sum(math.exp(s[i][m] - lq[i][m]) for m in range(mm)) / mm)
    return out / len(s_gt)


def ref_kld_is(s, lq, lp):
    out = 0.0
    for i in range(len(s)):
        mm = len(s[i])
        log_z = math.log(sum(math.exp(s[i][m] - lq[i][m]) for m in range(mm)) / mm)
        out += log_z - sum(s[i][m] * math.exp(lp[i][m]) / math.exp(lq[i][m]) for m in range(mm)) / mm
    return out / len(s)


def ref_nce(s, ln):
    out = 0.0
    for i in range(len(s)):
        logits = [s[i][m] - ln[i][m] for m in range(len(s[i]))]
        out += -(logits[0] - lse(logits))
    return out / len(s)


class WavyGaussian:
    """f(y) = Σ_d -(y_d - μ_d)² / (2 s_d²) + c_d sin(y_d) with per-example μ; analytic ∇ and ∇²."""

    def __init__(self, mu, log_s, c):
        self.mu, self.log_s, self.c = mu, log_s, c

    def __call__(self, y):  # y (B, S, D) -> (B, S)
        s2 = torch.exp(2 * self.log_s)
        return (-(y - self.mu[:, None]) ** 2 / (2 * s2) + self.c * torch.sin(y)).sum(-1)

    # scalar versions for the loop references
    def f(self, i, y):
        return sum(-(y[d] - self.mu[i, d].item()) ** 2 / (2 * math.exp(2 * self.log_s[d].item()))
                   + self.c[d].item() * math.sin(y[d]) for d in range(len(y)))

    def grad(self, i, y):
        return [-(y[d] - self.mu[i, d].item()) / math.exp(2 * self.log_s[d].item()) + self.c[d].item() * math.cos(y[d])
                for d in range(len(y))]

    def lap(self, i, y):
        return sum(-1 / math.exp(2 * self.log_s[d].item()) - self.c[d].item() * math.sin(y[d]) for d in range(len(y)))


def wavy(requires_grad=False):
    mu, log_s, c = rand(B, D, seed=1), 0.3 * rand(D, seed=2), 0.5 * rand(D, seed=3)
    for t in (mu, log_s, c):
        t.requires_grad_(requires_grad)
    return WavyGaussian(mu, log_s, c)


# ------------------------------------------------------------------ functional forms vs loops

def test_ml_is_matches_loop():
    s_gt, s, lq = rand(B, seed=4), rand(B, M, seed=5), rand(B, M, seed=6)
    assert ml_is(s_gt, s, lq).item() == pytest.approx(ref_ml_is(s_gt.tolist(), s.tolist(), lq.tolist()), abs=1e-12)


def test_kld_is_matches_loop():
    s, lq, lp = rand(B, M, seed=7), rand(B, M, seed=8), rand(B, M, seed=9)
    assert kld_is(s, lq, lp).item() == pytest.approx(ref_kld_is(s.tolist(), lq.tolist(), lp.tolist()), abs=1e-12)


def test_nce_matches_loop():
    s, ln = rand(B, M + 1, seed=10), rand(B, M + 1, seed=11)
    assert nce(s, ln).item() == pytest.approx(ref_nce(s.tolist(), ln.tolist()), abs=1e-12)


def test_sampled_losses_are_stable_for_large_scores():
    # log(sum(exp)) would overflow here; logsumexp does not
    s = rand(B, M + 1, seed=12) + 1e4
    ln = rand(B, M + 1, seed=13)
    for value in (nce(s, ln), ml_is(s[:, 0], s[:, 1:], ln[:, 1:]), kld_is(s, ln, ln)):
        assert torch.isfinite(value)
    assert nce(s.float(), ln.float()).item() == pytest.approx(ref_nce(s.tolist(), ln.tolist()), rel=1e-3, abs=1e-3)


def test_sm_matches_analytic():
    e = wavy()
    y = rand(B, D, seed=14)
    ref = sum(e.lap(i, y[i].tolist()) + 0.5 * sum(g * g for g in e.grad(i, y[i].tolist())) for i in range(B)) / B
    assert sm(e, y).item() == pytest.approx(ref, abs=1e-10)


def test_dsm_matches_loop():
    e, sigma, n = wavy(), 0.3, 4
    y = rand(B, D, seed=15)
    eps = torch.randn(B, n, D, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    ref = 0.0
    for i in range(B):
        for k in range(n):
            yt = [y[i, d].item() + sigma * eps[i, k, d].item() for d in range(D)]
            g = e.grad(i, yt)
            ref += 0.5 * sum((g[d] + (yt[d] - y[i, d].item()) / sigma ** 2) ** 2 for d in range(D))
    ref /= B * n
    assert dsm(e, y, sigma, n, generator=torch.Generator().manual_seed(7)).item() == pytest.approx(ref, abs=1e-10)


def test_ml_mcmc_matches_loop():
    e, alpha, n_chains, n_steps = wavy(), 0.2, 3, 4
    y = rand(B, D, seed=16)
    g = torch.Generator().manual_seed(3)
    noises = [torch.randn(B, n_chains, D, generator=g, dtype=torch.float64) for _ in range(n_steps)]
    ref = 0.0
    for i in range(B):
        total = 0.0
        for c in range(n_chains):
            yc = y[i].tolist()
            for t in range(n_steps):
                grad = e.grad(i, yc)
                yc = [yc[d] + 0.5 * alpha ** 2 * grad[d] + alpha * noises[t][i, c, d].item() for d in range(D)]
            total += e.f(i, yc)
        ref += total / n_chains - e.f(i, y[i].tolist())
    ref /= B
    value = ml_mcmc(e, y, n_chains, n_steps, alpha, generator=torch.Generator().manual_seed(3))
    assert value.item() == pytest.approx(ref, abs=1e-10)


# ------------------------------------------------------------------ loss objects

def test_nce_plus_perturbs_first_sample_with_beta_and_unscaled_density():
    sigmas, beta = (0.05, 0.5), 0.1
    loss = NCEPlus(sigmas=sigmas, num_samples=8, beta=beta)
    y_gt = torch.zeros(4000, 4, dtype=torch.float64)
    samples = loss.sample(y_gt, generator=torch.Generator().manual_seed(0))
    first = samples.y[:, 0]
    # y0 = β σ_k ε with k uniform: variance β² (σ1² + σ2²) / 2 per dimension
    expected_var = beta ** 2 * (sigmas[0] ** 2 + sigmas[1] ** 2) / 2
    assert first.var().item() == pytest.approx(expected_var, rel=0.1)
    mix = GaussianMixture(sigmas)
    assert torch.allclose(samples.log_q, mix.log_prob(samples.y, y_gt))
    # NCE: sample 0 is exactly the ground truth, at the centre density
    nce_samples = NCE(sigmas=sigmas, num_samples=8).sample(y_gt[:3])
    assert torch.equal(nce_samples.y[:, 0], y_gt[:3])
    assert torch.allclose(nce_samples.log_q[:, 0], mix.log_prob_center(y_gt[:3]))


def test_loss_objects_equal_functional_forms():
    e = wavy()
    y = rand(B, D, seed=17)
    for loss in (MLIS((0.2, 1.6), 6), KLDIS((0.2, 1.6), 6, sigma=0.1), NCE((0.1, 0.8), 6), NCEPlus((0.1, 0.8), 6, beta=0.1)):
        samples = loss.sample(y, generator=torch.Generator().manual_seed(5))
        scores = e(samples.y)
        direct = loss(e, y, generator=torch.Generator().manual_seed(5))
        assert direct.item() == pytest.approx(loss.from_scores(scores, samples).item(), abs=1e-12)
        if isinstance(loss, KLDIS):
            expected = kld_is(scores, samples.log_q, GaussianMixture([0.1]).log_prob(samples.y, y))
        elif isinstance(loss, MLIS):
            expected = ml_is(scores[:, 0], scores[:, 1:], samples.log_q[:, 1:])
        else:
            expected = nce(scores, samples.log_q)
        assert direct.item() == pytest.approx(expected.item(), abs=1e-12)


def test_make_loss_by_name():
    assert isinstance(make_loss("nce_plus", beta=0.1, sigmas=(0.05, 0.5), num_samples=128), NCEPlus)
    assert isinstance(make_loss("NCE+", beta=0.1, sigmas=(0.05, 0.5), num_samples=128), NCEPlus)
    assert isinstance(make_loss("KLD-IS", sigmas=(0.05, 0.5), num_samples=128, sigma=0.05), KLDIS)
    mc = make_loss("ml_mcmc_16", alpha=0.05, num_samples=4)
    assert isinstance(mc, MLMCMC) and mc.num_steps == 16
    assert isinstance(make_loss("dsm", sigma=0.2), DSM) and isinstance(make_loss("sm"), SM)
    assert set(LOSSES) == {"ml_is", "kld_is", "nce", "nce_plus", "ml_mcmc", "dsm", "sm"}
    assert make_loss("nce_plus", beta=0.1, sigmas=(0.05, 0.5), num_samples=128).hparams() == {
        "sigmas": [0.05, 0.5], "num_samples": 128, "beta": 0.1}
    with pytest.raises(ValueError, match="unknown loss"):
        make_loss("huber")
    with pytest.raises(ValueError, match="bad hyper-parameters"):
        make_loss("nce", sigma=0.1)


@pytest.mark.parametrize("typed, key", [("ml_is", "ml_is"), ("ml-is", "ml_is"), ("mlis", "ml_is"), ("ML-IS", "ml_is"),
                                        ("kld-is", "kld_is"), ("nce+", "nce_plus"), ("NCE-plus", "nce_plus"),
                                        ("nce_plus", "nce_plus"), ("ml_mcmc_16", "ml_mcmc_16"),
                                        ("ML-MCMC-16", "ml_mcmc_16"), ("mlmcmc4", "ml_mcmc_4"), ("DSM", "dsm")])
def test_loss_key_is_the_one_name_normalisation(typed, key):
    assert loss_key(typed) == key


def test_make_loss_fills_the_paper_values_of_an_application():
    # docs/design.md §3, one row per application
    assert make_loss("nce+", application="tracking").hparams() == {"sigmas": [0.05, 0.5], "num_samples": 128, "beta": 0.1}
    assert make_loss("kld_is", application="tracking").hparams()["sigma"] == 0.05
    assert make_loss("nce_plus", application="detection").hparams() == {
        "sigmas": [0.075, 0.15, 0.3], "num_samples": 128, "beta": 0.1}
    assert make_loss("NCE+", application="1d").hparams() == {"sigmas": [0.1, 0.8], "num_samples": 1024, "beta": 0.025}
    assert make_loss("dsm", application="1d", dataset=2).sigma == 0.075
    assert make_loss("dsm", application="1d", dataset=1).sigma == 0.2
    mc = make_loss("ml_mcmc", application="detection")            # plain ML-MCMC is ML-MCMC-1
    assert (mc.num_steps, mc.alpha) == (1, 1e-5)
    mc = make_loss("ML-MCMC-4", application="1d", dataset=1)      # the 1D entry with 4 steps
    assert (mc.num_steps, mc.alpha, mc.num_samples) == (4, 0.05, 1024)
    assert make_loss("nce", application="tracking", num_samples=8).num_samples == 8   # explicit wins
    assert paper_hparams("kld_is", "detection") == {"sigmas": (0.0375, 0.075, 0.15), "sigma": 0.0225, "num_samples": 128}
    with pytest.raises(ValueError, match="differs per 1d dataset"):
        make_loss("dsm", application="1d")
    with pytest.raises(ValueError, match="no tracking hyper-parameters for loss 'dsm'"):
        make_loss("dsm", application="tracking")
    with pytest.raises(ValueError, match="unknown application 'video'"):
        make_loss("nce", application="video")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_every_loss_runs_in_dtype(dtype):
    e = wavy()
    e.mu, e.log_s, e.c = e.mu.to(dtype), e.log_s.to(dtype), e.c.to(dtype)
    y = rand(B, D, seed=18).to(dtype)
    hp = {"ml_is": dict(sigmas=(0.2, 1.6), num_samples=8), "kld_is": dict(sigmas=(0.2, 1.6), num_samples=8, sigma=0.1),
          "nce": dict(sigmas=(0.1, 0.8), num_samples=8), "nce_plus": dict(sigmas=(0.1, 0.8), num_samples=8, beta=0.1),
          "ml_mcmc": dict(alpha=0.1, num_steps=2, num_samples=3), "dsm": dict(sigma=0.2, num_samples=2), "sm": {}}
    for name in LOSSES:
        value = make_loss(name, **hp[name])(e, y)
        assert value.dtype == dtype and value.dim() == 0 and torch.isfinite(value)


# ------------------------------------------------------------------ gradients

def test_gradcheck_sampled_losses():
    s_gt, s, lq, lp = rand(B, seed=19), rand(B, M, seed=20), rand(B, M, seed=21), rand(B, M, seed=22)
    for t in (s_gt, s):
        t.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a, b: ml_is(a, b, lq), (s_gt, s))
    assert torch.autograd.gradcheck(lambda b: kld_is(b, lq, lp), (s,))
    assert torch.autograd.gradcheck(lambda b: nce(b, lq), (s,))


def test_gradcheck_gradient_losses():
    e = wavy(requires_grad=True)
    y = rand(B, D, seed=23)

    def with_params(fn):
        def run(mu, log_s, c):
            return fn(WavyGaussian(mu, log_s, c))
        return run

    params = (e.mu, e.log_s, e.c)
    assert torch.autograd.gradcheck(with_params(lambda en: sm(en, y)), params)
    assert torch.autograd.gradcheck(
        with_params(lambda en: dsm(en, y, 0.3, 2, generator=torch.Generator().manual_seed(0))), params)


def test_ml_mcmc_gradient_is_the_contrastive_divergence_estimate():
    """The chains are detached, so the parameter gradient is ∇θ[mean f(chains) − f(y_i)] at
    fixed chains, not the derivative through the sampler (which gradcheck would test)."""
    e = wavy(requires_grad=True)
    y = rand(B, D, seed=24)
    alpha, n_chains, n_steps = 0.2, 3, 2
    ml_mcmc(e, y, n_chains, n_steps, alpha, generator=torch.Generator().manual_seed(4)).backward()
    got = [p.grad.clone() for p in (e.mu, e.log_s, e.c)]
    # the same chains, replayed by hand with the same noise draws, then held fixed
    g = torch.Generator().manual_seed(4)
    chains = y[:, None].expand(B, n_chains, D).clone()
    for _ in range(n_steps):
        noise = torch.randn(B, n_chains, D, generator=g, dtype=torch.float64)
        grad = -(chains - e.mu.detach()[:, None]) / torch.exp(2 * e.log_s.detach()) + e.c.detach() * torch.cos(chains)
        chains = chains + 0.5 * alpha ** 2 * grad + alpha * noise
    surrogate = (e(chains).mean(-1) - e(y[:, None])[:, 0]).mean()
    expected = torch.autograd.grad(surrogate, (e.mu, e.log_s, e.c))
    for a, b in zip(got, expected):
        assert torch.allclose(a, b, atol=1e-12)


# ------------------------------------------------------------------ bad input

def test_bad_input_is_rejected_with_the_argument_named():
    s, lq = rand(B, M), rand(B, M)
    with pytest.raises(ValueError, match="scores contains NaN"):
        nce(torch.full((B, M), float("nan"), dtype=torch.float64), lq)
    with pytest.raises(ValueError, match="log_q"):
        ml_is(s[:, 0], s, lq[:, :2])
    with pytest.raises(ValueError, match="log_p contains NaN"):
        kld_is(s, lq, torch.full_like(s, float("inf")))
    with pytest.raises(ValueError, match="sigmas must be finite and positive"):
        make_loss("nce", sigmas=(-0.1, 0.8), num_samples=4)
    with pytest.raises(ValueError, match="sigma must be a finite positive"):
        make_loss("dsm", sigma=0.0)
    with pytest.raises(ValueError, match="beta"):
        make_loss("nce_plus", sigmas=(0.1,), num_samples=4, beta=float("nan"))
    with pytest.raises(ValueError, match="energy must map"):
        sm(lambda y: y.sum(), rand(B, D))
    with pytest.raises(ValueError, match="energy\\(y\\) contains NaN"):
        dsm(lambda y: y.sum(-1) * float("nan"), rand(B, D), 0.1)
    with pytest.raises(ValueError, match="y contains NaN"):
        MLIS((0.1,), 4)(lambda y: y.sum(-1), torch.full((B, D), float("nan")))


# ------------------------------------------------------------------ consistency

def _fit_gaussian(loss, y, steps=300):
    """Fit μ and log s of f(y) = -(y-μ)²/(2s²) with Adam; returns (μ, s)."""
    mu = torch.zeros((), dtype=torch.float64, requires_grad=True)
    log_s = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([mu, log_s], lr=0.05)
    sched = torch.optim.lr_scheduler.StepLR(opt, steps // 3, 0.3)
    gen = torch.Generator().manual_seed(0)

    def energy(cand):
        return -(cand[..., 0] - mu) ** 2 / (2 * torch.exp(2 * log_s))

    for _ in range(steps):
        opt.zero_grad()
        loss(energy, y, generator=gen).backward()
        opt.step()
        sched.step()
    return mu.item(), log_s.exp().item()


CONSISTENCY = [
    # name, hyper-parameters, smoothing σ of the learned density (0 = the data density itself)
    ("ml_is", dict(sigmas=(0.2, 1.6), num_samples=64), 0.0),
    ("nce", dict(sigmas=(0.1, 0.8), num_samples=64), 0.0),
    ("nce_plus", dict(sigmas=(0.1, 0.8), num_samples=64, beta=0.025), 0.0),
    ("ml_mcmc", dict(alpha=0.1, num_steps=16, num_samples=16), 0.0),
    ("sm", dict(), 0.0),
    ("kld_is", dict(sigmas=(0.2, 1.6), num_samples=64, sigma=0.2), 0.2),
    ("dsm", dict(sigma=0.2, num_samples=16), 0.2),
]


@pytest.mark.parametrize("name,hp,smoothing", CONSISTENCY, ids=[c[0] for c in CONSISTENCY])
def test_losses_are_consistent_estimators(name, hp, smoothing):
    """Each loss recovers the Gaussian that generated the data (KLD-IS and DSM: its σ-smoothed version).

    The targets are the data's own sample mean and standard deviation (widened by σ for the
    smoothing losses), so sampling error of the 500 points does not enter. What remains is
    the estimator noise of the last Adam steps and, for ML-MCMC, the Langevin bias
    s² ≈ v − α²/4 (0.0025 here); observed errors are ≤ 0.005, the tolerance 0.025 is 5 %
    of s. A wrong estimator misses by far more: e.g. ML-IS without the −log q correction
    or NCE without −log p_N converge to the proposal-shaped density, KLD-IS with the wrong
    weighting to s = 0.5 instead of 0.54.
    """
    y = 0.3 + 0.5 * torch.randn(500, 1, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    mean, std = y.mean().item(), math.sqrt(y.var(unbiased=False).item() + smoothing ** 2)
    mu, s = _fit_gaussian(make_loss(name, **hp), y)
    assert mu == pytest.approx(mean, abs=0.025)
    assert s == pytest.approx(std, abs=0.025)
