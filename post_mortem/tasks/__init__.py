"""django-q2 task functions: thin, take ids, re-fetch, call a service."""
