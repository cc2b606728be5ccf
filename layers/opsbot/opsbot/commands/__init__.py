"""Slack commands: one module per verb, each exporting ``SPEC``; ``opsbot.commands.dispatch.REGISTRY`` maps verb ->
spec. Importing the package imports no verb: the alarm function needs only ``commands.base`` (``Ports``)."""
