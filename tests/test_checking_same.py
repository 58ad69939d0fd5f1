"""`checking.same`: the one comparison behind every verdict and every diagnosis.

It must be reflexive on any plain data a worker can send (NaN included), strict about types,
shapes and dtypes (a lying or look-alike answer never equals the expected one), and tolerant
only of float rounding.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.checking import same, which_mistake

FAST = settings(max_examples=60, deadline=None, database=None)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.floats(allow_infinity=False)
    | st.text(max_size=5)
)
FLOAT_LISTS = st.lists(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=6
)
TENSORS = st.one_of(
    FLOAT_LISTS.map(torch.tensor),
    st.lists(st.integers(min_value=-100, max_value=100), min_size=1, max_size=6).map(torch.tensor),
    st.lists(st.booleans(), min_size=1, max_size=6).map(torch.tensor),
)
PLAIN = st.recursive(
    SCALARS | TENSORS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)


@FAST
@given(PLAIN)
def test_any_plain_value_is_the_same_as_a_copy_of_itself(value: object) -> None:
    assert same(value, copy.deepcopy(value))


@FAST
@given(PLAIN)
def test_a_value_wrapped_in_a_list_is_not_the_same_as_in_a_tuple(value: object) -> None:
    assert not same([value], (value,))
    assert not same([value], [value, value])


@FAST
@given(FLOAT_LISTS)
def test_float_tensors_within_rounding_are_the_same_and_beyond_are_not(values: list) -> None:
    expected = torch.tensor(values, dtype=torch.float64)
    assert same(expected * (1 + 1e-7), expected)
    assert not same(expected + 1e-3 + 1e-3 * expected.abs(), expected)


@FAST
@given(st.lists(st.integers(min_value=-100, max_value=100), min_size=1, max_size=6))
def test_integer_tensors_compare_exactly_and_by_dtype(values: list) -> None:
    expected = torch.tensor(values)
    assert same(expected.clone(), expected)
    assert not same(expected + 1, expected)
    assert not same(expected.to(torch.int32), expected)
    assert not same(expected.float(), expected)


@FAST
@given(FLOAT_LISTS)
def test_a_tensor_of_another_shape_is_never_the_same(values: list) -> None:
    expected = torch.tensor(values)
    assert not same(expected.unsqueeze(0), expected)
    assert not same(expected.reshape(-1, 1), expected)


@FAST
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_python_floats_follow_the_same_tolerance_as_tensors(x: float) -> None:
    assert same(x, x + 1e-7 * abs(x))
    assert not same(x + 1e-3 + 1e-3 * abs(x), x)
    assert same(torch.tensor([x + 1e-7 * abs(x)]), torch.tensor([x])) is same(x + 1e-7 * abs(x), x)


def test_nan_is_the_same_as_nan_in_floats_and_tensors() -> None:
    assert same(math.nan, math.nan)
    assert same(torch.tensor([1.0, math.nan]), torch.tensor([1.0, math.nan]))
    assert not same(torch.tensor([1.0, math.nan]), torch.tensor([1.0, 2.0]))


def test_infinite_tensors_are_the_same_as_themselves() -> None:
    assert same(torch.tensor([math.inf, -math.inf]), torch.tensor([math.inf, -math.inf]))
    assert not same(torch.tensor([math.inf]), torch.tensor([-math.inf]))


def test_an_infinite_python_float_is_the_same_as_itself() -> None:
    assert same(math.inf, math.inf) and same(-math.inf, -math.inf)
    assert not same(math.inf, -math.inf)


@pytest.mark.parametrize(
    ("got", "expected"),
    [
        (1, 1.0),
        (True, 1),
        (1.0, torch.tensor(1.0)),
        (torch.tensor([1.0]), np.array([1.0], dtype=np.float32)),
        (torch.nn.Parameter(torch.ones(2)), torch.ones(2)),
        ("1", 1),
        ([1], (1,)),
        ({"a": 1}, {"a": 1, "b": 2}),
        ({"a": 1}, {"b": 1}),
    ],
    ids=repr,
)
def test_a_value_of_another_type_is_never_the_same(got: object, expected: object) -> None:
    assert not same(got, expected)


def test_numpy_arrays_compare_by_dtype_and_values_and_never_as_objects() -> None:
    assert same(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9]))
    assert not same(np.array([1.0, 2.0]), np.array([1.0, 2.0], dtype=np.float32))
    assert not same(np.array([1, 2], dtype=object), np.array([1, 2], dtype=object))
    assert same(np.arange(6.0).reshape(2, 3).T, np.arange(6.0).reshape(2, 3).T.copy())


def test_dicts_compare_by_keys_whatever_their_order() -> None:
    assert same({"a": 1, "b": [2.0]}, {"b": [2.0], "a": 1})
    assert not same({"a": 1, "b": [2.0]}, {"a": 1, "b": [2.5]})


def test_which_mistake_names_the_first_prediction_that_matches() -> None:
    got = torch.tensor([1.0, 2.0])
    predictions = {"none": None, "squeeze_all": torch.tensor([1.0]), "copy": got.clone()}
    assert which_mistake(got, predictions) == "copy"
    assert which_mistake(torch.tensor([9.0]), predictions) is None
