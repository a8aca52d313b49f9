"""Table tests for grammar/cpuset.lark: good sets and every error code."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compiler.diagnostics import DomcError, Span
from compiler.placement.cpuset import CpuSet, grammar_ids, parse_cpuset, quick_ids

GOOD = [
    ("0", [0]),
    ("0,2,3,5", [0, 2, 3, 5]),
    ("1-3,5,6-8", [1, 2, 3, 5, 6, 7, 8]),
    ("0-7,^2", [0, 1, 3, 4, 5, 6, 7]),
    ("^2,0-3", [0, 1, 2, 3]),  # '^' only removes what came before it
    ("0-3,^1,1", [0, 1, 2, 3]),
    ("0-7,^8", list(range(8))),
    ("0,", [0]),  # libvirt accepts a trailing comma
    (" 1 - 3 , 5 ", [1, 2, 3, 5]),
    ("3-3", [3]),
    ("0,16383", [0, 16383]),
    ("007", [7]),
]


@pytest.mark.parametrize("text,ids", GOOD, ids=[g[0] or "empty" for g in GOOD])
def test_good(text, ids):
    assert parse_cpuset(text, Span("g.xml", 1)).to_list() == ids


# (text, code, column inside the value)
BAD = [
    ("", "cpuset-empty", 1),
    ("  ", "cpuset-empty", 3),
    ("a", "cpuset-character", 1),
    ("0x1", "cpuset-character", 2),
    ("+1", "cpuset-character", 1),
    ("-1", "cpuset-stray-dash", 1),
    ("1,-2", "cpuset-stray-dash", 3),
    ("^ 1", "cpuset-character", 1),
    ("1.5", "cpuset-character", 2),
    ("1;2", "cpuset-character", 2),
    ("^1-2", "cpuset-negated-range", 3),
    ("0,^1-2", "cpuset-negated-range", 5),
    ("1-", "cpuset-incomplete-range", 3),
    ("1-,2", "cpuset-incomplete-range", 3),
    ("1-2-3", "cpuset-double-range", 4),
    ("1,,2", "cpuset-separator", 3),
    (",1", "cpuset-separator", 1),
    ("1 2", "cpuset-separator", 3),
    ("3-1", "cpuset-reversed-range", 1),
    ("0,7-2", "cpuset-reversed-range", 3),
    ("16384", "cpuset-too-big", 1),
    ("0-16384", "cpuset-too-big", 3),
    ("^1", "cpuset-no-ids", 1),
    ("0-1,^0,^1", "cpuset-no-ids", 1),
]


@pytest.mark.parametrize("text,code,column", BAD, ids=[b[0] or "empty" for b in BAD])
def test_bad_without_source(text, code, column):
    with pytest.raises(DomcError) as info:
        parse_cpuset(text, Span("nowhere.xml", 4))
    (d,) = info.value.diagnostics
    assert d.code == code
    assert d.span.line == 4
    assert f"(column {column} of the value)" in d.message
    assert "\n" not in d.render()


@pytest.mark.parametrize("text,code,column", BAD[2:], ids=[b[0] for b in BAD[2:]])
def test_bad_points_at_xml_column(text, code, column):
    # the span carries the document's text (as the domain parser gives it): no file
    xml = "g.xml"
    lines = ("<domain>", f"  <vcpu cpuset='{text}'>2</vcpu>", "</domain>")
    with pytest.raises(DomcError) as info:
        parse_cpuset(text, Span(xml, 2, lines=lines))
    (d,) = info.value.diagnostics
    assert d.code == code
    prefix = "  <vcpu cpuset='"
    assert d.span.column == len(prefix) + column
    assert d.render().startswith(f"{xml}:2:{len(prefix) + column}: error[{code}]: ")


def test_every_code_is_exercised():
    from compiler.grammars import CPUSET_ERROR_EXAMPLES
    from compiler.placement.cpuset import _MESSAGES

    codes = set(CPUSET_ERROR_EXAMPLES) | set(_MESSAGES) - {"cpuset-syntax"}
    codes |= {"cpuset-reversed-range", "cpuset-too-big", "cpuset-no-ids"}
    assert codes == {code for _, code, _ in BAD}


@given(st.sets(st.integers(0, 300), min_size=1))
def test_canonical_form_round_trips(ids):
    s = CpuSet.of(ids)
    assert parse_cpuset(str(s), Span()).ids == frozenset(ids)


def test_canonical_form():
    assert str(CpuSet.of([0, 1, 2, 3, 5, 7, 8])) == "0-3,5,7-8"


def test_an_id_too_long_for_int_is_too_big():
    text = "0," + "1" * 5000
    with pytest.raises(DomcError) as info:
        parse_cpuset(text, Span("g.xml", 1))
    (d,) = info.value.diagnostics
    assert d.code == "cpuset-too-big"
    assert "id 11111111...(5000 digits) is larger than the maximum 16383" in d.message


# -------------------------------------------- the quick reader agrees with the grammar

def _by_grammar(text: str, max_id: int):
    try:
        return grammar_ids(text, Span(), max_id=max_id)
    except DomcError:
        return None


def _agree(text: str, max_id: int = 16383) -> None:
    quick = quick_ids(text, max_id)
    slow = _by_grammar(text, max_id)
    if quick is not None:  # accepted: the grammar accepts it too, with the same ids
        assert slow == quick, text
    else:  # declined: the grammar has an error to report
        assert slow is None, text


@pytest.mark.parametrize("text", [t for t, _ in GOOD] + [t for t, _, _ in BAD])
def test_quick_reader_on_the_tables(text):
    _agree(text)


@given(st.text(alphabet="0123456789^-, \t\n\x0bx", max_size=14), st.sampled_from([3, 40, 16383]))
def test_quick_reader_agrees_on_any_string(text, max_id):
    _agree(text, max_id)


_ITEMS = st.one_of(
    st.integers(0, 70).map(str),
    st.tuples(st.integers(0, 70), st.integers(0, 70)).map(lambda t: f"{t[0]}-{t[1]}"),
    st.integers(0, 70).map(lambda n: f"^{n}"),
)


@given(st.lists(_ITEMS, min_size=1, max_size=6), st.sampled_from(["", " ", "\t "]),
       st.booleans(), st.sampled_from([40, 16383]))
def test_quick_reader_agrees_on_sets(items, space, trailing, max_id):
    text = f"{space},{space}".join(items) + ("," if trailing else "")
    _agree(text, max_id)
    _agree(space + text + space, max_id)
