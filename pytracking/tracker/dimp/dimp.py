"""The DiMP tracker with an energy-based box head (DiMP-KLD-IS / -NCE / -NCE+, PrDiMP-style).

Initialisation (first frame): augmented crops around the target train the classifier's
filter (filter initialiser + steepest-descent optimiser of the network) and fill the sample
memory; the identity crop gives the box head's modulation vectors.

Per frame: crop the search region at the current scale; the classifier's score map locates
the target centre (with distractor handling and target-not-found detection); the box head's
energy refines random boxes around that estimate by gradient ascent, and the mean of the
best ones is the new box; confident frames are added to the memory and the filter is
re-optimised every ``train_skipping`` frames (or at once after a hard negative).
"""
from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, Optional, Tuple

import numpy as np
import torch
from torch import Tensor

from ltr.data.transforms import normalize, to_tensor
from ltr.models import DiMPNet
from ltr.models.filter_ops import apply_filter
from ltr.models.inference import inference_copy
from ltr.models.optimizer import SteepestDescentKL
from pytracking_ebm.cuda_graph import GraphedFunction

from ..base import Tracker
from .augmentation import augmentation_list, init_samples
from .box_refinement import jitter_boxes, refine_boxes, select_box
from .geometry import Window, box_from_state, clip_box, search_window
from .index_sampling import image_tensor, index_position, init_samples_index, sample_patch
from .localisation import localise
from .memory import SampleMemory
from .params import DiMPParams

Energy = Callable[[Tensor], Tensor]


