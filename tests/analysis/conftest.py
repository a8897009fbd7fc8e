from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FASHION = ROOT / "rulesets" / "fashion"


def fashion_variant(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """The fashion ruleset with one text replaced (it must occur)."""
    text = (FASHION / "ruleset.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / f"{name}.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path
