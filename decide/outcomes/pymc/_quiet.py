"""Third-party noise that decide's own pytensor calls can configure away."""

from __future__ import annotations

import warnings

__all__ = ["resolve_blas_flags_quietly"]

_BLAS_WARNING = "PyTensor could not link to a BLAS installation"


def resolve_blas_flags_quietly(backend: str) -> None:
    """Resolve pytensor's ``blas__ldflags`` without its "could not link to BLAS" warning.

    pytensor looks for a BLAS to link C code against the first time the flag is
    read, and warns when it finds none. With the numba backend (decide's default)
    the compiled code never links BLAS, yet a graph rewrite still reads the flag
    during compilation, so every process printed the warning. The flag is read
    here, once, with that one warning filtered: its value (pytensor caches it) is
    unchanged. Under the C backends (``"FAST_RUN"``, ``"FAST_COMPILE"``...) the
    warning is about the code decide compiles and is left alone.
    """
    if str(backend).upper() != "NUMBA":
        return
    import pytensor

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_BLAS_WARNING, category=UserWarning)
        try:
            _ = pytensor.config.blas__ldflags
        except Exception:  # a pytensor without the flag, or a failed probe: nothing to quiet
            pass
