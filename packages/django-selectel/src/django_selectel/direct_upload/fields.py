"""The form field, its widget and the signed ticket that ties an upload to one form.

Each rendered form carries a *ticket* (signed with ``SECRET_KEY``, readable but not
forgeable): which storage, the name prefix reserved for this form (``upload_to`` plus a
random folder), the size limit, the allowed content types and how long it stays valid. The
signer (:func:`~django_selectel.direct_upload.views.sign_upload`) only signs PUT URLs under
that prefix; the field only accepts a name under it, and only for an object that exists
within the limits. A client therefore cannot point the field at anybody else's object.
"""

from __future__ import annotations

import datetime
import fnmatch
import mimetypes
import posixpath
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.apps import apps
from django.core import signing
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.core.files.storage import Storage, storages
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

__all__ = [
    "DirectUploadField",
    "DirectUploadWidget",
    "Submitted",
    "TicketError",
    "UploadPolicy",
    "content_type_allowed",
    "read_ticket",
    "resolve_storage",
]

_SALT = "django_selectel.direct_upload"
_MIB = 1024 * 1024


class TicketError(Exception):
    """The ticket is not one this site signed, or it has expired."""


@dataclass(frozen=True)
class UploadPolicy:
    """What one rendered form may upload (the content of its ticket)."""

    storage: str  # "alias:<STORAGES alias>" or "field:<app_label.Model>.<field>"
    prefix: str  # the Django name prefix reserved for this form, ends with "/"
    max_size: int
    content_types: tuple[str, ...]
    url_expires: int
    max_length: int | None
    allow_empty_file: bool
    expires_at: float

    def ticket(self) -> str:
        """This policy, signed."""
        return signing.dumps(
            {
                "s": self.storage,
                "p": self.prefix,
                "m": self.max_size,
                "t": list(self.content_types),
                "u": self.url_expires,
                "l": self.max_length,
                "e": self.allow_empty_file,
                "x": self.expires_at,
            },
            salt=_SALT,
        )

    def same_rules(self, other: UploadPolicy) -> bool:
        """Everything but the prefix and the expiry agrees."""
        return (
            self.storage,
            self.max_size,
            self.content_types,
            self.max_length,
            self.allow_empty_file,
        ) == (
            other.storage,
            other.max_size,
            other.content_types,
            other.max_length,
            other.allow_empty_file,
        )


