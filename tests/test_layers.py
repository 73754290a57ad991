"""The layer contracts in pyproject.toml (`[tool.importlinter]`), one test per contract.

A contract that today's tree does not keep yet is marked xfail(strict=True) with the
reason; when the refactor lands and the contract holds, the test fails as XPASS: remove
its entry from `NOT_KEPT_YET` then.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"


class ContractBroken(AssertionError):
    """lint-imports checked the contract and found imports that break it."""


class ContractNotChecked(AssertionError):
    """lint-imports could not check the contract (a module it names is missing, bad config)."""


NOT_KEPT_YET: dict[str, pytest.MarkDecorator] = {}


def contract_ids() -> list[str]:
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    return [contract["id"] for contract in config["contracts"]]


def lint_imports(contract: str) -> str:
    """Check one contract with the lint-imports command; answer its report, or raise."""
    command = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(command), "--config", str(PYPROJECT), "--contract", contract,
         "--no-cache", "--no-logo"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    report = done.stdout + done.stderr
    if done.returncode == 0 and "Contracts: 1 kept, 0 broken." in report:
        return report
    if "Contracts: 0 kept, 1 broken." in report:
        raise ContractBroken(report)
    raise ContractNotChecked(report)


@pytest.mark.parametrize(
    "contract",
    [pytest.param(c, marks=NOT_KEPT_YET.get(c, ())) for c in contract_ids()],
)
def test_contract_is_kept(contract: str) -> None:
    lint_imports(contract)


def test_every_expected_failure_names_a_contract() -> None:
    assert set(NOT_KEPT_YET) <= set(contract_ids())
