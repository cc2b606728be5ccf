"""Role resolution and authorisation decisions (pure)."""

from __future__ import annotations

from collections.abc import Iterable

from opsbot.config import RbacConfig, Role
from opsbot.errors import NotAuthorised


def resolve_role(user_id: str, group_ids: Iterable[str], rbac: RbacConfig) -> Role:
    """The highest role granted to the user directly or through any of their user groups."""
    roles = [rbac.default_role, rbac.users.get(user_id, Role.NONE)]
    roles.extend(rbac.groups.get(group, Role.NONE) for group in group_ids)
    return max(roles)


def authorise(role: Role, channel_id: str, required: Role, rbac: RbacConfig, verb: str) -> None:
    """Raise ``NotAuthorised`` with a message that says what is missing."""
    if rbac.allowed_channels and channel_id not in rbac.allowed_channels:
        raise NotAuthorised(f"`{verb}` is not available in this channel; use one of the ops channels")
    if role < required:
        have = "no role" if role is Role.NONE else f"the {role.name.lower()} role"
        raise NotAuthorised(f"`{verb}` needs the {required.name.lower()} role; you have {have}")
