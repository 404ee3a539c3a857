"""One field of a real request replaced by any JSON value (or left out): what the fuzz tests post."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a payload a value sits, for a mutation to land on."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def mutated(
    data: st.DataObject, payload: dict[str, Any], spared: Callable[[tuple[Any, ...]], bool] = lambda path: False
) -> dict[str, Any]:
    """``payload`` with one field (not a ``spared`` one) replaced by any JSON value, or left out."""
    payload = copy.deepcopy(payload)
    where = data.draw(st.sampled_from([path for path in paths(payload) if not spared(path)]), label="where")
    holder = payload
    for part in where[:-1]:
        holder = holder[part]
    if isinstance(holder, dict) and data.draw(st.booleans(), label="left out"):
        del holder[where[-1]]
    else:
        holder[where[-1]] = data.draw(JSON_VALUES, label="replacement")
    return payload
