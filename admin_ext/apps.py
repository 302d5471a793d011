from django.apps import AppConfig


class AdminExtConfig(AppConfig):
    name = "admin_ext"
    verbose_name = "Admin UI"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deploy checks)