class DiMPTracker(Tracker):
    """DiMP target classifier + box energy refinement; numbers from a :class:`DiMPParams`.

    After each frame ``last_refinement`` holds the box refinement's jitter boxes, refined boxes
    and their energies (crop pixels), ``last_flag`` the localisation flag, ``last_score`` the
    classifier's peak score, and ``timings`` the accumulated seconds of ``backbone``,
    ``classifier`` and ``box`` (refinement).

    ``sync_free`` (True off the CPU) runs the box estimation as a GPU wants it: the box head's
    features on the whole crop, so that every frame has the same shapes (cuDNN's autotuner
    tunes once, a CUDA graph could replay them), and an ascent that never waits for the
    device (:meth:`~ltr.models.box_head.BoxEnergyHead.frame_energy`). On the CPU, where
    reading a value costs nothing, they skip work instead. Both give the same boxes up to
    float rounding. ``cuda_graph`` (False by default; needs ``sync_free`` and a CUDA device)
    replays the box estimation of each frame, a few thousand small operators, from a CUDA
    graph captured at the first frame (:class:`pytracking_ebm.cuda_graph.GraphedFunction`).
    """

    def __init__(self, params: DiMPParams, net: DiMPNet, device: str = "cpu", debug: int = 0):
        super().__init__()
        self.params, self.device, self.debug = params, torch.device(device), debug
        # a copy in evaluation mode with BatchNorm folded into the convolutions; no parameter
        # gradients: the box refinement differentiates with respect to the boxes only
        self.net = inference_copy(net)
        # PrDiMP's classifier scores are logits of the target density: localise on their softmax
        optimizer = self.net.classifier.optimizer
        if params.score_preprocess not in ("none", "softmax", "auto"):
            raise ValueError(f"score_preprocess {params.score_preprocess!r}: use 'none', 'softmax' or 'auto'")
        if params.sampling not in ("pytracking", "exact"):
            raise ValueError(f"sampling {params.sampling!r}: use 'pytracking' or 'exact'")
        self.softmax_scores = params.score_preprocess == "softmax" or (
            params.score_preprocess == "auto" and isinstance(optimizer, SteepestDescentKL))
        self.softmax_reg = getattr(optimizer, "softmax_reg", None)
        # every convolution runs channels last, weights included (a quarter faster on CPU for the
        # backbone, same values); a convolution whose input is channels last and its weight not
        # would convert the weight at every call
        self.net.to(memory_format=torch.channels_last)
        self.sync_free = self.device.type != "cpu"
        self.cuda_graph = False
        self._box_graph: Optional[GraphedFunction] = None
        self.timings: Dict[str, float] = defaultdict(float)
        self.flags: Counter = Counter()

    # ------------------------------------------------------------------ helpers

    @contextmanager
    def _timed(self, name: str) -> Iterator[None]:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        start = time.perf_counter()
        yield
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        self.timings[name] += time.perf_counter() - start

    def _backbone(self, crops) -> Dict[str, Tensor]:
        """Crops (n, S, S, 3) uint8, or float (n, 3, S, S) in [0, 255] -> backbone features
        (input normalised as in training), laid out channels last."""
        with self._timed("backbone"):
            x = normalize(crops / 255 if torch.is_tensor(crops) else to_tensor(crops)).to(self.device)
            return self.net.extract_backbone_features(x.contiguous(memory_format=torch.channels_last))

    def _classifier_features(self, feats: Dict[str, Tensor]) -> Tensor:
        return self.net.classifier.features(feats[self.net.clf_layer])

    def box_energy(self, feats: Dict[str, Tensor], window: Window, boxes: Tensor) -> Energy:
        """The box head's energy of boxes (P, 4) in this frame's crop pixels, on the tracker's device.

        ``boxes`` are the jitter boxes: the head's test features (two 3x3 convolutions per
        branch, as costly as a third of the backbone) are computed only on a region of
        ``box_feature_window`` box sizes around them, cut from each backbone map with the
        convolutions' reach (:meth:`~ltr.models.box_head.BoxEnergyHead.test_feature_reach`)
        beyond the cells that PrRoIPool reads there, so that the energies are those of the
        whole crop; 0 computes them on the whole crop, as does ``sync_free`` (fixed shapes).
        """
        head = self.net.box_head
        maps = [feats[name] for name in self.net.box_layers]
        origins = [(0.0, 0.0)] * len(maps)
        if self.params.box_feature_window > 0 and not self.sync_free:
            margin = 0.5 * (self.params.box_feature_window - 1) * float(boxes[:, 2:].max())
            lo = boxes[:, :2].min(dim=0).values - margin  # (x, y) crop pixels
            hi = (boxes[:, :2] + boxes[:, 2:]).max(dim=0).values + margin
            for i, reach in enumerate(head.test_feature_reach()):
                height, width = maps[i].shape[-2:]
                stride = self.params.image_sample_size / width
                # PrRoIPool reads cells floor(lo) .. ceil(hi) (their bilinear hats); the convolutions
                # need ``reach`` more on each side
                x0, y0 = ((lo / stride).floor() - reach).long().tolist()
                x1, y1 = ((hi / stride).ceil() + reach + 1).long().tolist()
                x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
                if x0 < x1 and y0 < y1:  # else the boxes lie outside the crop: the whole map
                    maps[i] = maps[i][..., y0:y1, x0:x1]
                    origins[i] = (x0 * stride, y0 * stride)
        # the energy with its box gradient in closed form
        energy = head.frame_energy(self.modulation, head.test_features(tuple(maps)), origins, self.sync_free)
        return lambda b: energy(b[None])[0]

    @property
    def box(self) -> Tensor:
        """The current target box (x, y, w, h) in image pixels."""
        return box_from_state(self.pos, self.target_sz)

    def _output(self) -> np.ndarray:
        box = clip_box(self.box, self.image_size) if self.params.clamp_estimates else self.box
        return box.numpy().astype(np.float64)

    # ------------------------------------------------------------------ initialisation

    @torch.no_grad()
    def initialize(self, image: np.ndarray, box: np.ndarray, seed: int = 0) -> None:
        p = self.params
        self.events.clear()
        self.flags.clear()
        self.timings.clear()
        # every random draw (augmentation shifts, dropout, jitter boxes) in pytracking's order
        self.generator = torch.Generator().manual_seed(seed)
        box = torch.as_tensor(np.asarray(box, dtype=np.float64), dtype=torch.float32)
        if not (torch.isfinite(box).all() and (box[2:] > 0).all()):
            raise ValueError(f"invalid initial box {box.tolist()}")
        self.frame_num = 1
        self.image_size = (image.shape[1], image.shape[0])
        self.pos, self.target_sz = box[:2] + 0.5 * box[2:], box[2:].clone()
        sample = p.image_sample_size
        self.target_scale = math.sqrt(float((self.target_sz * p.search_area_scale).prod())) / sample
        self.base_target_sz = self.target_sz / self.target_scale
        image_sz = torch.tensor(self.image_size, dtype=torch.float32)
        self.min_scale_factor = float((10.0 / self.base_target_sz).max())
        self.max_scale_factor = max(float((image_sz / self.base_target_sz).min()), self.min_scale_factor)

        augs = augmentation_list(p.augmentation, sample, p.random_shift_factor, self.generator)
        make_samples = init_samples_index if p.sampling == "pytracking" else init_samples
        crops, boxes, _ = make_samples(image, self.pos, self.target_sz, self.target_scale, sample, augs,
                                       p.augmentation_expansion_factor, p.mirror_flipped_box)
        feats = self._backbone(crops)
        boxes = boxes.to(self.device)
        with self._timed("classifier"):
            x = self._classifier_features(feats)
            if "dropout" in p.augmentation:  # dropout copies of the identity sample
                num, prob = p.augmentation["dropout"]
                # channel dropout (F.dropout2d's draw, from the tracker's generator)
                keep = torch.empty(int(num), x.shape[1], 1, 1, dtype=x.dtype).bernoulli_(1 - prob, generator=self.generator)
                x = torch.cat((x, x[:1] * keep.div_(1 - prob).to(x.device)))
                boxes = torch.cat((boxes, boxes[:1].expand(int(num), -1)))
            self.feature_sz = x.shape[-1]
            self.filter_size = self.net.spec.filter_size
            self.filter, _, _ = self.net.classifier.get_filter(x[:, None], boxes[:, None], num_iter=p.net_opt_iter,
                                                               compute_losses=False)
            self.memory = SampleMemory(x, boxes, p.sample_memory_size, p.learning_rate,
                                       p.init_samples_minimum_weight)
        with self._timed("box"):
            ref = tuple(feats[name][:1] for name in self.net.box_layers)
            self.modulation = self.net.box_head.modulation(ref, boxes[:1])
        self._box_graph = None  # it read the previous modulation vectors

    # ------------------------------------------------------------------ tracking

    def track(self, image: np.ndarray) -> np.ndarray:
        p = self.params
        self.frame_num += 1
        self.image_size = (image.shape[1], image.shape[0])
        sample = p.image_sample_size
        stride = sample / self.feature_sz
        # DiMP centres the crop half a cell off when the score map has no centre cell
        offset = ((self.feature_sz + self.filter_size) % 2) * 0.5 * stride * self.target_scale
        if p.sampling == "pytracking":
            crop, window = sample_patch(image_tensor(image), index_position(self.pos + offset),
                                        torch.full((2,), self.target_scale * sample), sample, p.border_mode,
                                        p.patch_max_scale_change)
        else:
            window = search_window(self.pos + offset, self.target_scale * sample, self.image_size, sample,
                                   p.border_mode, p.patch_max_scale_change)
            crop = window.crop(image)[None]
        with torch.no_grad():
            feats = self._backbone(crop)
            with self._timed("classifier"):
                clf_feat = self._classifier_features(feats)
                scores = apply_filter(clf_feat[None], self.filter)[0, 0].cpu()
        if not torch.isfinite(scores).all():
            self.events["non_finite_scores"] += 1
            return self._output()
        not_found_threshold = p.target_not_found_threshold
        if self.softmax_scores:
            flat = scores.reshape(-1)
            if self.softmax_reg is not None:  # an extra logit in the denominator
                flat = torch.cat((flat, flat.new_tensor([self.softmax_reg])))
            scores = torch.softmax(flat, dim=0)[:scores.numel()].view(scores.shape)
            not_found_threshold = p.target_not_found_threshold_softmax

        target_cells = self.target_sz / (window.scale * stride)
        previous = (self.pos - torch.as_tensor(window.centre, dtype=torch.float32)) / (window.scale * stride)
        loc = localise(scores, target_cells, previous=previous, advanced=p.advanced_localization,
                       not_found_threshold=not_found_threshold, distractor_threshold=p.distractor_threshold,
                       hard_negative_threshold=p.hard_negative_threshold,
                       neighbourhood_scale=p.target_neighborhood_scale, displacement_scale=p.displacement_scale)
        self.last_flag = loc.flag
        self.last_score = float(loc.max_score)
        self.flags[loc.flag] += 1
        if loc.flag != "not_found":
            new_pos = torch.as_tensor(window.centre, dtype=torch.float32) + loc.displacement * stride * window.scale
            self._set_position(new_pos)
            with self._timed("box"):
                self._estimate_box(feats, window, p.update_scale_when_uncertain or loc.flag != "uncertain")

        if loc.flag not in ("not_found", "uncertain"):
            with torch.no_grad(), self._timed("classifier"):
                self._update_classifier(clf_feat[0], window.to_crop(self.box).to(self.device),
                                        hard_negative=loc.flag == "hard_negative")
        if self.debug:
            print(f"  frame {self.frame_num}: {loc.flag:13s} score {loc.max_score:.3f} "
                  f"box {np.round(self._output(), 1).tolist()}")
        return self._output()

    def _set_position(self, pos: Tensor) -> None:
        """Move the target centre, keeping ``target_inside_ratio`` of the target in the image."""
        if not torch.isfinite(pos).all():
            self.events["non_finite_position"] += 1
            return
        inside = (self.params.target_inside_ratio - 0.5) * self.target_sz
        image_sz = torch.tensor(self.image_size, dtype=torch.float32)
        half = 0.5 if self.params.sampling == "pytracking" else 0.0  # pytracking clamps pixel indices
        clamped = torch.max(torch.min(pos - half, image_sz - inside), inside)
        if not torch.equal(clamped, pos - half):
            self.events["target_at_border"] += 1
            pos = clamped + half
        self.pos = pos

    def _estimate_box(self, feats: Dict[str, Tensor], window: Window, update_scale: bool) -> None:
        """Refine boxes around the current estimate with the energy; adopt the top-k mean."""
        p = self.params
        init = jitter_boxes(window.to_crop(self.box), p.num_init_random_boxes, p.box_jitter_pos, p.box_jitter_sz,
                            self.generator)
        # the ascent runs where the features are: on a GPU nothing in it waits for the device
        if self.cuda_graph:
            if not self.sync_free:
                raise ValueError("cuda_graph needs sync_free (fixed shapes, no host reads): set both")
            layers = self.net.box_layers
            if self._box_graph is None:  # the graph's inputs: the box layers' maps, then the boxes
                self._box_graph = GraphedFunction(
                    lambda *inputs: self._refine(dict(zip(layers, inputs[:-1])), None, inputs[-1]))
            result = self._box_graph(*(feats[name] for name in layers), init.to(self.device))
        else:
            result = self._refine(feats, window, init.to(self.device))
        refined, energies, initial = (t.cpu() for t in result)
        self.last_refinement = {"jitter_boxes": init, "initial_energy": initial, "boxes": refined, "energy": energies}
        best = select_box(refined, energies, p.iounet_k, p.maximal_aspect_ratio)
        if best is None:
            self.events["no_valid_box"] += 1
            return
        best = window.to_image(best)
        centre, size = best[:2] + 0.5 * best[2:], best[2:]
        if p.sampling == "pytracking":  # its crop centre sits at index (S - 1) / 2: half a crop pixel on
            centre = centre + 0.5 * window.scale
        if not p.clamp_estimates:  # pytracking: the refined box as it is
            self.pos, self.target_sz = centre, size
            if update_scale:
                self.target_scale = math.sqrt(float(size.prod() / self.base_target_sz.prod()))
            return
        if (size < p.min_target_size).any():
            self.events["box_too_small"] += 1
            size = size.clamp(min=p.min_target_size)
        self._set_position(centre)
        self.target_sz = size
        if update_scale:
            scale = math.sqrt(float(size.prod() / self.base_target_sz.prod()))
            self.target_scale = min(max(scale, self.min_scale_factor), self.max_scale_factor)

    def _refine(self, feats: Dict[str, Tensor], window: Optional[Window],
                init: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """The box head's energy of this frame and the ascent of ``init`` (P, 4) on it, on the
        tracker's device: refined boxes, their energies, the initial energies (``window`` is
        only read without ``sync_free``)."""
        p = self.params
        return refine_boxes(
            self.box_energy(feats, window, init), init, space=p.box_refinement_space,
            step_length=p.box_refinement_step_length, num_iter=p.box_refinement_iter,
            decay=p.box_refinement_step_decay, accept_reject=p.box_refinement_accept_reject,
            energy_before_last_step=p.rank_boxes_before_last_step, step_current_size=p.box_step_current_size,
            check_values=not self.sync_free)

    def _update_classifier(self, features: Tensor, box: Tensor, hard_negative: bool) -> None:
        """Store the frame in the memory; re-optimise the filter when it is time."""
        p = self.params
        self.memory.add(features, box, p.hard_negative_learning_rate if hard_negative else None)
        if hard_negative:
            num_iter = p.net_opt_hn_iter
        elif (self.frame_num - 1) % p.train_skipping == 0:
            num_iter = p.net_opt_update_iter
        else:
            num_iter = 0
        if num_iter > 0:
            samples, boxes, weights = self.memory.stored()
            self.filter, _, _ = self.net.classifier.optimizer(self.filter, samples[:, None], boxes[:, None],
                                                              num_iter=num_iter, sample_weight=weights,
                                                              compute_losses=False)
