"""Reading STATUS.csv and PROFILES.csv: LF, CRLF and a byte-order mark are all fine; every
problem in both files is collected (file, line, value) before anything is computed."""

import json

import pytest

from kobling.profiles import io

STATUS = "unit_code,has_scheme\n0301,true\n4650,false\n5560,TRUE\n"
PROFILES = (
    "unit_code,indicator,category\n"
    "0301,inactive_youth,better\n"
    "4650,inactive_youth,worse\n"
    "5560,inactive_youth,Same\n"
    "0301,smoking,same\n"
)


def crlf_bom(text: str) -> bytes:
    return ("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8")


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode(),
        lambda t: t.replace("\n", "\r\n").encode(),
        lambda t: ("\ufeff" + t).encode(),
        crlf_bom,
    ],
    ids=["lf", "crlf", "bom", "crlf+bom"],
)
def test_lf_crlf_and_a_byte_order_mark_read_the_same(encode):
    status, rows = io.load(encode(STATUS), encode(PROFILES))
    assert status == {"0301": True, "4650": False, "5560": True}
    assert [(r.line, r.unit_code, r.indicator, r.category) for r in rows] == [
        (2, "0301", "inactive_youth", "better"),
        (3, "4650", "inactive_youth", "worse"),
        (4, "5560", "inactive_youth", "same"),
        (5, "0301", "smoking", "same"),
    ]


def test_header_case_extra_columns_spaces_and_empty_lines_are_tolerated():
    status, rows = io.load(
        "Unit_Code , HAS_SCHEME,name\n 0301 , false ,Oslo\n\n4650,True,Fjordvik\n",
        "UNIT_CODE,Indicator,category,comment\n0301, smoking , WORSE ,x\n",
    )
    assert status == {"0301": False, "4650": True}
    assert [(r.unit_code, r.indicator, r.category) for r in rows] == [("0301", "smoking", "worse")]


def test_leading_zeros_of_unit_codes_are_kept():
    status, _problems = io.parse_status("unit_code,has_scheme\n0301,true\n")
    assert list(status) == ["0301"]


def problems_of(status: str, profiles: str) -> list[tuple]:
    with pytest.raises(io.DataError) as caught:
        io.load(status.encode(), profiles.encode())
    return [(p.file, p.line, p.column, p.value) for p in caught.value.problems]


def test_every_problem_in_both_files_is_reported_together_with_line_and_value():
    status = "unit_code,has_scheme\n0301,true\n4650,yes\n0301,false\n5560,\n"
    profiles = (
        "unit_code,indicator,category\n"
        "0301,smoking,better\n"
        "9999,smoking,worse\n"
        "0301,smoking,same\n"
        "0301,inactive,good\n"
        "1234,inactive,awful\n"
        "4650,inactive,better\n"
    )
    assert problems_of(status, profiles) == [
        ("STATUS.csv", 3, "has_scheme", "yes"),
        ("STATUS.csv", 4, "unit_code", "0301"),
        ("STATUS.csv", 5, "has_scheme", ""),
        ("PROFILES.csv", 3, "unit_code", "9999"),
        ("PROFILES.csv", 4, "unit_code,indicator", "0301,smoking"),
        ("PROFILES.csv", 5, "category", "good"),
        ("PROFILES.csv", 6, "category", "awful"),
        ("PROFILES.csv", 6, "unit_code", "1234"),
    ]


def test_a_unit_with_a_broken_status_row_is_not_also_called_unknown():
    # 4650's has_scheme is bad: that line is reported, the profile row of 4650 is not.
    found = problems_of(
        "unit_code,has_scheme\n4650,maybe\n", "unit_code,indicator,category\n4650,x,same\n"
    )
    assert found == [("STATUS.csv", 2, "has_scheme", "maybe")]


