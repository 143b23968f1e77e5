"""What a web process loads: the libraries for card payments and PDFs only when they are used."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns  # every view module, as a web worker has them after its first request
print(sorted(name for name in ("stripe", "weasyprint") if name in sys.modules))
"""


def test_a_web_process_loads_neither_stripe_nor_weasyprint_until_they_are_used():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "confsite.test_settings"}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
