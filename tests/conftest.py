"""Test-session helpers: the summary line with the largest gradient disagreement with torch
seen by the table-driven checker (collected through record_property, so it works with
pytest-xdist workers too)."""


def pytest_terminal_summary(terminalreporter):
    largest = {}
    for report in terminalreporter.stats.get("passed", []):
        for key, value in getattr(report, "user_properties", []):
            if key == "disagreement":
                check, dtype, err = value
                largest[(check, dtype)] = max(largest.get((check, dtype), 0.0), err)
    for (check, dtype), err in sorted(largest.items()):
        terminalreporter.write_line(
            f"largest relative disagreement with torch ({check}, {dtype}): {err:.3e}")
