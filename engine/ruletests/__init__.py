"""Rule tests: sample carts with the outcome a merchandiser expects, run in CI."""

from .runner import TestReport, format_report, load_test_file, run_tests

__all__ = ["TestReport", "format_report", "load_test_file", "run_tests"]
