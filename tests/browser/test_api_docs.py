"""/api/docs/ in a real browser with every outside request blocked: login first, then Swagger UI renders
the schema from this site's own assets (no CDN)."""

from __future__ import annotations


def test_api_docs_render_offline_after_login(page, live_server, ops_user):
    ops_user.set_password("docs-browser-pw-7")
    ops_user.save()
    outside: list[str] = []

    def only_this_site(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_site)
    page.goto(f"{live_server.url}/api/docs/")
    assert page.url.startswith(f"{live_server.url}/admin/login/")  # logged out: the login page, not a 401
    form = page.locator("form#login-form")
    form.locator("input[name=username]").fill(ops_user.username)
    form.locator("input[name=password]").fill("docs-browser-pw-7")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/api/docs/")
    page.locator(".swagger-ui .info .title").filter(has_text="Trade Post-Mortem Analyzer API").wait_for()
    page.locator(".opblock-summary-path", has_text="/api/post-mortem/trades/").first.wait_for()
    assert outside == []
