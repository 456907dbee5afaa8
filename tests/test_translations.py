"""Dutch, complete: every string the app and the demo mark for translation has a Dutch
translation (gettext's own makemessages finds them afresh, so a string added without one
fails here), and the compiled .mo files shipped in the wheel match their .po files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.environment import required

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ["personalization", "demo_shop"]


@pytest.fixture(autouse=True)
def _gettext():
    if not all(shutil.which(tool) for tool in ("xgettext", "msgmerge", "msgattrib", "msgfmt")):
        message = "needs GNU gettext (apt-get install gettext)"
        if required("PZ_REQUIRE_SERVICES"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.mark.parametrize("package", CATALOGS)
def test_every_marked_string_has_a_dutch_translation(package, tmp_path):
    copy = tmp_path / package
    shutil.copytree(ROOT / package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    # django-admin, not python -m django: run in the package's folder, "-m" would put it on
    # the path, where the app's html.py hides the standard library's.
    django_admin = Path(sys.executable).parent / "django-admin"
    subprocess.run([str(django_admin), "makemessages", "-l", "nl", "--no-wrap",
                    "--no-obsolete"], cwd=copy, check=True, capture_output=True, text=True,
                   env={"PATH": os.environ.get("PATH", "")})
    po = copy / "locale" / "nl" / "LC_MESSAGES" / "django.po"
    missing = subprocess.run(["msgattrib", "--untranslated", "--no-obsolete", str(po)],
                             capture_output=True, text=True, check=True).stdout
    fuzzy = subprocess.run(["msgattrib", "--only-fuzzy", "--no-obsolete", str(po)],
                           capture_output=True, text=True, check=True).stdout
    untranslated = [line for line in missing.splitlines() if line.startswith("msgid ")][1:]
    unchecked = [line for line in fuzzy.splitlines() if line.startswith("msgid ")][1:]
    assert untranslated == [], f"{package}: no Dutch for {untranslated[:10]}"
    assert unchecked == [], f"{package}: fuzzy (unchecked) translations {unchecked[:10]}"


@pytest.mark.parametrize("package", CATALOGS)
def test_the_compiled_catalog_matches_its_source(package, tmp_path):
    messages = ROOT / package / "locale" / "nl" / "LC_MESSAGES"
    subprocess.run(["msgfmt", "--check", "-o", str(tmp_path / "django.mo"),
                    str(messages / "django.po")], check=True)
    assert (tmp_path / "django.mo").read_bytes() == (messages / "django.mo").read_bytes(), (
        f"run: cd {package} && django-admin compilemessages -l nl")


def test_every_reason_a_merchant_reads_is_marked_for_translation():
    """The preview panel shows a decision's reasons in the admin's language: a reason made
    from a bare string literal (not gettext_noop) stays English in a Dutch panel."""
    import ast

    package = Path(__file__).resolve().parent.parent / "personalization"
    bare = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Reason"
                    and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                    and node.args[0].value.strip("{}✓✗; ")):
                bare.append(f"{path.relative_to(package)}:{node.lineno}")
    assert bare == []


def test_a_bandits_reason_reads_dutch_in_a_dutch_panel():
    from django.utils import translation

    from personalization.engine.decide import _DRAWN, _KEPT
    from personalization.engine.segments import Reason

    with translation.override("nl"):
        kept = Reason(_KEPT, ("B", 62)).in_words()
        drawn = Reason(_DRAWN, ("A", 33)).in_words()
    assert kept.startswith("variant 'B' (bandit-gewicht 62 %), behouden")
    assert drawn == "variant 'A' (bandit-gewicht 33 %), getrokken volgens de huidige gewichten"
