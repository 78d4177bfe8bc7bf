"""A progress line per test file, for `make test` (pytest -p tests.progress).

Dots say little when a browser test file sets up the demo for a minute: this prints one
line as each file finishes, with its count, its time and the share of the whole run,
and keeps pytest's own report of failures. Works alone and under pytest-xdist.
"""

import time
from collections import Counter

import pytest


class FileProgress:
    def __init__(self, config):
        self.config = config
        self.total = Counter()  # tests per file
        self.done = Counter()
        self.failed = Counter()
        self.first_seen: dict[str, float] = {}
        self.started = time.monotonic()
        self.finished_tests = 0

    def _count(self, nodeids):
        if self.total:
            return  # every xdist node collects the same tests
        self.total.update(nodeid.split("::", 1)[0] for nodeid in nodeids)
        self._write(f"{sum(self.total.values())} tests in {len(self.total)} files")

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session):
        self._count(item.nodeid for item in session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids):
        self._count(ids)

    def pytest_runtest_logreport(self, report):
        path = report.nodeid.split("::", 1)[0]
        self.first_seen.setdefault(path, time.monotonic())
        if report.failed:
            self.failed[path] += 1
        # A test is over after its teardown.
        if report.when != "teardown":
            return
        self.done[path] += 1
        self.finished_tests += 1
        if self.done[path] == self.total.get(path, -1):
            share = 100 * self.finished_tests / max(1, sum(self.total.values()))
            took = time.monotonic() - self.first_seen[path]
            failed = f", {self.failed[path]} FAILED" if self.failed[path] else ""
            elapsed = time.monotonic() - self.started
            self._write(
                f"[{share:3.0f}% {elapsed / 60:4.1f} min] {path}: "
                f"{self.total[path]} tests in {took:.0f} s{failed}"
            )

    def pytest_report_teststatus(self, report, config):
        # No dot per passed test: the per-file lines are the progress.
        if report.when == "call" and report.passed:
            return "passed", "", "PASSED"
        return None

    def _write(self, line):
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(line)


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # the controller prints, xdist workers do not
        config.pluginmanager.register(FileProgress(config), "geocm-file-progress")