def read_ticket(ticket: str, *, now: float | None = None) -> UploadPolicy:
    """The policy of a ticket this site signed; :class:`TicketError` otherwise."""
    try:
        data = signing.loads(ticket, salt=_SALT)
        policy = UploadPolicy(
            storage=str(data["s"]),
            prefix=str(data["p"]),
            max_size=int(data["m"]),
            content_types=tuple(str(t) for t in data["t"]),
            url_expires=int(data["u"]),
            max_length=None if data["l"] is None else int(data["l"]),
            allow_empty_file=bool(data["e"]),
            expires_at=float(data["x"]),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise TicketError("not a ticket of this site") from None
    if (now if now is not None else time.time()) > policy.expires_at:
        raise TicketError("the ticket has expired")
    return policy


def resolve_storage(reference: str) -> Any:
    """The SelectelStorage a policy names."""
    from django_selectel.storages import SelectelStorage  # noqa: PLC0415 - settings first

    kind, _, rest = reference.partition(":")
    storage: object
    if kind == "alias":
        storage = storages[rest]
    elif kind == "field":
        label, _, field_name = rest.rpartition(".")
        field = apps.get_model(label)._meta.get_field(field_name)
        if not isinstance(field, models.FileField):
            raise ImproperlyConfigured(f"{rest} is not a FileField")
        storage = field.storage
    else:
        raise ImproperlyConfigured(f"unknown storage reference {reference!r}")
    if not isinstance(storage, SelectelStorage):
        raise ImproperlyConfigured(
            f"direct uploads need a SelectelStorage, {reference} is {type(storage).__name__}"
        )
    return storage


def content_type_allowed(content_type: str, patterns: Iterable[str]) -> bool:
    """``image/png`` against ``("image/*", "application/pdf")``; no patterns allow all."""
    patterns = tuple(patterns)
    if not patterns:
        return True
    main = content_type.split(";", 1)[0].strip().lower()
    return any(fnmatch.fnmatchcase(main, p.strip().lower()) for p in patterns)


@dataclass(frozen=True)
class Submitted:
    """What the form sends for the field: the object name, the form's ticket, the clear box."""

    name: str
    ticket: str
    clear: bool = False


def _storage_alias(storage: Storage) -> str:
    for alias in storages.backends:
        if storages[alias] is storage:
            return alias
    raise ImproperlyConfigured(
        "DirectUploadField(storage=...) needs a storage from settings.STORAGES (its alias or "
        "the instance django.core.files.storage.storages returns)"
    )


class DirectUploadWidget(forms.Widget):
    """A file picker that uploads straight to Swift; only the object name is submitted.

    Renders the picker (no ``name``: the file never goes to Django), a hidden input with the
    object name, one with the form's ticket, a ``<progress>`` and a status line. The script
    (``django_selectel/direct_upload.js``, no dependencies) binds every widget on the page,
    also ones added later (admin inlines, htmx, front-end frameworks), and emits
    ``selectel-upload:start|progress|done|error`` events on the widget's element.
    """

    template_name = "django_selectel/direct_upload/widget.html"
    needs_multipart_form = False

    class Media:
        js = ("django_selectel/direct_upload.js",)

    field: DirectUploadField | None = None

    def format_value(self, value: Any) -> str | None:
        """The hidden name input is filled in :meth:`get_context`."""
        return None

    def value_from_datadict(self, data: Mapping[str, Any], files: Any, name: str) -> Any:
        """:class:`Submitted`, or ``None`` when the form did not include the field."""
        if name not in data and f"{name}-clear" not in data:
            return None
        return Submitted(
            name=str(data.get(name) or "").strip(),
            ticket=str(data.get(f"{name}-ticket") or ""),
            clear=f"{name}-clear" in data,
        )

    def value_omitted_from_data(self, data: Mapping[str, Any], files: Any, name: str) -> bool:
        """Omitted when neither the name nor the clear box came."""
        return name not in data and f"{name}-clear" not in data

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        """The template context: sign URL, ticket, current file, limits."""
        context = super().get_context(name, value, attrs)
        field = self.field
        if field is None:
            raise ImproperlyConfigured("DirectUploadWidget renders only for a DirectUploadField")
        policy = field.new_policy()
        ticket = ""
        uploaded = ""
        current: Any = value
        if isinstance(value, Submitted):
            current = None
            try:
                given = read_ticket(value.ticket)
            except TicketError:
                given = None
            # A re-rendered form (another field had an error) keeps its ticket and upload.
            if given is not None and given.same_rules(policy):
                policy, ticket = given, value.ticket
                uploaded = value.name
        current_name = str(getattr(current, "name", current) or "")
        current_url = ""
        if current_name:
            try:
                current_url = resolve_storage(policy.storage).url(current_name)
            except Exception:  # noqa: BLE001 - the page renders without the link
                current_url = ""
        context["widget"].update(
            {
                "sign_url": field.sign_url or reverse("django_selectel:direct-upload-sign"),
                "ticket": ticket or policy.ticket(),
                "uploaded": uploaded,
                "current": current_name,
                "current_url": current_url,
                "clearable": bool(current_name) and not field.required,
                "accept": ",".join(policy.content_types),
                "max_size": policy.max_size,
            }
        )
        return context

    def id_for_label(self, id_: str) -> str:
        """The label points at the file picker."""
        return id_


class DirectUploadField(forms.FileField):
    """A file field whose file goes from the browser straight to Swift.

    ``storage``: a ``STORAGES`` alias or such a storage (default: the model field's storage in
    a ModelForm, else ``"default"``). ``upload_to``: the name prefix, ``strftime`` formatted
    (default: the model field's string ``upload_to``); each form gets a random folder in it.
    ``max_size`` in bytes, ``content_types`` (``"image/*"`` patterns; empty: any),
    ``url_expires``: seconds a signed PUT URL stays usable (Swift checks it when the upload
    starts), ``form_expires``: seconds a rendered form can upload and be submitted.
    ``cleaned_data`` holds the stored name (a ``str``), the initial value when unchanged,
    ``False`` when cleared. Works as ``formfield_overrides`` in the admin:
    ``{models.FileField: {"form_class": DirectUploadField, "max_size": 20 * 2**20}}``.
    """

    widget = DirectUploadWidget
    default_error_messages = {  # noqa: RUF012 - Django's own convention
        "expired": _("This form has expired; reload the page and upload the file again."),
        "foreign": _("This file was not uploaded through this form."),
        "missing": _("The uploaded file was not found; upload it again."),
        "too_large": _("The file is too large (%(size)s bytes; at most %(max)s)."),
        "type": _("Files of type %(type)s are not allowed."),
        "empty": _("The submitted file is empty."),
        "contradiction": _("Please either upload a file or check the clear checkbox, not both."),
    }

    def __init__(
        self,
        *,
        storage: str | Storage | None = None,
        upload_to: str | None = None,
        max_size: int = 100 * _MIB,
        content_types: Iterable[str] = (),
        url_expires: int = 600,
        form_expires: int = 6 * 3600,
        sign_url: str | None = None,
        max_length: int | None = None,
        allow_empty_file: bool = False,
        **kwargs: Any,
    ) -> None:
        widget = kwargs.pop("widget", None)
        # The admin passes its AdminFileWidget for every FileField: only ours can work here.
        if isinstance(widget, DirectUploadWidget) or (
            isinstance(widget, type) and issubclass(widget, DirectUploadWidget)
        ):
            kwargs["widget"] = widget
        super().__init__(max_length=max_length, allow_empty_file=allow_empty_file, **kwargs)
        if max_size < 1:
            raise ValueError("max_size must be at least 1 byte")
        if not 1 <= url_expires <= form_expires:
            raise ValueError("url_expires must be at least 1 second and at most form_expires")
        self.storage_reference = (
            None
            if storage is None
            else f"alias:{storage if isinstance(storage, str) else _storage_alias(storage)}"
        )
        self.upload_to = upload_to
        self.max_size = max_size
        self.content_types = tuple(content_types)
        self.url_expires = url_expires
        self.form_expires = form_expires
        self.sign_url = sign_url

    def get_bound_field(self, form: forms.BaseForm, field_name: str) -> forms.BoundField:
        """Learn storage and ``upload_to`` from the model field of a ModelForm."""
        model = getattr(getattr(form, "_meta", None), "model", None)
        if model is not None and (self.storage_reference is None or self.upload_to is None):
            try:
                model_field = model._meta.get_field(field_name)
            except FieldDoesNotExist:
                model_field = None
            if isinstance(model_field, models.FileField):
                if self.storage_reference is None:
                    self.storage_reference = f"field:{model._meta.label}.{field_name}"
                if self.upload_to is None:
                    if callable(model_field.upload_to):
                        raise ImproperlyConfigured(
                            f"{model._meta.label}.{field_name} has a callable upload_to: give "
                            "DirectUploadField(upload_to='prefix/') for direct uploads"
                        )
                    self.upload_to = str(model_field.upload_to)
        # forms.FileField types its widget as a ClearableFileInput; ours is not one.
        widget = cast(object, self.widget)
        if not isinstance(widget, DirectUploadWidget):
            raise ImproperlyConfigured("DirectUploadField needs a DirectUploadWidget")
        widget.field = self
        return super().get_bound_field(form, field_name)

    def new_policy(self) -> UploadPolicy:
        """A fresh policy (random folder) for one rendering of the form."""
        folder = datetime.datetime.now().strftime(self.upload_to or "")
        prefix = posixpath.join(folder.strip("/"), secrets.token_urlsafe(12)) + "/"
        return UploadPolicy(
            storage=self.storage_reference or "alias:default",
            prefix=prefix,
            max_size=self.max_size,
            content_types=self.content_types,
            url_expires=self.url_expires,
            max_length=self.max_length,
            allow_empty_file=self.allow_empty_file,
            expires_at=time.time() + self.form_expires,
        )

    def bound_data(self, data: Any, initial: Any) -> Any:
        """Keep what was submitted (a re-rendered form shows the upload, not the old file)."""
        if isinstance(data, Submitted) and (data.name or data.clear):
            return data
        return initial

    def has_changed(self, initial: Any, data: Any) -> bool:
        """Changed when a new name (or the clear box) came."""
        if self.disabled or not isinstance(data, Submitted):
            return False
        if data.clear:
            return bool(initial)
        return bool(data.name) and data.name != str(getattr(initial, "name", initial) or "")

    def clean(self, data: Any, initial: Any = None) -> Any:
        """The stored name, after checking it against this form's ticket and the object."""
        initial_name = str(getattr(initial, "name", initial) or "")
        if self.disabled or not isinstance(data, Submitted):
            data = Submitted("", "")
        if data.clear and not self.required:
            if data.name and data.name != initial_name:
                raise ValidationError(self.error_messages["contradiction"], code="contradiction")
            return False
        if not data.name or data.name == initial_name:
            if initial:
                return initial
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return None
        name = self._check(data)
        self.run_validators(name)
        return name

    def _check(self, data: Submitted) -> str:
        try:
            policy = read_ticket(data.ticket)
        except TicketError:
            raise ValidationError(self.error_messages["expired"], code="expired") from None
        rest = data.name[len(policy.prefix) :]
        if (
            not policy.same_rules(self.new_policy())
            or not data.name.startswith(policy.prefix)
            or not rest
            or "/" in rest
            or rest in (".", "..")
        ):
            raise ValidationError(self.error_messages["foreign"], code="foreign")
        from selectel_objects import NotFoundError  # noqa: PLC0415

        storage = resolve_storage(policy.storage)
        try:
            _clean, info = storage._head(data.name)
        except (FileNotFoundError, NotFoundError):
            raise ValidationError(self.error_messages["missing"], code="missing") from None
        problem: ValidationError | None = None
        if info.content_length > policy.max_size:
            problem = ValidationError(
                self.error_messages["too_large"],
                code="too_large",
                params={"size": info.content_length, "max": policy.max_size},
            )
        elif info.content_length == 0 and not policy.allow_empty_file:
            problem = ValidationError(self.error_messages["empty"], code="empty")
        elif not content_type_allowed(info.content_type or "", policy.content_types):
            problem = ValidationError(
                self.error_messages["type"], code="type", params={"type": info.content_type}
            )
        if problem is not None:
            storage.delete(data.name)  # it lies in this form's own folder: nobody else's
            raise problem
        return data.name


def guess_content_type(filename: str, declared: str) -> str:
    """What the browser said, else a guess from the name, else ``application/octet-stream``."""
    declared = declared.strip()
    if declared:
        return declared
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"
