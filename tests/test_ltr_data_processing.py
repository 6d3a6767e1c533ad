"""Crops, flips, box candidates and labels of the DiMP processing."""
import math

import numpy as np
import pytest
import torch

from ltr.data.crop import box_to_crop, crop_window, extract_crop
from ltr.data.labels import gaussian_label
from ltr.data.pipeline import as_box_loss, build_dimp_processing
from ltr.data.processing import FrameSet
from ltr.data.transforms import flip_boxes, flip_image
from ltr.train_settings.dimp import paper_settings
from pytracking_ebm.boxes import rel_to_xywh, xywh_to_rel
from pytracking_ebm.losses import make_loss
from pytracking_ebm.proposals import GaussianMixture


def scene(width=160, height=120, box=(50, 40, 30, 20)):
    """An image whose red channel is 20 except for a rectangle of 230 at ``box`` (integer
    pixels); green and blue are noise."""
    rng = np.random.default_rng(1)
    image = rng.integers(0, 60, (height, width, 3), dtype=np.uint8)
    image[..., 0] = 20
    x, y, w, h = box
    image[y:y + h, x:x + w, 0] = 230
    return image, np.array(box, dtype=np.float64)


def locate(image):
    """Box of the red rectangle with sub-pixel edges: the red coverage profiles along x and y
    integrate to the width and height; an edge sits where its ramp crosses one half."""
    coverage = np.clip((image[..., 0].astype(np.float64) - 20) / 210, 0, 1)
    out = []
    for profile in (coverage.max(axis=0), coverage.max(axis=1)):
        mid = int(np.argmax(profile))
        start = np.sum(1 - profile[:mid])
        out.append((start, profile.sum()))
    (x, w), (y, h) = out
    return np.array([x, y, w, h])


# ----------------------------------------------------------------------------- crops

def test_ground_truth_lands_where_it_should_in_a_known_crop():
    image, box = scene()
    for window in (np.array([20.0, 10.0, 100.0, 100.0]),           # inside: 3.52x upsampling
                   np.array([-40.0, -30.0, 240.0, 240.0])):        # padded on all sides
        crop = extract_crop(image, window, 352)
        expected = box_to_crop(box, window, 352)
        np.testing.assert_allclose(locate(crop), expected, atol=0.25)
    assert np.allclose(box_to_crop(box, np.array([20.0, 10.0, 100.0, 100.0]), 352), [105.6, 105.6, 105.6, 70.4])


def test_inside_major_window_fits_the_long_side_and_limits_the_shrink():
    box = np.array([10.0, 50.0, 40.0, 40.0])                        # 6 x 40 = 240 px window
    assert crop_window(box, (640, 480), 6.0, "inside_major", 1.5).tolist() == [0, 0, 240, 240]  # shifted inside
    assert crop_window(box, (200, 100), 6.0, "inside_major", 1.5).tolist() == [0, -50, 200, 200]  # fits the long side
    assert crop_window(box, (150, 100), 6.0, "inside_major", 1.5).tolist() == [-5, -30, 160, 160]  # shrink limited
    assert crop_window(box, (150, 100), 6.0, "inside_major", 10).tolist() == [0, -25, 150, 150]
    assert crop_window(box, (150, 100), 6.0, "inside", 10).tolist() == [0, 0, 100, 100]       # fits both sides
    assert crop_window(box, (150, 100), 6.0, "replicate").tolist() == [-90, -50, 240, 240]     # centred, padded


def test_flip_moves_the_box_with_the_image_and_commutes_with_the_crop():
    image, box = scene()
    flipped, fbox = flip_image(image), flip_boxes(box, image.shape[1])
    np.testing.assert_allclose(locate(flipped), fbox, atol=1e-9)
    window = np.array([20.0, 10.0, 100.0, 100.0])
    mirrored = np.array([image.shape[1] - window[0] - window[2], window[1], window[2], window[3]])
    np.testing.assert_array_equal(extract_crop(np.ascontiguousarray(flipped), mirrored, 64),
                                  flip_image(extract_crop(image, window, 64)))
    np.testing.assert_allclose(box_to_crop(fbox, mirrored, 64), flip_boxes(box_to_crop(box, window, 64), 64))


# ----------------------------------------------------------------------------- candidates

