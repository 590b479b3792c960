"""Choosing the action: action spaces, backends and the Decision object."""

__all__: list[str] = []
