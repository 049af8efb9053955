"""The house's layering holds: which package may import which (pyproject.toml's
[tool.importlinter] contracts: the layers, a generic function runtime, nothing below the
functions reaching into the runtime or the dev server, pure libraries).

import-linter runs in this process on the source tree, so a new arrow the wrong way fails here
naming the contract it breaks and the import chain that breaks it.
"""

from __future__ import annotations

from pathlib import Path

from importlinter import configuration
from importlinter.application import output
from importlinter.application.use_cases import _register_contract_types, create_report, read_user_options

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_every_layering_contract_is_kept() -> None:
    configuration.configure()  # what the `lint-imports` command does first: its readers and adapters
    options = read_user_options(config_filename=str(PYPROJECT))
    _register_contract_types(options)
    report = create_report(options, cache_dir=None)

    assert not report.could_not_run, report.invalid_contract_options
    assert len(report.contracts) >= 4, [c.name for c in report.contracts]
    broken = []
    for contract, check in report.get_contracts_and_checks():
        if not check.kept:
            with output.console.capture() as captured:
                contract.render_broken_contract(check)
            broken.append(f"{contract.name}:\n{captured.get()}")
    assert not broken, "layering contracts broken:\n\n" + "\n".join(broken)