@pytest.mark.parametrize("loss", ["kld_is", "nce", "nce_plus"])
def test_candidates_have_the_mixture_spread_and_densities(loss):
    proc = build_dimp_processing(paper_settings(loss), loss)
    gt = torch.tensor([[100.0, 120.0, 60.0, 40.0], [150.0, 140.0, 30.0, 90.0]])
    out = proc.candidates(gt, torch.Generator().manual_seed(0))
    first = 0 if loss == "kld_is" else 1
    assert proc.box_loss.first_is_target == bool(first)
    assert out.y.shape == (2, 128 + first, 4) and out.y.dtype == torch.float32
    assert (out.log_p is not None) == (loss == "kld_is")
    rel = out.y.double()                       # the relative box space, reference = each ground truth
    centre = xywh_to_rel(gt.double())
    mixture = GaussianMixture((0.05, 0.5))
    np.testing.assert_allclose(out.log_q.double(), mixture.log_prob(rel, centre), atol=2e-3)
    if loss == "kld_is":
        np.testing.assert_allclose(out.log_p.double(), GaussianMixture([0.05]).log_prob(rel, centre),
                                   atol=2e-2, rtol=1e-4)
    if loss == "nce":
        torch.testing.assert_close(rel_to_xywh(out.y[:, 0], ref_size=gt[:, 2:]), gt)
    if loss == "nce_plus":
        offset = (rel[:, 0] - centre).abs()
        assert (offset > 0).any() and (offset < 4 * 0.1 * 0.5).all()
    # empirical spread in the relative space: a 50/50 mixture of sigma 0.05 and 0.5
    many = proc.candidates(gt[:1].repeat(40, 1), torch.Generator().manual_seed(1)).y.double()
    offsets = (many[:, first:] - centre[:1]).reshape(-1, 4)
    assert offsets.mean(0).abs().max() < 0.03
    np.testing.assert_allclose(offsets.std(0), math.sqrt((0.05 ** 2 + 0.5 ** 2) / 2), rtol=0.06)
    inner = (offsets.abs() < 0.2).all(dim=1).double().mean()         # the narrow component, mostly
    assert 0.47 < inner < 0.54


def test_box_loss_by_name_uses_the_paper_tracking_numbers():
    assert as_box_loss("nce+").hparams() == {"sigmas": [0.05, 0.5], "num_samples": 128, "beta": 0.1}
    assert as_box_loss("KLD-IS").hparams() == {"sigmas": [0.05, 0.5], "num_samples": 128, "sigma": 0.05}
    assert as_box_loss("mlis").hparams() == {"sigmas": [0.05, 0.5], "num_samples": 128}
    with pytest.raises(ValueError, match="no tracking hyper-parameters for loss 'dsm'"):
        as_box_loss("dsm")
    with pytest.raises(ValueError, match="draws no candidates"):
        as_box_loss(make_loss("dsm", sigma=0.1))


def test_validation_processing_has_no_brightness_jitter_or_crop_flips_whatever_the_setting():
    s = paper_settings("nce_plus")
    train, val = build_dimp_processing(s, "nce_plus"), build_dimp_processing(s, "nce_plus", training=False)
    assert (train.brightness_jitter, train.frame_flip_prob) == (0.2, 0.5)   # the setting's values
    assert (val.brightness_jitter, val.frame_flip_prob) == (0.0, 0.0)
    assert val.output_size == train.output_size == 352 and val.flip_prob == train.flip_prob


# ----------------------------------------------------------------------------- labels

def test_label_peaks_at_the_target_centre_on_the_23x23_score_grid():
    # a target centred in the crop sits at cell 11 (the grid centre); one stride right -> cell 12
    boxes = torch.tensor([[146.0, 156.0, 60.0, 40.0], [146.0 + 16, 156.0, 60.0, 40.0]])
    label = gaussian_label(boxes, 352, 22, 0.25 / 6, 4)
    assert label.shape == (2, 23, 23)
    peaks = [divmod(int(label[i].argmax()), 23) for i in range(2)]
    assert peaks == [(11, 11), (11, 12)]
    sigma = 0.25 / 6 * 22
    assert label[0, 11, 11] == pytest.approx(1.0)
    assert label[0, 11, 12] == pytest.approx(math.exp(-1 / (2 * sigma ** 2)), rel=1e-5)
    assert label[0, 12, 12] == pytest.approx(math.exp(-2 / (2 * sigma ** 2)), rel=1e-5)


# ----------------------------------------------------------------------------- whole sample

def test_processing_output_matches_the_batch_contract_and_the_boxes_stay_on_the_target():
    image, box = scene(320, 240, (140, 100, 40, 30))
    frames = FrameSet([image] * 3, np.tile(box, (3, 1)), [image] * 3, np.tile(box, (3, 1)))
    s = paper_settings("nce_plus")
    s.processing.update(brightness_jitter=0.0, grayscale_prob=0.0)
    proc = build_dimp_processing(s, "nce_plus")
    out = proc(frames, np.random.default_rng(0), torch.Generator().manual_seed(0))
    candidates = out.pop("test_candidates")
    assert (candidates.y.shape, candidates.log_q.shape, candidates.log_p) == ((3, 129, 4), (3, 129), None)
    shapes = {k: tuple(v.shape) for k, v in out.items()}
    assert shapes == {"train_images": (3, 3, 352, 352), "test_images": (3, 3, 352, 352), "train_anno": (3, 4),
                      "test_anno": (3, 4), "train_label": (3, 23, 23), "test_label": (3, 23, 23)}
    mean, std = torch.tensor(proc.mean).view(3, 1, 1), torch.tensor(proc.std).view(3, 1, 1)
    for kind in ("train", "test"):
        for k in range(3):
            rgb = ((out[f"{kind}_images"][k] * std + mean) * 255).round().clamp(0, 255).byte().permute(1, 2, 0)
            np.testing.assert_allclose(locate(rgb.numpy()), out[f"{kind}_anno"][k].numpy(), atol=0.5)
