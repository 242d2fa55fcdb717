"""Test-session helpers: the CUDA simulator switch, the `gpu` marker's skip rule, and the
summary line with the largest gradient disagreement with torch seen by the table-driven
checker (collected through record_property, so it works with pytest-xdist workers too)."""
import os

# backend="cuda" runs on numba's CUDA simulator unless a real-GPU run sets this to 0; it must
# be set before anything imports numba.cuda.
os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import pytest  # noqa: E402


def _real_gpu() -> bool:
    if os.environ["NUMBA_ENABLE_CUDASIM"] != "0":
        return False
    try:
        from numba import cuda
    except ImportError:
        return False
    return cuda.is_available()


def pytest_collection_modifyitems(config, items):
    if any("gpu" in item.keywords for item in items) and not _real_gpu():
        skip = pytest.mark.skip(reason="needs a real CUDA GPU (NUMBA_ENABLE_CUDASIM=0)")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)


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
