"""Changelist pagination that tells the truth, for every admin list (unfold's and Django's).

- The "…" between page numbers is text, not a link (unfold renders it as a link to `?p=…`,
  which Django reads as page 1).
- A page past the end says so and shows the last page, instead of Django's "Something's wrong
  with your database installation" page (an out-of-range page is an IncorrectLookupParameters).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.utils.html import format_html


def _patch_ellipsis() -> None:
    from unfold.templatetags import unfold_list

    original = unfold_list.paginator_number
    if getattr(original, "_post_mortem_patched", False):
        return

    def paginator_number(cl, i):
        if i == cl.paginator.ELLIPSIS:
            return format_html('<span class="px-1 text-base-400" aria-hidden="true">{}</span> ', i)
        return original(cl, i)

    paginator_number._post_mortem_patched = True
    unfold_list.paginator_number = paginator_number
    unfold_list.register.simple_tag(paginator_number, name="paginator_number")


def _patch_out_of_range() -> None:
    original = ChangeList.get_results
    if getattr(original, "_post_mortem_patched", False):
        return

    def get_results(self, request):
        try:
            original(self, request)
        except IncorrectLookupParameters:
            asked = self.page_num
            last = self.model_admin.get_paginator(request, self.queryset, self.list_per_page).num_pages
            if asked <= last:
                raise
            self.page_num = last
            original(self, request)
            messages.warning(request, f"There is no page {asked:,}: this list has {last:,} pages. Showing the last.")
            return
        if self.page_num > 1 and not self.multi_page:
            messages.warning(request, f"There is no page {self.page_num:,}: this list fits on one page.")
            self.page_num = 1

    get_results._post_mortem_patched = True
    ChangeList.get_results = get_results


def install() -> None:
    _patch_ellipsis()
    _patch_out_of_range()
