"""Provenance capture: the fast package listing gives what importlib.metadata gives (issue 16)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mlm_jupyter.tracking import provenance


def test_the_header_listing_matches_importlib_metadata() -> None:
    listed = provenance._listed_packages()
    assert listed is not None and "duckdb" in listed and "pyarrow" in listed
    assert listed == provenance._metadata_packages()


def test_the_listing_reads_names_and_versions_from_the_headers_only(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    (site / "Odd_Name-1.0.dist-info").mkdir(parents=True)
    (site / "Odd_Name-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: Odd_Name\nVersion: 1.0rc1\n\nName: not-this-one\n")
    (site / "legacy.egg-info").mkdir()
    (site / "legacy.egg-info" / "PKG-INFO").write_text("Metadata-Version: 1.0\nName: legacy\nVersion: 0.3\n")
    (site / "broken-2.0.dist-info").mkdir()  # no METADATA: skipped, as importlib.metadata skips it
    shadow = tmp_path / "shadow"
    (shadow / "odd_name-9.dist-info").mkdir(parents=True)
    (shadow / "odd_name-9.dist-info" / "METADATA").write_text("Name: odd-name\nVersion: 9\n")
    monkeypatch.setattr(sys, "path", [str(site), str(shadow), str(tmp_path / "missing")])
    listed = provenance._listed_packages()
    assert listed == {"odd-name": "1.0rc1", "legacy": "0.3"}  # the first on sys.path wins
    assert listed == provenance._metadata_packages()


def test_a_zip_on_sys_path_falls_back_to_importlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "lib.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\0" * 18)  # an empty zip
    monkeypatch.setattr(sys, "path", [str(archive)])
    assert provenance._listed_packages() is None
    assert "packages" in provenance.environment()
