"""Metrics against hand-computed cases, for both conventions."""
import time

import numpy as np
import pytest

from evaluation import (CENTRE_THRESHOLDS, NORM_THRESHOLDS, OVERLAP_THRESHOLDS,
                        InvalidResultError, Sequence, centre_error, evaluate, frame_errors,
                        got10k_scores, iou, normalised_centre_error, sequence_curves)


def boxes(*rows):
    return np.array(rows, dtype=np.float64).reshape(-1, 4)


def seq(gt, dataset="otb", visible=None, name="s"):
    gt = np.asarray(gt, dtype=np.float64)
    return Sequence(name=name, frames=[f"{i}.jpg" for i in range(len(gt))], ground_truth=gt,
                    dataset=dataset, visible=visible)


# ---------------------------------------------------------------- thresholds and box maths

def test_threshold_grids():
    for convention in ("pytracking", "got10k"):
        assert len(OVERLAP_THRESHOLDS[convention]) == 21
        assert len(NORM_THRESHOLDS[convention]) == 51
        np.testing.assert_allclose(OVERLAP_THRESHOLDS[convention], np.linspace(0, 1, 21),
                                   atol=1e-15)
    assert len(CENTRE_THRESHOLDS) == 51 and CENTRE_THRESHOLDS[20] == 20
    # pytracking's torch.arange grid sits one ulp above 0.05 * k at 0.65 and 0.75
    assert OVERLAP_THRESHOLDS["pytracking"][15] == np.nextafter(0.75, 1)
    assert OVERLAP_THRESHOLDS["pytracking"][10] == 0.5
    assert NORM_THRESHOLDS["pytracking"][20] == 0.2


def test_iou_pixel_convention_equals_continuous_iou():
    gt = boxes((0, 0, 10, 10), (0, 0, 10, 10), (5, 5, 10, 10), (0, 0, 10, 10), (2.5, 1, 4, 3))
    pred = boxes((0, 0, 10, 10), (0, 0, 10, 20), (0, 0, 10, 10), (20, 20, 5, 5), (3, 1.5, 4, 3))
    expected = [1.0, 0.5, 25 / 175, 0.0, (3.5 * 2.5) / (24 - 3.5 * 2.5)]
    for convention in ("pytracking", "got10k"):
        np.testing.assert_allclose(iou(pred, gt, convention), expected, atol=1e-12)


def test_iou_conventions_differ_where_documented():
    gt = boxes((0, 0, 10, 10))
    # negative overlap extent: pytracking clamps the size per axis like got10k -> 0
    assert iou(boxes((30, 30, 5, 5)), gt, "pytracking")[0] == 0.0
    # zero-area pair: pytracking divides 0 by 0 (NaN), got10k adds eps (0)
    assert np.isnan(iou(boxes((0, 0, 0, 0)), boxes((5, 5, 0, 0)), "pytracking")[0])
    assert iou(boxes((0, 0, 0, 0)), boxes((5, 5, 0, 0)), "got10k")[0] == 0.0


def test_centre_errors():
    gt = boxes((0, 0, 10, 20))
    pred = boxes((3, 4, 10, 20))                   # centre shifted by (3, 4)
    assert centre_error(pred, gt)[0] == 5.0
    # pytracking: centres divided by GT w, h before subtracting -> (0.3, 0.2)
    assert normalised_centre_error(pred, gt)[0] == pytest.approx(np.hypot(0.3, 0.2))
    # got10k: offset divided by max(1, GT w, h) -> same here, differs for tiny boxes
    assert normalised_centre_error(pred, gt, "got10k")[0] == pytest.approx(np.hypot(0.3, 0.2))
    tiny = boxes((0, 0, 0.5, 0.5))
    assert normalised_centre_error(boxes((1, 0, 0.5, 0.5)), tiny, "got10k")[0] == 1.0
    assert normalised_centre_error(boxes((1, 0, 0.5, 0.5)), tiny, "pytracking")[0] == 2.0
    # centre is x + (w - 1) / 2: a 1-px-wider box moves the centre by half a pixel
    assert centre_error(boxes((0, 0, 11, 20)), gt)[0] == 0.5


# ---------------------------------------------------------------- hand-computed curves

