"""The build step that puts the published vectors and the spec inside the wheel.

Everything else is declared in pyproject.toml. An installed package has no repository beside it, yet
``credential conformance`` runs the published vectors by default and tells adapters where the spec's
data files are (spec 15): so the wheel carries copies of ``test-vectors/`` and ``spec/`` under
``credential/published/``, made at build time from the one copy in the repository (and in the
sdist, which carries both folders). An editable install reads the repository's folders directly.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# published name -> (repository folder, the files of it that are published)
PUBLISHED = {
    "vectors": ("test-vectors", ("*.json", "qr/*.png")),
    "spec": ("spec", ("*.md", "*.cddl", "*.json", "*.txt")),
}


class BuildWithPublishedFiles(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name, (folder, patterns) in PUBLISHED.items():
            for pattern in patterns:
                for source in sorted((ROOT / folder).glob(pattern)):
                    target = Path(self.build_lib) / "credential" / "published" / name / source.relative_to(ROOT / folder)
                    self.mkpath(str(target.parent))
                    self.copy_file(str(source), str(target))


setup(cmdclass={"build_py": BuildWithPublishedFiles})
