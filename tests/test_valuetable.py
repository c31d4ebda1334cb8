"""The encoder's hash table (the C extension me_core/data/_valuetable.c, or its Python twin
with ME_CORE_NO_EXTENSION=1: tests/test_encoder_backends.py runs these tests both ways)
against plain Python dictionaries."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pytest

from me_core.data.encode import ValueTable, remap


def _offsets(strings: pa.Array) -> np.ndarray:
    dtype = np.int64 if pa.types.is_large_string(strings.type) else np.int32
    return np.frombuffer(strings.buffers()[1], dtype)[strings.offset:
                                                      strings.offset + len(strings) + 1]


def _encode(table: ValueTable, strings: pa.Array, **options) -> np.ndarray:
    codes = np.full(len(strings), -1, dtype=np.int32)
    table.encode(_offsets(strings), strings.buffers()[2] or b"", codes, **options)
    return codes


def _table_values(table: ValueTable) -> list[str]:
    starts, data = table.values()
    return pa.Array.from_buffers(pa.large_string(), len(table),
                                 [None, pa.py_buffer(starts), pa.py_buffer(data)]).to_pylist()


def test_ids_follow_first_appearance_and_counts_match_a_dictionary():
    """Strings of every length class (empty, up to 8 bytes compared inside the slot, longer ones
    sharing their first 8 bytes, a trailing NUL byte), many enough that the table grows."""
    rng = np.random.default_rng(0)
    stems = ["", "a", "abc", "abc\0", "abcdefgh", "abcdefghi", "abcdefghij", "abcdefgh\0"]
    values = stems + [f"{v:x}" * int(rng.integers(1, 4)) for v in rng.integers(0, 50_000, 200_000)]
    values = [values[i] for i in rng.permutation(len(values))]
    table = ValueTable()
    codes = _encode(table, pa.array(values))
    first: dict[str, int] = {}
    for value in values:
        first.setdefault(value, len(first))
    assert _table_values(table) == list(first)
    np.testing.assert_array_equal(codes, [first[v] for v in values])
    counted = Counter(values)
    np.testing.assert_array_equal(np.frombuffer(table.counts(), np.int64),
                                  [counted[v] for v in first])
    assert len(table) == len(first) > 50_000


def test_encoding_continues_across_calls_with_weights_slices_and_strides():
    table = ValueTable()
    np.testing.assert_array_equal(_encode(table, pa.array(["x", "y", "x"])), [0, 1, 0])
    wide = pa.array(["y", "z", "a long string here"], pa.large_string())
    np.testing.assert_array_equal(
        _encode(table, wide, weights=np.array([10, 20, 30], np.int64)), [1, 2, 3])
    sliced = pa.array(["q", "z", "x", "q"]).slice(1, 2)  # a non-zero array offset
    block = np.full((2, 3), -1, dtype=np.int32)
    table.encode(_offsets(sliced), sliced.buffers()[2], block.reshape(-1)[1:], stride=3)
    np.testing.assert_array_equal(block, [[-1, 2, -1], [-1, 0, -1]])
    assert _table_values(table) == ["x", "y", "z", "a long string here"]
    np.testing.assert_array_equal(np.frombuffer(table.counts(), np.int64), [3, 11, 21, 30])


def test_bad_arguments_are_refused_with_a_reason():
    table = ValueTable()
    codes = np.zeros(4, np.int32)
    with pytest.raises(ValueError, match="do not lie within the 3 data bytes"):
        table.encode(np.array([0, 2, 9], np.int32), b"abc", codes)
    with pytest.raises(ValueError, match="do not lie within"):
        table.encode(np.array([2, 1], np.int32), b"abc", codes)
    with pytest.raises(ValueError, match="too few"):
        table.encode(np.array([0, 1, 2], np.int32), b"abc", codes[:1])
    with pytest.raises(TypeError, match="int32 or int64"):
        table.encode(np.array([0, 1], np.int16), b"abc", codes)
    with pytest.raises(TypeError, match="codes must be int32"):
        table.encode(np.array([0, 1], np.int32), b"abc", np.zeros(4, np.int64))
    with pytest.raises(ValueError, match="1 weights for 2 strings"):
        table.encode(np.array([0, 1, 2], np.int32), b"abc", codes,
                     weights=np.ones(1, np.int64))
    assert len(table) == 0  # nothing was added by the refused calls


def test_remap_maps_every_column_through_its_lookup_and_counts_zeros():
    block = np.array([[0, 1], [2, 0], [1, 1]], dtype=np.int32)
    oov = np.zeros(2, dtype=np.int64)
    remap(block, [np.array([5, 0, 7], np.int32), np.array([0, 9], np.int32)], oov)
    np.testing.assert_array_equal(block, [[5, 9], [7, 0], [0, 9]])
    np.testing.assert_array_equal(oov, [1, 1])
    with pytest.raises(ValueError, match="code 5 of column 0 has no lookup entry"):
        remap(block, [np.array([5, 0, 7], np.int32), np.zeros(10, np.int32)], oov)
    with pytest.raises(ValueError, match="one column per lookup"):
        remap(block, [np.zeros(10, np.int32)] * 3, np.zeros(3, np.int64))


def test_encode_lines_agrees_with_the_per_line_rules_on_damaged_lines():
    """Random lines of a small format, many of them damaged (wrong column count, bad labels,
    non-integers, CR line ends, blank lines, invalid and valid non-ASCII UTF-8): the C loop keeps
    exactly the lines the Python per-line rules keep, with their labels and values."""
    from me_core.data.encode import encode_lines
    from me_core.data.text import TextSchema

    schema = TextSchema("demo", ("label", "n", "a", "b"), ",", "label", integer_columns=("n",))
    fields = ["a", "n", "b"]
    layout = schema.layout(fields)
    rng = np.random.default_rng(1)
    pieces = [b"0", b"1", b"2", b"", b"-", b"-7", b"12", b"x", b"1.5", b"abc", b"abcdefghijk",
              "é".encode(), "日本".encode(), b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82",
              b"\xf4\x90\x80\x80", "𝄞".encode()]
    lines = []
    for _ in range(3000):
        count = int(rng.choice([4, 4, 4, 3, 5]))
        columns = [pieces[i] for i in rng.integers(0, len(pieces), count)]
        if rng.random() < 0.5:
            columns[0] = (b"0", b"1")[int(rng.integers(0, 2))]
        line = b",".join(columns) + (b"\r" if rng.random() < 0.2 else b"")
        lines.append(b"" if rng.random() < 0.05 else line)
    data = b"\n".join(lines) + b"\n"

    expected = []
    for raw in lines:
        if not raw.rstrip(b"\r"):
            continue
        try:
            text = raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            expected.append(None)
            continue
        parts = text.split(",")
        if schema.line_problem(parts) is not None:
            expected.append(None)
            continue
        row = dict(zip(schema.columns, parts))
        expected.append((float(row["label"]), [row[name] for name in fields]))

    tables = [ValueTable() for _ in fields]
    codes = np.empty((len(lines), len(fields)), np.int32)
    labels = np.empty(len(lines), np.float32)
    field_columns, integer_flags = layout.arrays()
    consumed, rows, bad, first_bad = encode_lines(data, tables, field_columns, integer_flags,
                                                  layout.label_column, ord(","), codes, labels,
                                                  False)
    good = [e for e in expected if e is not None]
    assert (consumed, rows, bad) == (len(data), len(good), len(expected) - len(good))
    assert 0 < bad < len(expected) and first_bad >= 0
    values = [_table_values(table) for table in tables]
    decoded = [[values[f][codes[r, f]] for f in range(len(fields))] for r in range(rows)]
    assert decoded == [e[1] for e in good]
    np.testing.assert_array_equal(labels[:rows], [e[0] for e in good])

    # stop_at_bad: the call ends at the first bad line, whose offset it gives
    consumed, rows, bad, first_bad = encode_lines(data, [ValueTable() for _ in fields],
                                                  field_columns, integer_flags,
                                                  layout.label_column, ord(","), codes, labels,
                                                  True)
    assert bad == 1 and consumed == first_bad
    assert rows == next(i for i, e in enumerate(expected) if e is None)
