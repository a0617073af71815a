"""The front end's vendored libraries are exactly the pinned npm files web/vendor/vendor.json names."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from stacktools.template import ROOT

VENDOR = ROOT / "web" / "vendor"
PINNED = json.loads((VENDOR / "vendor.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(PINNED))
def test_a_vendored_file_is_the_pinned_version_byte_for_byte(name: str) -> None:
    pinned = PINNED[name]
    data = (VENDOR / pinned["file"]).read_bytes()

    assert hashlib.sha256(data).hexdigest() == pinned["sha256"]
    assert (VENDOR / f"LICENSE-{pinned['package']}").is_file()


def test_vue_is_the_version_pinned_by_its_own_banner() -> None:
    vue = PINNED["vue"]
    assert f"vue v{vue['version']}".encode() in (VENDOR / vue["file"]).read_bytes()[:200]


def test_vue_is_vendored_as_its_runtime_only_build_alone() -> None:
    """The templates are compiled ahead of time (test_templates.py): the page needs no compiler, and a
    content security policy without 'unsafe-eval' lets it run."""
    vue = PINNED["vue"]
    assert (vue["from"], vue["file"]) == (
        "dist/vue.runtime.esm-browser.prod.js",
        "vue.runtime.esm-browser.prod.js",
    )
    assert sorted(path.name for path in VENDOR.iterdir()) == sorted(
        ["fetch.sh", "vendor.json", *(f"LICENSE-{each['package']}" for each in PINNED.values())]
        + [each["file"] for each in PINNED.values()]
    )


def test_every_import_of_vue_in_the_front_end_is_of_the_vendored_file() -> None:
    imports = {
        (script.relative_to(ROOT).as_posix(), (script.parent / module).resolve())
        for script in (ROOT / "web").rglob("*.js")
        if VENDOR not in script.parents
        for module in re.findall(r'from "([^"]+)"', script.read_text(encoding="utf-8"))
        if "vue" in module or "vendor/" in module
    }
    i18n = VENDOR / PINNED["vue-i18n"]["file"]

    assert {"web/app.js", "web/store.js"} <= {script for script, _ in imports}
    assert {module for _, module in imports} == {VENDOR / PINNED["vue"]["file"], i18n}
    assert {script for script, module in imports if module == i18n} == {"web/i18n.js"}


def test_vue_i18n_is_the_version_pinned_and_imports_vue_by_its_bare_name_alone() -> None:
    """vue-i18n's browser build imports "vue" by name: the page's import map names the vendored file,
    so that it and the page share one Vue. It imports nothing else, and makes no code of strings (the
    page's policy has no 'unsafe-eval'): its messages are compiled to trees it walks."""
    source = (VENDOR / PINNED["vue-i18n"]["file"]).read_text(encoding="utf-8")

    assert f"vue-i18n v{PINNED['vue-i18n']['version']}" in source[:200]
    assert set(re.findall(r'from"([^"]+)"', source)) == {"vue"}
    assert "new Function" not in source
    assert "eval(" not in source


def import_map() -> dict[str, dict[str, str]]:
    page = (ROOT / "web" / "index.html").read_text(encoding="utf-8")
    maps = re.findall(r'<script type="importmap">(.*?)</script>', page, re.DOTALL)
    assert len(maps) == 1
    return dict(json.loads(maps[0]))


def test_the_import_map_names_the_vendored_vue_alone() -> None:
    assert import_map() == {"imports": {"vue": f"./vendor/{PINNED['vue']['file']}"}}


def test_the_zip_library_is_loaded_only_when_images_are_downloaded_together() -> None:
    """fflate is for a bulk download alone: imported on demand (the first load's weight is not its),
    and only its synchronous streaming Zip, which starts no Worker from a string (the page's policy
    would refuse one)."""
    loads = {
        script.relative_to(ROOT).as_posix(): re.findall(
            r'import\("([^"]+)"\)', script.read_text(encoding="utf-8")
        )
        for script in (ROOT / "web").rglob("*.js")
        if VENDOR not in script.parents
    }

    assert {script: modules for script, modules in loads.items() if modules} == {
        "web/downloads.js": [f"./vendor/{PINNED['fflate']['file']}"]
    }
    downloads = (ROOT / "web" / "downloads.js").read_text(encoding="utf-8")
    assert re.findall(r"const \{([^}]*)\} = await import\(", downloads) == [" Zip, ZipPassThrough "]
