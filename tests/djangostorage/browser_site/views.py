"""A plain (non-admin) form with a direct upload field."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.views.decorators.csrf import ensure_csrf_cookie
from django_selectel.direct_upload import DirectUploadField

from tests.djangostorage.browser_site.settings import MAX_UPLOAD

PAGE = """<!doctype html><html><head><title>plain</title>{{ form.media }}</head><body>
{% if saved %}<p id="saved">saved: {{ saved }}</p>{% endif %}
<form method="post" id="plain">{% csrf_token %}{{ form.as_p }}
<button type="submit">Send</button></form>
<div id="later"></div>
</body></html>"""


class PlainForm(forms.Form):
    """Not a ModelForm: storage and prefix are given."""

    attachment = DirectUploadField(
        storage="default",
        upload_to="plain/",
        max_size=MAX_UPLOAD,
        content_types=["text/*", "application/octet-stream"],
    )


@ensure_csrf_cookie
def plain(request: HttpRequest) -> HttpResponse:
    """GET: the form; POST: ``saved: <name>`` when valid, the form with errors otherwise."""
    saved = ""
    form = PlainForm(request.POST) if request.method == "POST" else PlainForm()
    if request.method == "POST" and form.is_valid():
        saved = form.cleaned_data["attachment"]
        form = PlainForm()
    template = engines["django"].from_string(PAGE)
    return HttpResponse(template.render({"form": form, "saved": saved}, request))


def fragment(request: HttpRequest) -> HttpResponse:
    """Only the field's HTML, as a front-end framework would fetch and insert it."""
    return HttpResponse(str(PlainForm()["attachment"]))