def test_identical_boxes():
    gt = np.tile([10, 20, 30, 40], (7, 1))
    c = sequence_curves(gt, gt)
    # IoU 1 > T for every T < 1; T = 1 is never passed (strict test)
    np.testing.assert_array_equal(c.success, [1.0] * 20 + [0.0])
    np.testing.assert_array_equal(c.precision, np.ones(51))
    np.testing.assert_array_equal(c.norm_precision, np.ones(51))
    ev = evaluate([seq(gt)], {"s": gt})
    assert ev.auc == pytest.approx(100 * 20 / 21)
    assert ev.precision_score == 100.0 and ev.norm_precision_score == 100.0
    assert ev.op50 == 100.0 and ev.op75 == 100.0


def test_disjoint_boxes_count_the_first_frame():
    n = 5
    gt = np.tile([1, 1, 10, 10], (n, 1)).astype(float)
    pred = np.tile([100, 100, 10, 10], (n, 1)).astype(float)
    c = sequence_curves(pred, gt)
    # frame 0 is replaced by the ground truth and counted; every other frame fails
    np.testing.assert_allclose(c.success, [1 / n] * 20 + [0.0])
    np.testing.assert_allclose(c.precision, np.full(51, 1 / n))
    assert np.all(iou(pred, gt) == 0.0)


def test_constant_iou_half_steps_at_half():
    n = 4
    gt = np.tile([1, 1, 10, 10], (n, 1)).astype(float)
    pred = np.tile([1, 1, 10, 20], (n, 1)).astype(float)      # IoU exactly 0.5
    c = sequence_curves(pred, gt)
    thresholds = OVERLAP_THRESHOLDS["pytracking"]
    expected = np.where(thresholds < 0.5, 1.0, 1 / n)          # 0.5 > 0.5 is false
    expected[-1] = 0.0
    np.testing.assert_allclose(c.success, expected)
    assert c.success[9] == 1.0 and c.success[10] == pytest.approx(1 / n)
    ev = evaluate([seq(gt)], {"s": pred})
    assert ev.op50 == pytest.approx(100 / n)
    assert ev.auc == pytest.approx(100 * (10 * 1 + 10 * (1 / n)) / 21)


def test_precision_threshold_is_inclusive():
    gt = np.tile([1, 1, 10, 10], (2, 1)).astype(float)
    pred = gt + [[0, 0, 0, 0], [20, 0, 0, 0]]                 # error exactly 20 px
    c = sequence_curves(pred, gt)
    assert c.precision[20] == 1.0 and c.precision[19] == 0.5


# ---------------------------------------------------------------- invalid ground truth

def test_box_touching_the_image_border_is_invalid_ground_truth():
    # pytracking's validity test is "x, y, w, h all > 0", so x = 0 marks a frame invalid
    gt = boxes((1, 1, 10, 10), (0, 5, 10, 10))
    e = frame_errors(gt, gt)
    np.testing.assert_array_equal(e.valid, [True, False])
    assert e.overlap[1] == -1 and e.centre[1] == np.inf and e.norm_centre[1] == -1


def test_invalid_ground_truth_stays_in_denominator():
    gt = boxes((1, 1, 10, 10), (1, 1, 10, 10), (1, 1, 0, 10), (1, 1, 10, 10))
    pred = gt.copy()
    pred[2] = (1, 1, 10, 10)
    c = sequence_curves(pred, gt)
    assert c.success[0] == 0.75          # invalid frame fails success
    assert c.precision[20] == 0.75       # ... and precision
    assert c.norm_precision[0] == 1.0    # ... and passes normalised precision
    e = sequence_curves(pred, gt, exclude_invalid=True)
    assert e.success[0] == 1.0 and e.precision[20] == 1.0 and e.norm_precision[0] == 1.0


def test_uav123_nan_rows_pass_precision_and_other_datasets_reject_nan():
    gt = boxes((1, 1, 10, 10), (np.nan,) * 4, (1, 1, 10, 10), (1, 1, 10, 10))
    pred = np.tile([1, 1, 10, 10], (4, 1)).astype(float)
    c = sequence_curves(pred, gt, dataset="uav123")
    assert c.success[0] == 0.75 and c.precision[0] == 1.0 and c.norm_precision[0] == 1.0
    with pytest.raises(ValueError, match="NaN at frame 1"):
        sequence_curves(pred, gt, dataset="otb")
    # got10k convention drops NaN rows on UAV123 and LaSOT
    g = sequence_curves(pred, gt, dataset="uav123", convention="got10k")
    assert g.success[0] == 1.0 and g.precision[0] == 1.0


