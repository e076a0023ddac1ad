# Autograd Functions: probability, its gradient (itself differentiable), and the Hessian in the limits.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Four chained torch.autograd.Function classes.

``Probability``  forward: mvn_prob_batch -> (P, log P, abserr).
                 backward: calls ``Gradient`` for the gradient reaching P and
                 ``LogGradient`` for the one reaching log P (each itself
                 differentiable) and adds gP * dP + glogP * dlogP.
``LogGradient``  forward: mvn_logprob_grad_batch -> the requested
                 derivatives of log P, computed in log space by the library
                 (finite where P underflows).  backward: second derivatives
                 in the limits and the mean, d2 log P = Hc / P - g g^T.
``Gradient``     forward: mvn_prob_grad_batch -> the requested derivatives
                 (dP/dlower, dP/dupper, dP/dloc, G = dP/dSigma).
                 backward: second derivatives in the limits and the mean,
                 from ``Hessian``; anything that needs a derivative of G or
                 a derivative with respect to Sigma raises.
``Hessian``      forward: mvn_prob_hessian (per problem) -> Hc.
                 backward: raises (third derivatives are not available).

All tensor inputs are float64 CPU tensors of a common batch shape, made so
by the caller outside these Functions (casts, device moves and expand are
ordinary differentiable torch operations, so autograd converts and sums the
gradients back to the caller's tensors).  The backward methods are not
marked @once_differentiable: on torch 1.13 torch.autograd.functional.hessian
would then silently return zeros.
"""

import torch
from torch.autograd import Function

from . import _core
from . import _library as L

SIGMA_2ND = "second derivatives with respect to the covariance are not supported"
THIRD = "third and higher derivatives of normal probabilities are not supported"


def _will_be_used(t):
    """Whether the running backward pass will propagate into tensor t.

    Uses the autograd engine's own answer where torch offers it (it knows
    which inputs torch.autograd.grad asked for); otherwise assumes yes, so
    that an unsupported derivative raises rather than being dropped.
    """
    if t is None or not t.requires_grad:
        return False
    try:
        with torch.enable_grad():
            node = t.grad_fn
            if node is None:  # a leaf: its AccumulateGrad node
                node = t.view_as(t).grad_fn.next_functions[0][0]
        return bool(torch._C._will_engine_execute_node(node))
    except Exception:
        return True


class Probability(Function):
    @staticmethod
    def forward(ctx, lower, upper, loc, sigma, kind, options, what):
        p, logp, err, logerr = _core.prob(lower, upper, loc, sigma, kind, options, what)
        ctx.kind, ctx.options, ctx.what = kind, options, what
        ctx.save_for_backward(lower, upper, loc, sigma, p)
        ctx.mark_non_differentiable(err, logerr)
        ctx.set_materialize_grads(False)
        return p, logp, err, logerr

    @staticmethod
    def backward(ctx, gp, glogp, gerr, glogerr):
        lower, upper, loc, sigma, p = ctx.saved_tensors
        # Only the derivatives this backward pass propagates are computed:
        # dP/dSigma costs far more than dP/dlimits, and a covariance that
        # merely requires grad should not make grad(P, x) slow.
        need = tuple(bool(ctx.needs_input_grad[k]) and _will_be_used(t)
                     for k, t in enumerate((lower, upper, loc, sigma)))
        none = (None,) * 7
        if not any(need) or (gp is None and glogp is None):
            return none
        # The gradient reaching log P uses the library's log-space
        # derivatives (mvn_logprob_grad_batch), not dP / P, so it stays
        # finite where P underflows to 0.
        terms = []
        if gp is not None:
            terms.append((gp, Gradient.apply(lower, upper, loc, sigma, ctx.kind,
                                             ctx.options, ctx.what, need)))
        if glogp is not None:
            terms.append((glogp, LogGradient.apply(lower, upper, loc, sigma, ctx.kind,
                                                   ctx.options, ctx.what, need)))
        g = [None] * 4
        for w, derivs in terms:
            it = iter(derivs)
            dl, du, dm, dS = (next(it) if need[k] else None for k in range(4))
            wv = w.unsqueeze(-1)
            for k, (x, wk) in enumerate(((dl, wv), (du, wv), (dm, wv),
                                         (dS, None))):
                if not need[k]:
                    continue
                v = wv.unsqueeze(-1) * x if k == 3 else wk * x
                g[k] = v if g[k] is None else g[k] + v
        g_lower, g_upper, g_loc, g_sigma = g
        if need[3]:
            if ctx.kind == L.SIGMA_CHOL:
                # Sigma = L L^T: dP/dL = 2 G L, restricted to the lower
                # triangle, the only part the library reads.
                g_sigma = torch.tril(2.0 * (g_sigma @ torch.tril(sigma)))
        return g_lower, g_upper, g_loc, g_sigma, None, None, None


class Gradient(Function):
    @staticmethod
    def forward(ctx, lower, upper, loc, sigma, kind, options, what, need):
        outs = _core.grad(lower, upper, loc, sigma, kind, options, what, need)
        ctx.kind, ctx.options, ctx.what, ctx.need = kind, options, what, need
        ctx.save_for_backward(lower, upper, loc, sigma)
        ctx.set_materialize_grads(False)
        return tuple(o for o in outs if o is not None)

    @staticmethod
    def backward(ctx, *grads):
        second = _second_order_setup(ctx, grads)
        if second is None:
            return (None,) * 8
        need, hc, flipped, b = second
        hb = (hc @ b.unsqueeze(-1)).squeeze(-1)
        return _limit_grads(need, flipped, hb)


class LogGradient(Function):
    """Derivatives of log P (library log space) and their derivatives."""

    @staticmethod
    def forward(ctx, lower, upper, loc, sigma, kind, options, what, need):
        # The second derivatives need dlogP/dc for every finite limit c, so
        # the limit derivatives are always computed (the closed form computes
        # them anyway; they are far cheaper than G).
        full = (True, True, need[2], need[3])
        dl, du, dm, dS, p = _core.grad(lower, upper, loc, sigma, kind, options,
                                       what, full, log=True, with_p=True)
        ctx.kind, ctx.options, ctx.what, ctx.need = kind, options, what, need
        ctx.save_for_backward(lower, upper, loc, sigma)
        # Constants of the backward formula (not differentiated further:
        # third derivatives raise).
        ctx.consts = (dl.detach(), du.detach(), p.detach())
        ctx.set_materialize_grads(False)
        outs = (dl, du, dm, dS)
        return tuple(outs[k] for k in range(4) if need[k])

    @staticmethod
    def backward(ctx, *grads):
        second = _second_order_setup(ctx, grads)
        if second is None:
            return (None,) * 8
        need, hc, flipped, b = second
        dl, du, p = ctx.consts
        # gc = dlogP/dc for the finite limit c_i of each coordinate;
        # d gc / dc = Hc / P - gc gc^T (Hc / P is NaN where P underflowed).
        gc = torch.where(flipped, dl, du)
        hb = ((hc / p.unsqueeze(-1).unsqueeze(-1)) @ b.unsqueeze(-1)).squeeze(-1)
        hb = hb - gc * (gc * b).sum(-1, keepdim=True)
        return _limit_grads(need, flipped, hb)


def _second_order_setup(ctx, grads):
    """What the backward of Gradient and LogGradient share: which incoming
    gradients act, the errors for derivatives that are not supported, the
    Hessian in the finite limits c, and the cotangent b acting on dc.
    Returns None when nothing flows back."""
    lower, upper, loc, sigma = ctx.saved_tensors
    it = iter(grads)
    g_dl, g_du, g_dm, g_dS = (next(it) if ctx.need[k] else None for k in range(4))
    if g_dS is not None:
        raise RuntimeError(SIGMA_2ND)
    if g_dl is None and g_du is None and g_dm is None:
        return None
    need = ctx.needs_input_grad
    if need[3] and _will_be_used(sigma):
        # d/dSigma of the limit derivatives is a third derivative in the limits.
        raise RuntimeError(SIGMA_2ND)
    if not (need[0] or need[1] or need[2]):
        return None
    hc, flipped = Hessian.apply(lower, upper, loc, sigma, ctx.kind, ctx.options, ctx.what)
    # With c_i the finite limit of coordinate i, P is a function of c - loc:
    # dl_i = dc_i (flipped i), du_i = dc_i (others), dloc = -dc.  The
    # incoming gradients therefore act on dc through b = a - g_dm.
    zero = torch.zeros((), dtype=torch.float64)
    a = zero
    if g_du is not None:
        a = torch.where(flipped, zero, g_du)
    if g_dl is not None:
        a = a + torch.where(flipped, g_dl, zero)
    b = a - g_dm if g_dm is not None else a
    return need, hc, flipped, b.expand(flipped.shape)


def _limit_grads(need, flipped, hb):
    """Route d/dc back to lower, upper and loc (8 backward outputs)."""
    zero = torch.zeros((), dtype=torch.float64)
    g_lower = torch.where(flipped, hb, zero) if need[0] else None
    g_upper = torch.where(flipped, zero, hb) if need[1] else None
    g_loc = -hb if need[2] else None
    return g_lower, g_upper, g_loc, None, None, None, None, None


class Hessian(Function):
    @staticmethod
    def forward(ctx, lower, upper, loc, sigma, kind, options, what):
        hc, flipped = _core.hessian_cdf(lower, upper, loc, sigma, kind, options, what)
        ctx.mark_non_differentiable(flipped)
        ctx.set_materialize_grads(False)
        return hc, flipped

    @staticmethod
    def backward(ctx, g_hc, g_flipped):
        if g_hc is not None:
            raise RuntimeError(THIRD)
        return (None,) * 7
