"""The production static files storage: whitenoise's hashed, compressed files, or plain names before collectstatic."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestOrPlainStaticStorage(CompressedManifestStaticFilesStorage):
    """Hashed names from the manifest once `collectstatic` has written it; plain names until then.

    Without a manifest, Django's manifest storage raises for every ``{% static %}``, so every
    admin page was a 500 on a fresh deploy. With the plain name, whitenoise serves the file from
    the app's own folder (WHITENOISE_USE_FINDERS is on while nothing is collected).
    """

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:
            return name
        return super().stored_name(name)