def test_lasot_absent_frames_fail_every_measure():
    gt = np.tile([1, 1, 10, 10], (4, 1)).astype(float)
    visible = np.array([True, True, False, True])
    c = sequence_curves(gt, gt, visible=visible, dataset="lasot")
    assert c.success[0] == 0.75 and c.precision[50] == 0.75 and c.norm_precision[50] == 0.75
    # evaluate() uses the visibility flags only for LaSOT under the pytracking convention
    assert evaluate([seq(gt, "lasot", visible)], {"s": gt}).precision_score == 75.0
    assert evaluate([seq(gt, "got10k", visible)], {"s": gt}).precision_score == 100.0
    assert evaluate([seq(gt, "lasot", visible)], {"s": gt},
                    convention="got10k").precision_score == 100.0


# ---------------------------------------------------------------- result rules

def test_zero_size_result_takes_the_previous_box():
    gt = np.tile([1, 1, 10, 10], (4, 1)).astype(float)
    pred = boxes((1, 1, 10, 10), (2, 2, 10, 10), (50, 50, 0, 10), (60, 60, 10, 0))
    e = frame_errors(pred, gt)
    np.testing.assert_allclose(e.overlap[2:], iou(boxes((2, 2, 10, 10)), gt[:1])[0])
    g = frame_errors(pred, gt, convention="got10k")           # scored as is
    np.testing.assert_array_equal(g.overlap[2:], [0.0, 0.0])


def test_invalid_results_name_file_and_line():
    gt = np.tile([1, 1, 10, 10], (3, 1)).astype(float)
    with pytest.raises(InvalidResultError, match=r"res\.txt:3: NaN or negative"):
        frame_errors(boxes((0, 0, 1, 1), (0, 0, 1, 1), (0, 0, -1, 1)), gt, source="res.txt")
    with pytest.raises(InvalidResultError, match=r"res\.txt:2"):
        frame_errors(boxes((0, 0, 1, 1), (np.nan, 0, 1, 1), (0, 0, 1, 1)), gt, source="res.txt")
    # the got10k convention scores them as they are
    assert frame_errors(boxes((0, 0, 1, 1), (0, 0, 1, 1), (0, 0, -1, 1)), gt,
                        convention="got10k").overlap[2] == 0.0


def test_length_mismatch():
    gt = np.tile([1, 1, 10, 10], (4, 1)).astype(float)
    short = gt[:2]
    c = sequence_curves(short, gt)                 # padded with zero boxes -> failures
    assert c.success[0] == 0.5 and c.norm_precision[0] == 0.5
    with pytest.raises(ValueError, match="LaSOT results must cover every frame"):
        sequence_curves(short, gt, dataset="lasot", visible=np.ones(4, bool))
    long = np.tile([1, 1, 10, 10], (9, 1)).astype(float)
    assert sequence_curves(long, gt).success[0] == 1.0        # truncated
    g = sequence_curves(short, gt, convention="got10k")       # ground truth truncated
    assert g.success[0] == 1.0


def test_got10k_normalised_precision_score_is_curve_mean():
    gt = np.tile([1, 1, 10, 10], (2, 1)).astype(float)
    pred = gt + [[0, 0, 0, 0], [2, 0, 0, 0]]                  # normalised offset 0.2
    ev = evaluate([seq(gt)], {"s": pred}, convention="got10k")
    curve = ev.norm_precision_curve
    assert ev.norm_precision_score == pytest.approx(curve.mean())
    assert ev.norm_precision_score == pytest.approx(100 * (51 + 31) / (2 * 51))
    assert evaluate([seq(gt)], {"s": pred}).norm_precision_score == 100.0


# ---------------------------------------------------------------- MATLAB toolkits

def test_otb_matlab_convention():
    gt = boxes((1, 1, 10, 10), (1, 1, 10, 10), (1, 1, 0, 10), (1, 1, 10, 10), (1, 1, 10, 10))
    pred = boxes((1, 1, 10, 10), (1, 1, 10, 10), (40, 40, 10, 10), (9, 9, -3, 4),
                 (np.nan, 1, 10, 10))
    e = frame_errors(pred, gt, convention="otb_matlab")
    assert e.overlap[2] == -1 and e.centre[2] == -1          # invalid GT passes precision
    assert e.centre[3] == pytest.approx(39 * np.sqrt(2))      # negative size -> previous row
    assert np.isnan(e.overlap[4])                             # a lone NaN is kept and fails
    c = sequence_curves(pred, gt, convention="otb_matlab")
    assert c.success[0] == 0.4 and c.precision[0] == 0.6
    all_nan = pred.copy()
    all_nan[4] = np.nan                                       # all NaN -> previous row
    assert frame_errors(all_nan, gt, convention="otb_matlab").centre[4] == e.centre[3]


