"""Form widgets shared by the apps' pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


class LongSelect(forms.Select):
    """A single-choice `<select>` built in one pass instead of one template per option.

    Django renders every option through `select_option.html`; for the 2 000-person
    pickers of a company (forward, request review, reassign, substitute) that was two
    thirds of a task page's time (`make bench`, bench/PERF_NOTES.md). Same markup, same
    attributes (id, required, aria-*) from the bound field; labels and values escaped.
    """

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, attrs)
        chosen = {str(v) for v in self.format_value(value)}
        selected = mark_safe(" selected")
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option, selected if str(option) in chosen else "", label)
                for option, label in self.choices
            ),
        )
        return format_html(
            '<select name="{}"{}>{}</select>', name, flatatt(final_attrs), options
        )
