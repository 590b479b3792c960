"""Library-wide defaults, kept in one place."""

from __future__ import annotations

from typing import Final

#: Dims of a posterior's sample axes in ArviZ objects, stacked into ``SAMPLE_DIM``.
SAMPLE_DIMS: Final[tuple[str, str]] = ("chain", "draw")
#: Name of the flattened sample dim (chain x draw).
SAMPLE_DIM: Final[str] = "sample"
#: Name of the replicate dim (several outcome simulations per posterior draw).
REPLICATE_DIM: Final[str] = "replicate"
