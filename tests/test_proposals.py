"""Gaussian-mixture proposals: sampling moments and densities against scipy."""
import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal

from pytracking_ebm.proposals import GaussianMixture


def scipy_mixture_logpdf(points, centre, sigma_table):
    dens = np.mean([np.atleast_1d(multivariate_normal(mean=centre, cov=np.diag(np.square(s))).pdf(points)) for s in sigma_table], axis=0)
    return np.log(dens)


def test_log_prob_matches_scipy_per_dimension_sigmas():
    sigmas = [[0.05, 0.05, 0.1, 0.1], [0.5, 0.5, 0.3, 0.3]]
    mix = GaussianMixture(sigmas)
    centres = torch.tensor([[0.2, -0.1, 1.0, 2.0], [3.0, 1.0, -1.0, 0.0]], dtype=torch.float64)
    points = mix.sample(centres, 50, generator=torch.Generator().manual_seed(0))
    got = mix.log_prob(points, centres)
    for i in range(2):
        ref = scipy_mixture_logpdf(points[i].numpy(), centres[i].numpy(), np.array(sigmas))
        np.testing.assert_allclose(got[i].numpy(), ref, rtol=1e-10)
    ref_centre = scipy_mixture_logpdf(centres[:1].numpy(), centres[0].numpy(), np.array(sigmas))
    assert mix.log_prob_center(centres)[0].item() == pytest.approx(ref_centre[0], rel=1e-12)


def test_scalar_sigmas_broadcast_over_dimensions_and_1d():
    mix = GaussianMixture((0.2, 1.6))
    centre = torch.zeros(1, 1, dtype=torch.float64)
    pts = torch.linspace(-3, 3, 7, dtype=torch.float64).reshape(1, 7, 1)
    ref = scipy_mixture_logpdf(pts[0].numpy(), np.zeros(1), np.array([[0.2], [1.6]]))
    np.testing.assert_allclose(mix.log_prob(pts, centre)[0].numpy(), ref, rtol=1e-10)


def test_sample_mean_and_covariance():
    sigmas = [[0.05, 0.1], [0.5, 0.3]]
    mix = GaussianMixture(sigmas)
    centre = torch.tensor([[1.0, -2.0]], dtype=torch.float64)
    s = mix.sample(centre, 200_000, generator=torch.Generator().manual_seed(1))[0].numpy()
    np.testing.assert_allclose(s.mean(0), centre[0].numpy(), atol=0.005)
    expected_cov = np.diag(np.mean(np.square(sigmas), axis=0))  # mixture of zero-mean components
    np.testing.assert_allclose(np.cov(s.T), expected_cov, atol=0.002)
    # scale multiplies every sigma (the NCE+ perturbation)
    t = mix.sample(centre, 200_000, scale=0.1, generator=torch.Generator().manual_seed(2))[0].numpy()
    np.testing.assert_allclose(np.cov(t.T), 0.01 * expected_cov, rtol=0.03, atol=1e-6)


def test_batched_shapes_and_generator_determinism():
    mix = GaussianMixture((0.1, 0.8))
    centres = torch.randn(5, 3, 4)
    a = mix.sample(centres, 7, generator=torch.Generator().manual_seed(3))
    b = mix.sample(centres, 7, generator=torch.Generator().manual_seed(3))
    assert a.shape == (5, 3, 7, 4) and torch.equal(a, b)
    assert mix.log_prob(a, centres).shape == (5, 3, 7)
    assert a.dtype == torch.float32 and mix.log_prob(a, centres).dtype == torch.float32


def test_bad_sigmas_and_dimensions():
    with pytest.raises(ValueError, match="sigmas must be finite and positive"):
        GaussianMixture((0.1, -1.0))
    with pytest.raises(ValueError, match="sigmas has 2 dimensions"):
        GaussianMixture([[0.1, 0.1]]).sample(torch.zeros(1, 4), 3)
    with pytest.raises(ValueError, match="num_samples"):
        GaussianMixture((0.1,)).sample(torch.zeros(1, 4), 0)