def test_lasot_matlab_convention():
    gt = boxes((1, 1, 10, 10), (1, 1, 10, 10), (1, 1, 0, 10), (1, 1, 10, 10))
    visible = np.array([True, False, True, True])
    pred = boxes((1, 1, 10, 10), (1, 1, 10, 10), (40, 40, 10, 10), (np.nan, 1, 10, 10))
    c = sequence_curves(pred, gt, visible=visible, dataset="lasot", convention="lasot_matlab")
    # frame 1 absent: fails everything; frame 2 invalid: passes both precisions;
    # frame 3: NaN result replaced by the previous row (40, 40, ...)
    assert c.success[0] == 0.25
    assert c.precision[0] == 0.5 and c.norm_precision[0] == 0.5
    with pytest.raises(ValueError, match="MATLAB toolkits need every frame"):
        sequence_curves(pred[:2], gt, convention="lasot_matlab")
    ev = evaluate([seq(gt, "lasot", visible)], {"s": pred}, convention="lasot_matlab")
    assert ev.precision_score == 50.0


# ---------------------------------------------------------------- dataset level

def test_runs_averaged_per_sequence_then_over_sequences():
    gt = np.tile([1, 1, 10, 10], (4, 1)).astype(float)
    far = np.tile([100, 100, 10, 10], (4, 1)).astype(float)
    seqs = [seq(gt, name="a"), seq(gt, name="b")]
    ev = evaluate(seqs, {"a": [gt, far], "b": [gt, gt]})
    assert ev.runs == 2
    # a: (1 + 1/4) / 2, b: 1 -> mean 0.8125 at T = 0
    assert ev.success_curve[0] == pytest.approx(81.25)
    np.testing.assert_allclose(ev.run_aucs(), [100 * 20 / 21, 100 * (20 + 10 / 4 * 2) / 42])
    with pytest.raises(ValueError, match="different numbers of runs"):
        evaluate(seqs, {"a": [gt, far], "b": [gt]})
    with pytest.raises(ValueError, match="no results for 1 sequence"):
        evaluate(seqs, {"a": gt})


def test_got10k_protocol_pools_frames_after_the_first_with_cover():
    gt = np.tile([10.0, 10.0, 10.0, 10.0], (5, 1))
    pred = np.array([[0, 0, 1, 1], [10, 10, 10, 10], [10, 10, 10, 20], [50, 50, 5, 5],
                     [10, 10, 10, 10]], dtype=float)          # IoU: -, 1, 0.5, 0, 1
    s = Sequence("g", [f"{i}.jpg" for i in range(5)], gt, "got10k",
                 attributes={"cover": np.array([8, 8, 8, 8, 0])})   # last frame: cover 0
    scores = got10k_scores([s], {"g": pred})
    assert scores["AO"] == pytest.approx(100 * 1.5 / 3)
    assert scores["SR50"] == pytest.approx(100 / 3) and scores["SR75"] == pytest.approx(100 / 3)
    # boxes are clipped to the image first: half of this prediction lies outside a 15 px image
    clipped = got10k_scores([s], {"g": pred}, image_sizes={"g": (15, 15)})
    assert clipped["AO"] == pytest.approx(100 * (1 + 25 / 25 + 0) / 3)


def test_hidden_ground_truth_is_refused():
    s = Sequence("t", ["0.jpg", "1.jpg"], np.array([[0, 0, 5, 5]]), "trackingnet")
    with pytest.raises(ValueError, match="hidden"):
        evaluate([s], {"t": np.zeros((2, 4))})


def test_scoring_280_lasot_sized_sequences_is_fast():
    rng = np.random.default_rng(0)
    seqs, results = [], {}
    for i in range(280):
        gt = np.abs(rng.normal(100, 30, (2500, 4))) + 1
        seqs.append(seq(gt, "lasot", np.ones(2500, bool), name=f"s{i}"))
        results[f"s{i}"] = np.abs(gt + rng.normal(0, 5, gt.shape))
    start = time.perf_counter()
    ev = evaluate(seqs, results)
    elapsed = time.perf_counter() - start
    assert 0 < ev.auc < 100
    assert elapsed < 3.0, f"scoring took {elapsed:.2f} s (goal < 1 s)"
