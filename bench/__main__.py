"""Run the benchmarks and write bench/RESULTS.md."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_shop.settings")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")
    os.environ.setdefault("DEMO_PERSONA_SWITCHER", "0")
    (ROOT / "var").mkdir(exist_ok=True)
    import django

    django.setup()
    from bench import decisions

    report = decisions.run()
    out = ROOT / "bench" / "RESULTS.md"
    out.write_text(report)
    print(f"\nWritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
