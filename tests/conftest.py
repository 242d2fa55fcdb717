"""Test-session helpers: the summary line with the largest gradient disagreement with torch
seen by the table-driven checker (collected through record_property, so it works with
pytest-xdist workers too)."""


def pytest_terminal_summary(terminalreporter):
    largest = {}
    for report in terminalreporter.stats.get("passed", []):
        for key, value in getattr(report, "user_properties", []):
            if key == "disagreement":
                check, dtype, abs_err, rel_err = value
                old = largest.get((check, dtype), (0.0, 0.0))
                largest[(check, dtype)] = (max(old[0], abs_err), max(old[1], rel_err))
    for (check, dtype), (abs_err, rel_err) in sorted(largest.items()):
        terminalreporter.write_line(
            f"largest disagreement with torch ({check}, {dtype}): max abs {abs_err:.3e}, "
            f"max rel {rel_err:.3e}")
