"""Algorithm S1: convergence, accept/reject bookkeeping, per-example independence."""
import pytest
import torch

from pytracking_ebm.refine import refine


def quadratic(centre, curvature):
    """Concave f(y) = -Σ_d a_d (y_d - c_d)², maximum at c."""
    return lambda y: -(curvature * (y - centre) ** 2).sum(-1)


def test_converges_to_maximum_of_concave_quadratic():
    centre = torch.tensor([[1.0, -2.0, 0.5, 3.0]], dtype=torch.float64)
    curv = torch.tensor([1.0, 2.0, 0.5, 4.0], dtype=torch.float64)
    y0 = torch.zeros(1, 4, dtype=torch.float64)
    out = refine(quadratic(centre, curv), y0, step_length=0.1, num_iters=300, decay=0.5)
    assert torch.allclose(out.y, centre, atol=1e-6)
    assert out.energy.item() > -1e-10


def test_rejected_step_keeps_y_and_decays_step():
    # f(y) = -y²: from y = 1 the step y + λ·(-2y) with λ = 1.5 lands on -2 (worse) and is
    # rejected; λ becomes 0.75, then the step lands on -0.5 (better) and is accepted.
    f = quadratic(torch.zeros(1, 1), torch.ones(1))
    y0 = torch.ones(1, 1)
    one = refine(f, y0, step_length=1.5, num_iters=1, decay=0.5)
    assert one.y.item() == 1.0 and one.energy.item() == -1.0
    two = refine(f, y0, step_length=1.5, num_iters=2, decay=0.5)
    assert two.y.item() == -0.5


def test_examples_refine_independently_with_per_dimension_steps():
    centres = torch.tensor([[1.0, 1.0], [-3.0, 2.0], [0.0, 0.0]])
    f = quadratic(centres, torch.ones(2))
    y0 = torch.zeros(3, 2)
    lam = torch.tensor([0.25, 0.0])  # second dimension frozen
    both = refine(f, y0, step_length=lam, num_iters=5)
    alone = refine(quadratic(centres[1:2], torch.ones(2)), y0[1:2], step_length=lam, num_iters=5)
    assert torch.equal(both.y[1:2], alone.y)
    assert torch.all(both.y[:, 1] == 0)
    # each example moved toward its own centre and never lost energy
    assert torch.all(both.energy >= f(y0))


def test_no_graph_left_behind_and_works_under_no_grad():
    w = torch.tensor([2.0], requires_grad=True)
    f = lambda y: -(w * (y - 1) ** 2).sum(-1)
    with torch.no_grad():
        out = refine(f, torch.zeros(4, 2), step_length=0.1, num_iters=3)
    assert not out.y.requires_grad and out.y.grad_fn is None and not out.energy.requires_grad
    assert w.grad is None


def test_always_accept_variant_decays_every_step():
    # PrDiMP's ascent: y <- y + λ_t ∇f with λ_t = λ η^t, no rejection
    f = quadratic(torch.zeros(1, 1), torch.ones(1))
    out = refine(f, torch.ones(1, 1), step_length=1.5, num_iters=2, decay=0.5, accept_reject=False)
    y = 1.0
    for lam in (1.5, 0.75):
        y = y + lam * (-2 * y)
    assert out.y.item() == y


def test_energy_before_last_step_ranks_by_the_previous_energies_without_evaluating_the_last_boxes():
    """PrDiMP's ranking: the boxes after T plain steps with the energies of those after T - 1,
    and T energy evaluations in all (the last boxes are never evaluated)."""
    centre = torch.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=torch.float64)
    f = quadratic(centre, torch.tensor([1.0, 2.0], dtype=torch.float64))
    calls = []

    def counted(y):
        calls.append(1)
        return f(y)

    y0 = torch.zeros(2, 2, dtype=torch.float64)
    out = refine(counted, y0, step_length=0.1, num_iters=5, decay=0.9, accept_reject=False, energy_before_last_step=True)
    assert len(calls) == 5
    full = refine(f, y0, step_length=0.1, num_iters=5, decay=0.9, accept_reject=False)
    before = refine(f, y0, step_length=0.1, num_iters=4, decay=0.9, accept_reject=False)
    assert torch.equal(out.y, full.y) and torch.equal(out.energy, before.energy)
    assert not torch.equal(out.energy, full.energy)
    assert torch.equal(out.initial_energy, f(y0)) and torch.equal(full.initial_energy, f(y0))
    with pytest.raises(ValueError, match="plain ascent"):
        refine(f, y0, step_length=0.1, energy_before_last_step=True)


def test_refine_relative_steps_in_the_relative_box_space():
    """refine_relative = refine on [cx / w0, cy / h0, log w, log h], boxes in and out as xywh."""
    from pytracking_ebm.boxes import rel_to_xywh, xywh_to_rel
    from pytracking_ebm.refine import refine_relative
    target = torch.tensor([[40.0, 30.0, 20.0, 10.0]], dtype=torch.float64)

    def energy(boxes):  # peaked at the target box, in pixels
        return -((boxes - target) ** 2).sum(-1)

    boxes = torch.tensor([[35.0, 28.0, 24.0, 12.0], [44.0, 33.0, 16.0, 9.0]], dtype=torch.float64)
    ref = boxes[:1, 2:]
    lam = torch.tensor([1e-3, 1e-3, 2e-3, 2e-3], dtype=torch.float64)
    out = refine_relative(energy, boxes, ref, lam, num_iters=20, decay=0.5)
    manual = refine(lambda y: energy(rel_to_xywh(y, ref)), xywh_to_rel(boxes, ref), lam, num_iters=20, decay=0.5)
    torch.testing.assert_close(out.y, rel_to_xywh(manual.y, ref))
    torch.testing.assert_close(out.energy, manual.energy)
    torch.testing.assert_close(out.initial_energy, energy(boxes))
    assert (out.energy > out.initial_energy).all()
