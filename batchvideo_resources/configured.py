"""Resources configured by the settings model, with nothing declared twice.

A setting marked `feeds("tts.url")` in `settings.py` is the `url` field of the `tts` resource: the
resource class gets the field from `settings_fields("tts")` (its type, default and description, the
variable named), and `resource_values("tts", settings)` hands it the value in force. A new setting is
then one field in `settings.py`; the resource, the code location and the step environment follow.

Handing a value over: a secret goes as `dg.EnvVar`, so the UI and the job snapshot stored with every
run show the variable's name only; so does a URL with credentials in it (`user:password@`; a database
URL only when it has a password, its user name being the role, not a secret); everything else as is,
paths as strings.
"""

from __future__ import annotations

import types
from pathlib import Path
from typing import Annotated, Literal, Union, get_args, get_origin
from urllib.parse import urlsplit

import dagster as dg
from pydantic import Field, SecretStr, create_model
from pydantic_core import PydanticUndefined

from batchvideo_resources.settings import SECTIONS, Settings, resource_settings


def _config_type(annotation):
    """The Dagster config type of a setting's type: secrets and paths travel as strings, choices as
    the chosen string (the settings model has already checked it), constraints stay in the model."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _config_type(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return Union[tuple(_config_type(arg) for arg in get_args(annotation))]  # noqa: UP007
    if origin is Literal:
        return str
    if annotation in (SecretStr, Path):
        return str
    return annotation


def _description(section: str, name: str) -> str:
    field = SECTIONS[section].model_fields[name]
    choices = get_args(field.annotation) if get_origin(field.annotation) is Literal else ()
    text = field.description or " | ".join(choices)
    return f"{text} ({' or '.join(SECTIONS[section].env_names(name))})"


def settings_fields(key: str) -> type[dg.ConfigurableResource]:
    """A ConfigurableResource base whose fields are the settings that configure the resource `key`;
    the resource class adds its own knobs (time limits, retries) and its behaviour."""
    fields = {}
    for section, name, target, required in resource_settings(key):
        setting = SECTIONS[section].model_fields[name]
        default = setting.default
        if default is PydanticUndefined or setting.default_factory is not None:
            raise TypeError(f"{section}.{name} needs a plain default to configure {key}.{target}")
        if isinstance(default, Path):
            default = str(default)
        config_type = _config_type(setting.annotation)
        fields[target] = (str if required else config_type,
                          Field(... if required else default, description=_description(section, name)))
    return create_model(f"{key.title().replace('_', '')}Settings", __base__=dg.ConfigurableResource,
                        __module__=__name__, **fields)


def _shown_by_name(name: str, value: str, secret: bool) -> bool:
    if name.endswith("url"):
        parts = urlsplit(value)
        return bool(parts.password or (parts.username and not secret))
    return secret


def resource_values(key: str, settings: Settings, *, for_definitions: bool = True) -> dict:
    """The values of the resource `key`'s settings fields. `for_definitions`: secrets and credentials
    as their variables (the code location); otherwise the values themselves (a resource the CLI uses
    outside a run)."""
    values = {}
    for section_name, name, target, _ in resource_settings(key):
        section = getattr(settings, section_name)
        value = getattr(section, name)
        secret = isinstance(value, SecretStr)
        raw = value.get_secret_value() if secret else value
        if isinstance(raw, Path):
            raw = str(raw)
        if raw is not None and for_definitions and _shown_by_name(name, raw, secret):
            values[target] = dg.EnvVar(section.env_names(name)[0])
        else:
            values[target] = raw
    return values
