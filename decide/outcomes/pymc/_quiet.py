"""Third-party noise that decide's own pytensor calls can configure away."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

__all__ = ["no_tag_traces", "quiet_blas_probe"]

_BLAS_WARNING = "PyTensor could not link to a BLAS installation"


@contextlib.contextmanager
def quiet_blas_probe(backend: str) -> Iterator[None]:
    """A context in which pytensor's "could not link to BLAS" warning is silent (numba only).

    pytensor looks for a BLAS to link C code against the first time its
    ``blas__ldflags`` flag is read, and warns when it finds none. With the numba
    backend (decide's default) the compiled code never links BLAS, yet on pytensor
    2.x a graph rewrite reads the flag while compiling, so every process printed the
    warning. decide compiles inside this context: the flag is read only if a rewrite
    needs it (pytensor 3.x compiled the pymc-marketing MMM without reading it; reading
    it costs 0.2-0.8 s, a C compile), and that one warning is filtered. Under the C
    backends (``"FAST_RUN"``, ``"FAST_COMPILE"``...) the warning is about the code
    decide compiles and is left alone.
    """
    if str(backend).upper() != "NUMBA":
        yield
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_BLAS_WARNING, category=UserWarning)
        yield


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
