"""``smsrelay.toml``: every setting of :class:`smsrelay.config.Settings` in one file.

The file holds the settings by their names, at the top level (the same names as the
``SMSRELAY_<NAME>`` environment variables, in lower case)::

    database_url = "postgresql://smsrelay@db/smsrelay"
    host = "0.0.0.0"
    port = 8080
    simulator = false
    smpp_host = "smsc.carrier.example"

    [extra]                       # free-form settings of features (strings)
    max_upload_bytes = "10485760"

Precedence, lowest first: defaults, this file, the environment, the command line. A key that is
not a setting, or a value of the wrong type, fails at start naming the key and the file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import Field
from pathlib import Path
from typing import Any, Final

__all__ = ["SECRET_SETTINGS", "read_config_file", "render_settings"]

#: settings shown as ``***`` by ``smsrelay config show`` (database_url: its password only)
SECRET_SETTINGS: Final = frozenset({"simulator_password", "smpp_password", "viber_token"})

_KINDS: Final = {"bool": bool, "int": int, "float": float, "str": str}


class _Error(ValueError):
    pass


def _kind(f: Field[Any]) -> type | None:
    name = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
    return _KINDS.get(name)


def read_config_file(path: str | Path, settings_fields: tuple[Field[Any], ...]) -> dict[str, Any]:
    """The settings in the TOML file at ``path``, checked against ``settings_fields``.

    Raises ``ValueError`` naming the file and the key (the caller turns it into its
    ``ConfigError``)."""
    file = Path(path)
    try:
        with file.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise _Error(f"config file {file} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise _Error(f"config file {file}: not valid TOML ({exc})") from exc
    except OSError as exc:
        raise _Error(f"config file {file}: {exc.strerror}") from exc
    known = {f.name: f for f in settings_fields}
    values: dict[str, Any] = {}
    for key, value in data.items():
        where = f"setting {key} (in {file})"
        if key == "extra":
            if not isinstance(value, Mapping) or not all(
                isinstance(v, str | int | float | bool) for v in value.values()
            ):
                raise _Error(f"{where}: must be a table of plain values")
            values["extra"] = {str(k): str(v) for k, v in value.items()}
            continue
        field = known.get(key)
        if field is None:
            raise _Error(f"{where}: unknown setting (see `smsrelay config show` for the names)")
        values[key] = _checked(where, value, _kind(field))
    return values


def _checked(where: str, value: Any, kind: type | None) -> Any:
    if kind is bool:
        if not isinstance(value, bool):
            raise _Error(f"{where}: must be true or false")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Error(f"{where}: must be an integer")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Error(f"{where}: must be a number")
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            raise _Error(f"{where}: must be a string")
        return value
    return value


def render_settings(
    values: Mapping[str, Any],
    sources: Mapping[str, str],
    settings_fields: tuple[Field[Any], ...],
    mask_url: Any,
) -> str:
    """The effective settings as a TOML file (secrets masked), each with where it came from."""
    lines: list[str] = []
    for f in settings_fields:
        if f.name == "extra":
            continue
        value = values[f.name]
        if f.name in SECRET_SETTINGS and value:
            value = "***"
        elif f.name == "database_url":
            value = mask_url(value)
        lines.append(f"{f.name} = {_toml(value)}  # {sources.get(f.name, 'default')}")
    extra = values.get("extra") or {}
    if extra:
        lines.append("")
        lines.append("[extra]")
        lines.extend(f"{k} = {_toml(v)}" for k, v in sorted(extra.items()))
    return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
