"""Rule tests: sample carts with the outcome a merchandiser expects, run in CI."""

from .coverage import Coverage
from .formats import junit_xml, report_dict
from .runner import TestReport, format_report, load_test_file, run_tests
from .select import parse_selection
from .update import plan_updates

__all__ = ["Coverage", "TestReport", "format_report", "junit_xml", "load_test_file",
           "parse_selection", "plan_updates", "report_dict", "run_tests"]
