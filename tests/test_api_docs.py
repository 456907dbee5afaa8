"""docs/api.md's curl examples, run in order against a live demo shop with the real curl: each
call answers the status written after it (``# → 202``), and the JSON written there too."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
EXPECTED = re.compile(r"^# → (\d{3})(?: (.+))?$", re.M)

# Every curl call reports its status on stderr; its body is kept for the JSON check.
PRELUDE = """set -euo pipefail
PZ_N=0
curl() {
  PZ_N=$((PZ_N + 1))
  command curl -w "%{stderr}@@status $PZ_N %{http_code}\\n" "$@" | tee "body.$PZ_N"
}
"""


def examples() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", DOC.read_text(), re.S)


def test_the_docs_show_calls_with_their_answers():
    blocks = examples()
    assert len(blocks) >= 6
    for block in blocks:
        calls = len(re.findall(r"(?<![\w-])curl ", block))
        assert calls == len(EXPECTED.findall(block)), block  # every call says its answer


@pytest.mark.django_db(transaction=True)
def test_every_curl_example_answers_what_the_docs_say(live_server, tmp_path):
    assert shutil.which("curl"), "the documentation's examples need curl"
    call_command("seed_demo", customers=20, history=False, verbosity=0)
    script = "\n".join(examples()).replace("http://127.0.0.1:8000", live_server.url)
    run = subprocess.run(["bash", "-c", PRELUDE + script], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    statuses = re.findall(r"^@@status (\d+) (\d{3})$", run.stderr, re.M)
    expected = EXPECTED.findall("\n".join(examples()))
    assert run.returncode == 0, run.stderr
    assert len(statuses) == len(expected), run.stderr
    for (n, got), (want, body) in zip(statuses, expected, strict=True):
        answer = (tmp_path / f"body.{n}").read_text()
        assert got == want, f"call {n}: {got} {answer}"
        if body:
            assert json.loads(answer) == json.loads(body), f"call {n}"
