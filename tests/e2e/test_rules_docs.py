"""docs/rules.md keeps its promises: for every rule, its Bad example triggers the
rule and its Good example does not (`migsafe check` reading the example on stdin)."""
import json
import re
from pathlib import Path

import pytest

RULES_DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
# rules whose examples need an option to apply
EXTRA_ARGS = {"missing-lock-timeout": ["--applied-by", "other"]}


def examples():
    sections = re.split(r"^### ", RULES_DOC.read_text(), flags=re.M)[1:]
    out = []
    for s in sections:
        rule = s.split("\n", 1)[0].strip()
        bad = re.search(r"^Bad:\n```sql\n(.*?)```", s, flags=re.M | re.S)
        good = re.search(r"^Good:\n```sql\n(.*?)```", s, flags=re.M | re.S)
        out.append((rule, bad and bad.group(1), good and good.group(1)))
    return out


def rules_found(run, rule, sql):
    res = run("check", "--format", "json", "--fail-on", "never", "--stdin-filename",
              f"{rule}.sql", *EXTRA_ARGS.get(rule, []), "-", input=sql)
    assert res.returncode == 0, f"{rule}: {res.stderr}"
    return {f["rule"] for m in json.loads(res.stdout)["migrations"] for f in m["findings"]}


@pytest.mark.parametrize("rule,bad,good", examples(), ids=[e[0] for e in examples()])
def test_documented_examples(run, rule, bad, good):
    assert bad and good, f"{rule}: docs/rules.md needs a Bad and a Good sql block"
    assert rule in rules_found(run, rule, bad), f"{rule}: the Bad example does not trigger it"
    assert rule not in rules_found(run, rule, good), f"{rule}: the Good example triggers it"
