"""opsbot: the operations bot for MyCandidate.

Layers: entry adapters (``opsbot.slack``) -> logic (``opsbot.logic``, ``opsbot.commands``) -> adapters
(``opsbot.aws``). Logic never imports boto3 or Slack; adapters are built by cached factories in
``opsbot.dependencies`` and passed in.
"""

__version__ = "0.1.0"
