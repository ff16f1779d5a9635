"""CI fails when protos/ and the committed chaincard/v1 code disagree."""

import subprocess
import sys


def test_generated_code_matches_protos():
    result = subprocess.run([sys.executable, "-m", "chaincard.protogen", "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
