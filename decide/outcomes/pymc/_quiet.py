"""Third-party noise that decide's own pytensor calls can configure away."""

from __future__ import annotations

import warnings
from typing import Any

__all__ = ["no_tag_traces", "resolve_blas_flags_quietly"]

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


def no_tag_traces() -> Any:
    """A context in which pytensor records no creation stack trace on new variables.

    pytensor stores a few frames of the Python stack on every variable it creates
    (``config.traceback__limit``), for error messages pointing at the user's line.
    The variables decide creates (intervened, lowered, vectorized, rewritten at
    compile time) are made inside decide and pytensor, so those frames never point at
    the user's code; extracting them was ~12% of building and compiling the
    pymc-marketing MMM window. Variables of the user's model keep their traces, and
    rewrites copy them to the nodes they replace.
    """
    import pytensor

    return pytensor.config.change_flags(traceback__limit=0)
