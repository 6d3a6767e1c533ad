"""Tests for pytracking_ebm.ops.prroi_pool against the definition of Precise RoI Pooling."""

import math

import pytest
import torch

from pytracking_ebm.ops import PrRoIPool2D, prroi_pool2d


def bilinear_at(fmap: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Bilinear interpolation of a zero-padded (C, H, W) map at points x, y (any shape).

    Value F[h, w] sits at (x=w, y=h). Written from the four-neighbour formula, independently of
    the hat-function form the op uses.
    """
    c, h, w = fmap.shape
    padded = torch.zeros(c, h + 4, w + 4, dtype=fmap.dtype)
    padded[:, 2:-2, 2:-2] = fmap
    x = x.clamp(-2.0, w + 1.0)  # beyond one cell outside the map the value is 0 anyway
    y = y.clamp(-2.0, h + 1.0)
    x0, y0 = x.floor(), y.floor()
    ax, ay = x - x0, y - y0
    xi, yi = x0.long() + 2, y0.long() + 2

    def at(dy: int, dx: int) -> torch.Tensor:
        return padded[:, (yi + dy).clamp(0, h + 3), (xi + dx).clamp(0, w + 3)]

    return ((1 - ay) * (1 - ax) * at(0, 0) + (1 - ay) * ax * at(0, 1)
            + ay * (1 - ax) * at(1, 0) + ay * ax * at(1, 1))


def brute_force_prroi(features: torch.Tensor, rois: torch.Tensor, ph: int, pw: int,
                      scale: float, samples: int = 128) -> torch.Tensor:
    """Mean of the bilinear map over each bin by the midpoint rule on samples x samples points."""
    features = features.double()
    out = torch.zeros(rois.shape[0], features.shape[1], ph, pw, dtype=torch.float64)
    mid = (torch.arange(samples, dtype=torch.float64) + 0.5) / samples
    for k, (b, x1, y1, x2, y2) in enumerate(rois.double().tolist()):
        x1, y1, x2, y2 = x1 * scale, y1 * scale, x2 * scale, y2 * scale
        if x2 <= x1 or y2 <= y1:
            continue
        bw, bh = (x2 - x1) / pw, (y2 - y1) / ph
        for p in range(ph):
            for q in range(pw):
                ys = y1 + bh * (p + mid)
                xs = x1 + bw * (q + mid)
                grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
                out[k, :, p, q] = bilinear_at(features[int(b)], grid_x, grid_y).mean(dim=(1, 2))
    return out


ROIS = [
    [0, 1.3, 2.2, 6.7, 5.1],  # inside the map
    [1, -2.5, -1.2, 3.3, 4.4],  # sticks out at the top-left
    [1, 7.5, 5.5, 11.0, 9.0],  # sticks out at the bottom-right
    [0, 3.2, 3.3, 3.6, 3.45],  # inside one pixel
    [1, -5.0, -5.0, 20.0, 20.0],  # covers the whole map and more
    [0, 12.0, 1.0, 14.0, 3.0],  # entirely outside
    [1, 2.0, 1.0, 6.0, 4.0],  # edges on integer coordinates
]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("ph, pw, scale", [(3, 2, 1.0), (2, 3, 0.5), (1, 1, 1.0)])
def test_matches_numerical_integral(dtype, ph, pw, scale):
    torch.manual_seed(0)
    features = torch.randn(2, 3, 7, 9, dtype=dtype)
    rois = torch.tensor(ROIS, dtype=dtype)
    rois[:, 1:] /= scale  # the same boxes on the feature map whatever the scale
    out = prroi_pool2d(features, rois, ph, pw, scale)
    assert out.shape == (len(ROIS), 3, ph, pw) and out.dtype == dtype
    expected = brute_force_prroi(features, rois, ph, pw, scale)
    torch.testing.assert_close(out.double(), expected, atol=1e-3, rtol=0)


def test_module_matches_function_and_empty_rois():
    torch.manual_seed(0)
    features = torch.randn(2, 4, 6, 5)
    rois = torch.tensor(ROIS[:3])
    pool = PrRoIPool2D(2, 3, 0.5)
    torch.testing.assert_close(pool(features, rois), prroi_pool2d(features, rois, 2, 3, 0.5))
    assert pool(features, torch.zeros(0, 5)).shape == (0, 4, 2, 3)


def test_constant_map_gives_constant_inside():
    features = torch.full((2, 3, 8, 10), 2.5, dtype=torch.float64)
    # Boxes inside [0, W-1] x [0, H-1] = [0, 9] x [0, 7], where the bilinear map is constant.
    rois = torch.tensor([[0, 0.0, 0.0, 9.0, 7.0], [1, 0.3, 2.1, 8.2, 6.9],
                         [1, 4.4, 4.4, 4.6, 4.5]], dtype=torch.float64)
    out = prroi_pool2d(features, rois * torch.tensor([1, 4, 4, 4, 4]), 4, 3, 0.25)
    torch.testing.assert_close(out, torch.full_like(out, 2.5), atol=1e-12, rtol=0)


def test_constant_map_ramps_down_outside():
    # Beyond the last pixel the map falls linearly to 0 over one cell: the mean of
    # 1 - t over [0, 1] is 1/2, and over [-1, 1] (half inside) it is 3/4.
    features = torch.ones(1, 1, 4, 4, dtype=torch.float64)
    rois = torch.tensor([[0, 3.0, 0.0, 4.0, 3.0], [0, 2.0, 0.0, 4.0, 3.0]], dtype=torch.float64)
    out = prroi_pool2d(features, rois, 1, 1, 1.0)
    torch.testing.assert_close(out.flatten(), torch.tensor([0.5, 0.75], dtype=torch.float64))


def test_gradcheck_features():
    torch.manual_seed(0)
    features = torch.randn(2, 2, 5, 6, dtype=torch.float64, requires_grad=True)
    rois = torch.tensor([[0, 0.6, 1.3, 7.4, 6.7], [1, -1.3, -0.7, 3.9, 2.2],
                         [1, 2.2, 2.3, 2.7, 2.6]], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda f: prroi_pool2d(f, rois, 2, 3, 0.75), (features,))


def test_gradcheck_box_coordinates():
    torch.manual_seed(0)
    features = torch.randn(2, 2, 6, 7, dtype=torch.float64)
    batch = torch.tensor([[0.0], [1.0], [1.0]], dtype=torch.float64)
    # Box and bin edges away from the integers, where the hat's derivative has kinks.
    coords = torch.tensor([[0.37, 1.26, 3.81, 4.78], [-1.42, -0.61, 2.73, 2.35],
                           [4.12, 3.14, 7.62, 6.66]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda xy: prroi_pool2d(features, torch.cat([batch, xy], 1), 2, 2, 1.0), (coords,))


def test_batch_index_gets_no_gradient():
    features = torch.randn(2, 3, 6, 6, requires_grad=True)
    rois = torch.tensor([[1, 0.5, 0.5, 4.5, 3.5]], requires_grad=True)
    prroi_pool2d(features, rois, 2, 2, 1.0).sum().backward()
    assert rois.grad[0, 0] == 0 and rois.grad[0, 1:].abs().sum() > 0
    assert features.grad[0].abs().sum() == 0 and features.grad[1].abs().sum() > 0


def test_zero_size_boxes_give_zero_and_finite_gradients():
    torch.manual_seed(0)
    features = torch.randn(1, 3, 6, 6, requires_grad=True)
    rois = torch.tensor([[0, 2.5, 1.0, 2.5, 4.0],  # zero width
                         [0, 1.0, 3.0, 4.0, 3.0],  # zero height
                         [0, 3.0, 4.0, 1.0, 2.0],  # x2 < x1 and y2 < y1
                         [0, 1.2, 1.3, 3.4, 3.5]], requires_grad=True)
    out = prroi_pool2d(features, rois, 2, 2, 1.0)
    assert (out[:3] == 0).all() and (out[3] != 0).any()
    out.sum().backward()
    assert torch.isfinite(features.grad).all() and torch.isfinite(rois.grad).all()
    assert (rois.grad[:3] == 0).all()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cpu_matches_cuda(dtype):
    torch.manual_seed(0)
    features = torch.randn(2, 3, 7, 9, dtype=dtype)
    rois = torch.tensor(ROIS, dtype=dtype)
    results = []
    for device in ("cpu", "cuda"):
        f = features.to(device).requires_grad_()
        r = rois.to(device).requires_grad_()
        out = prroi_pool2d(f, r, 3, 2, 1.0)
        out.backward(torch.ones_like(out))
        results.append([t.cpu() for t in (out, f.grad, r.grad)])
    tol = 1e-4 if dtype == torch.float32 else 1e-10
    for cpu, cuda in zip(*results):
        torch.testing.assert_close(cuda, cpu, atol=tol, rtol=tol)


def _bad(**changes):
    args = dict(features=torch.randn(2, 3, 5, 5), rois=torch.tensor([[1, 0.0, 0.0, 2.0, 2.0]]),
                pooled_height=2, pooled_width=2, spatial_scale=1.0)
    args.update(changes)
    return args


def _with(tensor: torch.Tensor, index: tuple, value: float) -> torch.Tensor:
    tensor = tensor.clone()
    tensor[index] = value
    return tensor


@pytest.mark.parametrize("name, args", [
    ("features", _bad(features=torch.randn(3, 5, 5))),
    ("features", _bad(features=torch.zeros(2, 3, 5, 5, dtype=torch.long))),
    ("features", _bad(features=_with(torch.randn(2, 3, 5, 5), (1, 2, 3, 4), math.nan))),
    ("features", _bad(features=_with(torch.randn(2, 3, 5, 5), (0, 0, 0, 0), math.inf))),
    ("rois", _bad(rois=torch.tensor([[0.0, 0.0, 2.0, 2.0]]))),
    ("rois", _bad(rois=torch.tensor([0, 0.0, 0.0, 2.0, 2.0]))),
    ("rois", _bad(rois=torch.tensor([[0, 0.0, 0.0, math.inf, 2.0]]))),
    ("rois", _bad(rois=torch.tensor([[2, 0.0, 0.0, 2.0, 2.0]]))),
    ("rois", _bad(rois=torch.tensor([[-1, 0.0, 0.0, 2.0, 2.0]]))),
    ("rois", _bad(rois=torch.tensor([[0.5, 0.0, 0.0, 2.0, 2.0]]))),
    ("rois", _bad(rois=torch.tensor([[0, 0.0, 0.0, 2.0, 2.0]], dtype=torch.float64))),
    ("pooled_height", _bad(pooled_height=0)),
    ("pooled_height", _bad(pooled_height=2.0)),
    ("pooled_width", _bad(pooled_width=-1)),
    ("spatial_scale", _bad(spatial_scale=0.0)),
    ("spatial_scale", _bad(spatial_scale=math.nan)),
])
def test_bad_input_raises_value_error_naming_argument(name, args):
    with pytest.raises(ValueError, match=f"^{name}:"):
        prroi_pool2d(**args)


def test_fixed_feature_pool_gives_the_values_and_the_autograd_box_gradient():
    """FixedFeaturePrRoIPool's closed-form box gradient equals autograd through prroi_pool2d,
    for boxes inside, partly and wholly outside the map, thin, inverted (empty) and on cell edges."""
    from pytracking_ebm.ops import FixedFeaturePrRoIPool
    g = torch.Generator().manual_seed(0)
    feat = torch.randn(2, 6, 9, 11, dtype=torch.float64, generator=g)
    rois = torch.tensor([[0, 3.3, 4.1, 40.7, 30.2], [1, -10.0, -5.0, 20.0, 12.0], [0, 60.0, 50.0, 95.0, 80.0],
                         [1, 8.0, 8.0, 8.5, 30.0], [0, 20.0, 20.0, 10.0, 30.0], [1, 16.0, 16.0, 24.0, 24.0]],
                        dtype=torch.float64)
    single = rois.clone()
    single[:, 0] = 0
    # boxes within a corner of the map (in map cells; times the stride below): only that
    # corner enters the products
    corner = torch.tensor([[0, 1.1, 2.2, 4.7, 3.9], [0, 2.0, 1.0, 3.0, 5.5]], dtype=torch.float64)
    for ph, pw, scale in ((5, 5, 1 / 8), (3, 4, 1 / 4), (1, 1, 1 / 16)):
        inside = corner * torch.tensor([1.0, 1 / scale, 1 / scale, 1 / scale, 1 / scale], dtype=torch.float64)
        for images, boxes in ((feat, rois), (feat[:1], single), (feat[:1], inside)):  # two images, and one
            r = boxes.clone().requires_grad_(True)
            ref = prroi_pool2d(images, r, ph, pw, scale)
            weights = torch.randn(ref.shape, dtype=torch.float64, generator=g)
            (auto,) = torch.autograd.grad((ref * weights).sum(), r)
            pooled, vjp = FixedFeaturePrRoIPool(images, ph, pw, scale)(boxes)
            torch.testing.assert_close(pooled.permute(0, 3, 1, 2), ref)
            torch.testing.assert_close(vjp(weights.permute(0, 2, 3, 1)), auto[:, 1:])
            assert auto[:, 1:].abs().max() > 0.02
    with pytest.raises(ValueError, match="batch index"):
        FixedFeaturePrRoIPool(feat, 2, 2, 1.0)(torch.tensor([[2, 0.0, 0.0, 4.0, 4.0]], dtype=torch.float64))
    with pytest.raises(ValueError, match="batch index"):  # one image: only index 0
        FixedFeaturePrRoIPool(feat[:1], 2, 2, 1.0)(torch.tensor([[1, 0.0, 0.0, 4.0, 4.0]], dtype=torch.float64))


def test_fixed_feature_pool_on_the_whole_map_equals_the_reached_window():
    """``reach=False`` (the GPU default: no host synchronisation) pools from the whole map;
    values and box gradients equal those of the window the boxes reach, also with unequal bins."""
    from pytracking_ebm.ops import FixedFeaturePrRoIPool
    g = torch.Generator().manual_seed(1)
    feat = torch.randn(1, 5, 12, 14, dtype=torch.float64, generator=g)
    rois = torch.tensor([[0, 10.0, 12.0, 40.0, 30.0], [0, 30.5, 20.2, 33.0, 60.1], [0, 20.0, 20.0, 10.0, 30.0]],
                        dtype=torch.float64)
    for ph, pw in ((5, 5), (2, 3)):
        grad = torch.randn(3, ph, pw, 5, dtype=torch.float64, generator=g)
        (p1, v1), (p2, v2) = (FixedFeaturePrRoIPool(feat, ph, pw, 0.25, reach=r)(rois) for r in (True, False))
        torch.testing.assert_close(p2, p1)
        torch.testing.assert_close(v2(grad), v1(grad))
        assert v1(grad).abs().max() > 1e-3
    nan = rois.clone()
    nan[0, 1] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        FixedFeaturePrRoIPool(feat, 2, 2, 0.25)(nan)