@pytest.mark.parametrize("value", ["yes", "1", "0", "ja", "nei", "t", "", "true!", "truee"])
def test_has_scheme_accepts_only_true_or_false(value):
    _status, problems = io.parse_status(f"unit_code,has_scheme\n0301,{value}\n")
    assert [(p.line, p.column, p.value) for p in problems] == [(2, "has_scheme", value)]


@pytest.mark.parametrize("value", ["True", "FALSE", " false ", "tRuE"])
def test_has_scheme_ignores_letter_case_and_surrounding_spaces(value):
    status, problems = io.parse_status(f"unit_code,has_scheme\n0301,{value}\n")
    assert problems == [] and status == {"0301": value.strip().lower() == "true"}


def test_missing_columns_are_named_and_nothing_else_is_read():
    _status, problems = io.parse_status("unit,has_scheme\n0301,true\n")
    assert [(p.line, p.column) for p in problems] == [(1, "unit_code")]
    _rows, problems = io.parse_profiles("unit_code;indicator;category\n0301;x;same\n")
    assert [p.column for p in problems] == ["unit_code", "indicator", "category"]
    assert "comma-separated" in problems[0].message


def test_an_empty_file_and_a_repeated_column_are_problems():
    _s, problems = io.parse_status(b"")
    assert len(problems) == 1 and problems[0].line == 1
    _s, problems = io.parse_status("unit_code,has_scheme,has_scheme\n0301,true,true\n")
    assert [(p.column, p.message) for p in problems] == [
        ("has_scheme", "The column appears twice.")
    ]


def test_rows_with_too_few_or_too_many_cells_are_problems():
    _rows, problems = io.parse_profiles(
        "unit_code,indicator,category\n0301,x\n0301,y,same,extra\n0301,z,same,\n"
    )
    assert [p.line for p in problems] == [2, 3]


def test_empty_codes_and_indicators_and_codes_with_spaces_are_problems():
    _rows, problems = io.parse_profiles(
        "unit_code,indicator,category\n,x,same\n0301,,same\n03 01,x,same\n"
    )
    assert [(p.line, p.column) for p in problems] == [
        (2, "unit_code"),
        (3, "indicator"),
        (4, "unit_code"),
    ]


def test_a_file_that_is_not_utf8_is_a_problem():
    _rows, problems = io.parse_profiles(
        "unit_code,indicator,category\n0301,Røyk,same\n".encode("latin-1")
    )
    assert len(problems) == 1 and "UTF-8" in problems[0].message


def test_a_problem_reads_as_file_line_column_value_and_message():
    problem = io.Problem(
        "PROFILES.csv", 7, "category", "good", "The category must be better, same or worse."
    )
    assert str(problem) == (
        "PROFILES.csv:7: category='good' The category must be better, same or worse."
    )


def test_indicators_are_compared_in_name_order_and_json_has_exactly_the_issues_keys():
    status, rows = io.load(STATUS, PROFILES)
    results = io.compare_all(status, [(r.unit_code, r.indicator, r.category) for r in rows])
    assert [r.indicator for r in results] == ["inactive_youth", "smoking"]
    data = json.loads(io.to_json(results))
    assert [set(obj) for obj in data] == [{"indicator", "with", "without", "chi2", "df", "p"}] * 2
    assert data[0]["with"] == {"better": 1, "same": 1, "worse": 0}
    assert data[0]["without"] == {"better": 0, "same": 0, "worse": 1}
    assert data[1]["without"] == {"better": 0, "same": 0, "worse": 0}
    assert data[1]["chi2"] is None and data[1]["df"] is None and data[1]["p"] is None


def test_units_with_unknown_status_are_left_out_of_the_tables():
    table = io.tabulate(
        {"a": True, "b": None}, [("a", "x", "same"), ("b", "x", "worse"), ("c", "x", "better")]
    )
    assert table == {
        "x": {
            "with": {"better": 0, "same": 1, "worse": 0},
            "without": {"better": 0, "same": 0, "worse": 0},
        }
    }
