from django.apps import AppConfig


class PostMortemConfig(AppConfig):
    name = "post_mortem"
    verbose_name = "Post-mortem"
    default_auto_field = "django.db.models.BigAutoField"
