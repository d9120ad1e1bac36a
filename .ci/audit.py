"""Dependency audit for `make test`: pip-audit over the project's venv, every finding printed.

Fails (exit 1) when a known vulnerability is found that `.ci/audit-ignore.txt` does not accept with a reason.
Packages the vulnerability service could not look up are counted and named, never dropped silently: on a machine
whose PyPI mirror lacks the JSON API (this one), that can be all of them, and the summary says so.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "test-artifacts" / "pip-audit.json"
IGNORE = Path(__file__).with_name("audit-ignore.txt")


def accepted() -> dict[str, str]:
    """Vulnerability ids accepted on purpose: ``ID  reason`` per line, ``#`` comments."""
    if not IGNORE.is_file():
        return {}
    lines = (line.split("#", 1)[0].strip() for line in IGNORE.read_text(encoding="utf-8").splitlines())
    return {line.split()[0]: line.partition(" ")[2].strip() for line in lines if line}


def main() -> int:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip_audit", "--progress-spinner", "off", "--skip-editable", "-f", "json"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit could not run (exit {run.returncode}):\n{run.stderr[-2000:]}", file=sys.stderr)
        return 1
    REPORT.write_text(json.dumps(report, indent=2), encoding="utf-8")
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if "skip_reason" in d]
    audited = [d for d in dependencies if "skip_reason" not in d]
    ignore = accepted()
    findings = [(d, v) for d in audited for v in d.get("vulns", [])]
    failing = [(d, v) for d, v in findings if v["id"] not in ignore]
    for d, v in findings:
        fixes = ", ".join(v.get("fix_versions", [])) or "no fixed release"
        note = f"  (accepted: {ignore[v['id']]})" if v["id"] in ignore else ""
        print(f"pip-audit: {d['name']} {d['version']}: {v['id']} (fixed in: {fixes}){note}")
    print(
        f"pip-audit: {len(dependencies)} packages, {len(audited)} audited, {len(skipped)} could not be audited, "
        f"{len(findings)} known vulnerabilities ({len(failing)} not accepted); report: {REPORT.relative_to(ROOT)}"
    )
    if skipped:
        reasons = Counter(d["skip_reason"].split(":")[0] for d in skipped)
        for reason, count in reasons.most_common():
            print(f"pip-audit: WARNING {count} packages not audited: {reason}")
        names = ", ".join(sorted(d["name"] for d in skipped))
        print(f"pip-audit: not audited: {names[:1500]}{'…' if len(names) > 1500 else ''}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
