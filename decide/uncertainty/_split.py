"""Numpy core of the variance split: arrays in, arrays out, over the leading axes.

Draw arrays put the sample axis first, then the replicate axis, then any
outcome element axes: ``y`` has shape ``(n_samples, n_replicates, *element_shape)``
and the conditional means ``mu`` have shape ``(n_samples, *element_shape)``.
Every result has shape ``element_shape``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["split_exact", "split_models", "split_nested"]


def split_exact(y: np.ndarray, mu: np.ndarray) -> dict[str, np.ndarray]:
    r"""Split with known conditional means.

    Parameters
    ----------
    y : ndarray of shape (n_samples, n_replicates, *element_shape)
        Outcome replicates per posterior sample (``n_replicates >= 1``).
    mu : ndarray of shape (n_samples, *element_shape)
        :math:`E[y \mid \theta_s]` for each posterior sample.

    Returns
    -------
    dict of str to ndarray of shape element_shape
        ``epistemic`` (population variance of ``mu`` over samples, exact),
        ``aleatoric`` (mean squared deviation of the replicates from their
        known conditional mean, an unbiased estimate of
        :math:`E_\theta[\mathrm{Var}(y \mid \theta)]` for any ``n_replicates``),
        ``total`` (their sum), ``epistemic_raw`` (equal to ``epistemic``) and
        ``mean`` (the mean of ``mu``).
    """
    epistemic = np.var(mu, axis=0)
    aleatoric = np.mean((y - mu[:, None]) ** 2, axis=(0, 1))
    return {
        "mean": np.mean(mu, axis=0),
        "epistemic": epistemic,
        "epistemic_raw": epistemic,
        "aleatoric": aleatoric,
        "total": epistemic + aleatoric,
    }


def split_nested(y: np.ndarray) -> dict[str, np.ndarray]:
    r"""Split by nested simulation, with the small-sample bias corrected.

    Parameters
    ----------
    y : ndarray of shape (n_samples, n_replicates, *element_shape)
        Outcome replicates per posterior sample, ``n_replicates >= 2``.

    Returns
    -------
    dict of str to ndarray of shape element_shape
        ``aleatoric`` :math:`= \bar s^2`, the mean within-sample variance with
        ``ddof=1``; ``epistemic_raw`` :math:`= \mathrm{Var}_s(\bar y_s) - (1 - 1/S)\,\bar s^2 / R`,
        the population variance of the replicate means minus the part their
        own noise adds (unbiased, may be negative); ``epistemic`` (the raw value
        clipped at zero); ``total`` (``epistemic + aleatoric``) and ``mean``.
    """
    n_samples, n_rep = y.shape[0], y.shape[1]
    means = np.mean(y, axis=1)
    aleatoric = np.mean(np.var(y, axis=1, ddof=1), axis=0)
    raw = np.var(means, axis=0) - (1.0 - 1.0 / n_samples) * aleatoric / n_rep
    epistemic = np.maximum(raw, 0.0)
    return {
        "mean": np.mean(means, axis=0),
        "epistemic": epistemic,
        "epistemic_raw": raw,
        "aleatoric": aleatoric,
        "total": epistemic + aleatoric,
    }


def split_models(y: np.ndarray, mu: np.ndarray | None, codes: np.ndarray) -> np.ndarray:
    r"""The variance between candidate models: the structural part of the epistemic variance.

    Parameters
    ----------
    y : ndarray of shape (n_samples, n_replicates, *element_shape)
        Outcome replicates per posterior sample of a mixture of models.
    mu : ndarray of shape (n_samples, *element_shape) or None
        Known conditional means (``None``: estimated by the replicate means).
    codes : ndarray of shape (n_samples,)
        The model of each sample (any labels).

    Returns
    -------
    ndarray of shape element_shape
        :math:`\sum_m p_m (\bar\mu_m - \bar\mu)^2` with :math:`p_m` the share of
        samples from model :math:`m` and :math:`\bar\mu_m` their mean conditional
        mean. With replicate means the noise they carry inflates it by
        :math:`\sum_m (1 - p_m)\, \bar{s^2_m} / (S R)` (:math:`\bar{s^2_m}` the mean
        within-sample variance of model :math:`m`), which is removed; the result
        is clipped at zero.
    """
    cm = np.mean(y, axis=1) if mu is None else mu
    grand = np.mean(cm, axis=0)
    n_samples, n_rep = y.shape[0], y.shape[1]
    between = np.zeros(grand.shape)
    bias = np.zeros(grand.shape)
    within = np.var(y, axis=1, ddof=1) if mu is None else None
    for k in np.unique(codes):
        sel = codes == k
        p = float(np.mean(sel))
        between = between + p * (np.mean(cm[sel], axis=0) - grand) ** 2
        if within is not None:
            bias = bias + (1.0 - p) * np.mean(within[sel], axis=0) / (n_samples * n_rep)
    return np.maximum(between - bias, 0.0)
