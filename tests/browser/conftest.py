"""Playwright (sync API) against pytest-django's live_server, with Debian's chromium.

Never `playwright install`: the browser is the system's /usr/bin/chromium (scripts/test.sh
installs it with apt-get when it is missing).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run inside one
# unless told it is fine (it is: the test and the live server do not share connections).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def browser() -> Iterator:
    """One Playwright + chromium per test: two sync Playwright instances cannot be alive at once,
    and other test modules start their own, so this one never outlives its test."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"chromium not found at {CHROMIUM}: run scripts/test.sh (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    context.set_default_timeout(20_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def admin_page(page, live_server, django_user_model):
    """A page logged in through the real login form as a superuser."""
    django_user_model.objects.create_user("browser-admin", password="browser-pw-1", is_staff=True, is_superuser=True)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    form = page.locator("form#login-form")
    form.locator("input[name=username]").fill("browser-admin")
    form.locator("input[name=password]").fill("browser-pw-1")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    return page
