"""nftables rulesets as text: `nft list ruleset` output and `nft -f` files.

Tables of families ip, ip6 and inet are evaluated (arp/bridge/netdev base chains are reported
as not evaluated); base chains of type filter on the prerouting, input, forward and output
hooks form the entries, ordered by priority across tables (an accept in one base chain passes
the packet on to the next, a drop ends it). Named sets and maps, anonymous sets, verdict maps
and `define` variables are resolved; `include` is not followed (a finding says so).
Tokenising is one compiled regex per line. Rules are read by shape (`_nft_text_shapes`): the
rest of a rule after its leading ``ip saddr`` is parsed once per table; with an audit's `Scope`
(`parse_scoped`), rules no audited packet can match are left out.
"""

from __future__ import annotations

import re

from hybridfw.addresses import Family
from hybridfw.errors import InputError, NftRuleError
from hybridfw.model import Finding, Severity
from hybridfw.rulesets import _detect
from hybridfw.rulesets._nft_common import TABLE_FAMILIES, VERDICTS, NftChain, build_ruleset, parse_priority
from hybridfw.rulesets._nft_text_rule import TextRuleParser, Token
from hybridfw.rulesets._nft_text_shapes import ShapeReader
from hybridfw.rulesets.interface import RulesetParser
from hybridfw.rulesets.lazy import gc_paused
from hybridfw.rulesets.model import Origin, Ruleset
from hybridfw.rulesets.scope import Scope

