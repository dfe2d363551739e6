"""The interface every ruleset parser implements (the parsers are listed in `hybridfw.rulesets`).

A parser reads one format into the normalised model of `hybridfw.rulesets.model` (`Ruleset`,
`Chain`, `Entry`, `Rule`, `Match`, `Origin`); port helpers are in `hybridfw.rulesets.ports`.

* Parsers never crash on bad input: they raise `hybridfw.errors.InputError` naming path, line
  and field, or record what they skipped as `Finding`s in `Ruleset.findings`.
* Scoped parsing. `RulesetParser.parse_scoped(text, path, Scope)` (`hybridfw.rulesets.scope`)
  may leave out rules no packet of the audit can match (`Ruleset.omitted` counts them) and hand
  `LazyRules` (`hybridfw.rulesets.lazy`) whose rules are built only when the evaluator walks
  into them; evidence text then comes from a `LineSource` (the file kept compressed) through
  `Origin.raw`. The iptables parser does this; the nft text and JSON parsers keep records
  too; the ASA, PAN-OS, pfSense, OPNsense and FortiGate parsers leave rules out too but build
  the rest; the others parse everything. An
  audit of either parse gives the same answer (property tests check).

Registry
--------
Each concrete parser is a module in this package defining a `RulesetParser` subclass, listed in
`hybridfw.rulesets.PARSERS` (see `hybridfw.plugins`), which offers `parsers()`,
`get_parser(name)`, `detect_format(text, path)` and `parse_files(paths, fmt)`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from hybridfw.rulesets.model import Ruleset
from hybridfw.rulesets.scope import Scope


class RulesetParser(ABC):
    """One concrete ruleset format."""

    name: ClassVar[str]  # the --format value: "iptables", "nft", "nft-json", "list", ...
    platform: ClassVar[str]  # the render platform for fixes
    description: ClassVar[str] = ""

    @abstractmethod
    def detect(self, text: str) -> float:
        """Confidence 0.0–1.0 that `text` is in this format. Must be cheap and never raise."""

    @abstractmethod
    def parse(self, text: str, path: str) -> Ruleset:
        """Parse `text` (read from `path`). Raises InputError naming path, line and field."""

    def parse_scoped(self, text: str, path: str, scope: Scope) -> Ruleset:
        """Parse for an audit of `scope` only: the parser may leave out rules `scope` does not
        admit (and count them in `Ruleset.omitted`). Input errors are still raised for every
        line. The default keeps every rule."""
        return self.parse(text, path)
