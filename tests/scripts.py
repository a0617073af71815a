"""The operator's scripts of infra/ loaded from their files: infra/ is no package, and a script must
stay runnable without the project installed."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from stacktools.template import ROOT


@contextmanager
def infra_script(name: str) -> Iterator[ModuleType]:
    """``infra/<name>.py`` as a module, for as long as the block lasts."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "infra" / f"{name}.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is being made.
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]