_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|\n|[{};,]|!=|==|<=|>=|[^\s{};,"#]+')
# A plain rule line: `ip|ip6 saddr` and words one space apart, each of them one `_TOKEN` word
# (no brace, separator, quote, comment or `$`; an operator only on its own), then at most a
# closing `comment "..."`.
_WORD = r'(?!(?:!=|==|<=|>=)[^\s{};,"#$])[^\s{};,"#$]+'
_PLAIN = re.compile(rf'[ \t]*((?:ip|ip6) saddr(?: {_WORD})+(?: comment "(?:[^"\\\n]|\\.)*")?)')
_FAMILIES = {"ip", "ip6", "inet", "arp", "bridge", "netdev"}
# A named set before the first chain counts too: a file opening with big sets has no chain in
# the detection window.
_MAX_DEFINE_DEPTH = 16


def tokenize(text: str, path: str) -> list[Token]:
    """Tokens with line numbers; comments dropped; `define`s expanded. A plain rule line in a
    chain's body (`_PLAIN`) is one token, the line's text (`plain_words` splits it)."""
    raw: list[Token] = []
    expand = "$" in text or "define" in text
    plain = None if expand else _PLAIN.fullmatch
    blocks: list[bool] = []  # open braces: whether each opens a chain's body
    # No token spans a newline, so each line is tokenised apart (findall: no match objects).
    lines = text.split("\n")
    last = len(lines)
    for number, line in enumerate(lines, 1):
        # Plain rule lines skip the per-word tokens: benchmarks/audit.py --format nft, see
        # docs/development.md.
        found = plain(line) if plain is not None and blocks and blocks[-1] else None
        if found is not None:
            raw.append((found[1], number))
        else:
            tokens = [tok for tok in _TOKEN.findall(line) if tok[0] != "#"]
            if "{" in tokens or "}" in tokens:
                _track_blocks(tokens, blocks)
            raw += [(tok, number) for tok in tokens]
        if number < last:
            raw.append(("\n", number))
    if not expand:
        return raw  # nothing to expand (most big files): no second copy of the token list
    return _expand_defines(raw, path)


def _track_blocks(tokens: list[str], blocks: list[bool]) -> None:
    """Follow the braces of one line: `chain NAME {` opens a chain's body, as `_Reader.chain`
    reads it (its three tokens are consecutive, so on one line)."""
    for i, tok in enumerate(tokens):
        if tok == "{":
            blocks.append(i >= 2 and tokens[i - 2] == "chain")
        elif tok == "}" and blocks:
            blocks.pop()


def _expand_defines(raw: list[Token], path: str) -> list[Token]:
    defines: dict[str, list[str]] = {}
    out: list[Token] = []
    i = 0
    while i < len(raw):
        tok, line = raw[i]
        if tok == "define" and (not out or out[-1][0] in ("\n", ";")):
            if i + 2 >= len(raw) or raw[i + 2][0] != "=":
                raise InputError("define needs 'NAME = value'", path=path, line=line, field="define")
            name, j, depth, value = raw[i + 1][0], i + 3, 0, []
            while j < len(raw) and (depth or raw[j][0] not in ("\n", ";")):
                depth += (raw[j][0] == "{") - (raw[j][0] == "}")
                if raw[j][0] != "\n":
                    value.append(raw[j][0])
                j += 1
            defines[name] = _substitute(value, defines, path, line, 0)
            i = j
            continue
        if tok.startswith("$"):
            out += [(t, line) for t in _substitute([tok], defines, path, line, 0)]
        else:
            out.append((tok, line))
        i += 1
    return out


def _substitute(words: list[str], defines: dict[str, list[str]], path: str, line: int,
                depth: int) -> list[str]:
    if depth > _MAX_DEFINE_DEPTH:
        raise InputError("define nested too deep", path=path, line=line, field="define")
    out: list[str] = []
    for w in words:
        if w.startswith("$"):
            if w[1:] not in defines:
                raise InputError(f"undefined variable {w}", path=path, line=line, field="define")
            out += _substitute(defines[w[1:]], defines, path, line, depth + 1)
        else:
            out.append(w)
    return out


class _Reader:
    """Recursive descent over the token list."""

    def __init__(self, tokens: list[Token], path: str, scope: Scope | None = None) -> None:
        self.tokens, self.path, self.pos = tokens, path, 0
        self.scope = scope
        self.omitted = 0
        self.chains: list[NftChain] = []
        self.findings: list[Finding] = []
        self.sets: dict[tuple[str, str, str], list[str]] = {}

    def fail(self, message: str, field: str) -> InputError:
        line = self.tokens[min(self.pos, len(self.tokens) - 1)][1] if self.tokens else 1
        return InputError(message, path=self.path, line=line, field=field)

    def peek(self) -> str:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else ""

    def take(self) -> str:
        if self.pos >= len(self.tokens):
            raise self.fail("unexpected end of file", "syntax")
        self.pos += 1
        return self.tokens[self.pos - 1][0]

    def expect(self, word: str) -> None:
        got = self.take()
        if got != word:
            raise self.fail(f"expected {word!r}, found {got!r}", "syntax")

    def statement(self) -> list[Token]:
        """Tokens up to the end of the statement (newline or ';' outside braces)."""
        out: list[Token] = []
        depth = 0
        while self.pos < len(self.tokens):
            tok = self.tokens[self.pos]
            if depth == 0 and tok[0] in ("\n", ";", "}"):
                break
            self.pos += 1
            depth += (tok[0] == "{") - (tok[0] == "}")
            if tok[0] != "\n":
                out.append(tok)
        return out

    def skip_separators(self) -> None:
        while self.peek() in ("\n", ";"):
            self.pos += 1

    def skip_block(self) -> None:
        depth = 0
        while self.pos < len(self.tokens):
            word = self.take()
            depth += (word == "{") - (word == "}")
            if depth <= 0 and word == "}":
                return

    def top(self) -> None:
        while True:
            self.skip_separators()
            word = self.peek()
            if not word:
                return
            if word == "table":
                self.take()
                self.table()
            elif word == "include":
                stmt = self.statement()
                self.findings.append(Finding(Severity.WARNING, "audit.include-not-followed",
                                             "include is not followed; audit the included files too",
                                             (f"{self.path}:{stmt[0][1]}",), subject=self.path))
            elif word in ("flush", "delete", "add", "create", "insert", "destroy", "list"):
                self.statement()
            else:
                raise self.fail(f"unexpected {word!r} at the top level", "syntax")

    def table(self) -> None:
        family = self.take()
        name = self.take() if family in _FAMILIES else family
        family = family if family in _FAMILIES else "ip"
        self.expect("{")
        pending: list[tuple[NftChain, list[list[Token]]]] = []
        while True:
            self.skip_separators()
            word = self.take()
            if word == "}":
                break
            if word == "chain":
                pending.append(self.chain(family, name))
            elif word in ("set", "map"):
                self.named_set(family, name)
            elif self.peek() == "{" or (self.pos + 1 < len(self.tokens)
                                        and self.tokens[self.pos + 1][0] == "{"):
                self.skip_block()  # flowtable, counter, quota, ct helper ... blocks
            else:
                self.statement()  # flags, comment
        # Rules are read once the whole table is known: a set may be declared after its use.
        fam: Family | None = TABLE_FAMILIES.get(family)
        parser = TextRuleParser(fam, lambda s: self.sets.get((family, name, s)))
        reader = ShapeReader(parser, self.scope, {})
        for nc, statements in pending:
            self.chain_rules(nc, statements, reader)
            self.chains.append(nc)
        self.omitted += reader.omitted

    def named_set(self, family: str, table: str) -> None:
        name = self.take()
        self.expect("{")
        elements: list[str] = []
        while True:
            self.skip_separators()
            word = self.take()
            if word == "}":
                break
            if word == "elements":
                self.expect("=")
                stmt = self.statement()
                elements = _split_elements([t for t, _ in stmt])
            else:
                self.statement()
        self.sets[(family, table, name)] = elements

    def chain(self, family: str, table: str) -> tuple[NftChain, list[list[Token]]]:
        name = self.take()
        line = self.tokens[self.pos - 1][1]
        self.expect("{")
        nc = NftChain(family, table, name, Origin(self.path, line, f"chain {name}"))
        statements = []
        tokens, n = self.tokens, len(self.tokens)
        while True:
            self.skip_separators()
            word = tokens[self.pos][0] if self.pos < n else ""
            if " " in word and word[0] != '"':  # a plain rule line: one token, one statement
                statements.append([tokens[self.pos]])
                self.pos += 1
                continue
            if word in ("}", ""):
                self.expect("}")
                break
            stmt = self.statement()
            if stmt and stmt[0][0] in ("type", "policy", "comment"):
                self.chain_property(nc, stmt)
            elif stmt:
                statements.append(stmt)
        return nc, statements

    def chain_rules(self, nc: NftChain, statements: list[list[Token]], reader: ShapeReader) -> None:
        for stmt in statements:
            try:
                nc.rules += reader.rules(stmt, self.path)
            except (NftRuleError, IndexError) as exc:
                raise InputError(str(exc) or "cannot read the rule", path=self.path,
                                 line=stmt[0][1], field="rule") from None

    def chain_property(self, nc: NftChain, stmt: list[Token]) -> None:
        words = [t for t, _ in stmt]
        if words[0] == "policy":
            verdict = VERDICTS.get(words[1] if len(words) > 1 else "")
            if verdict is None:
                raise InputError("policy must be accept or drop", path=self.path, line=stmt[0][1],
                                 field="policy")
            nc.policy = verdict
            nc.origin = Origin(self.path, stmt[0][1], f"policy {words[1]} of chain {nc.name}")
        elif words[0] == "type" and "hook" in words:
            nc.chain_type = words[1] if len(words) > 1 else "filter"
            nc.hook = words[words.index("hook") + 1] if words.index("hook") + 1 < len(words) else None
            if "priority" in words:
                prio = parse_priority(" ".join(words[words.index("priority") + 1:]))
                if prio is None:
                    raise InputError("cannot read the chain priority", path=self.path,
                                     line=stmt[0][1], field="priority")
                nc.priority = prio


def _split_elements(words: list[str]) -> list[str]:
    inner = words[1:-1] if words and words[0] == "{" else words
    out: list[str] = []
    current: list[str] = []
    for w in inner:
        if w == ",":
            if current:
                out.append(" ".join(current))
            current = []
        else:
            current.append(w)
    if current:
        out.append(" ".join(current))
    return out


def parse_nft_text(text: str, path: str, scope: Scope | None = None) -> Ruleset:
    """One file; with `scope`, rules no audited packet can match are left out (see `Scope`)."""
    # The collector paused, as the vendor parsers run: benchmarks/audit.py --format nft, gc
    # took 0.5 of ~3.5 s CPU.
    with gc_paused():
        reader = _Reader(tokenize(text, path), path, scope)
        reader.top()
        return build_ruleset(path, reader.chains, reader.findings, NftTextParser.name,
                             NftTextParser.platform, reader.omitted)


class NftTextParser(RulesetParser):
    name = "nft"
    platform = "nftables"
    description = "nftables text: `nft list ruleset` output or an `nft -f` file"

    def detect(self, text: str) -> float:
        return _detect.nft(text)

    def parse(self, text: str, path: str) -> Ruleset:
        return parse_nft_text(text, path)

    def parse_scoped(self, text: str, path: str, scope: Scope) -> Ruleset:
        return parse_nft_text(text, path, scope)
