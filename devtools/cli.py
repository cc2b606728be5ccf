"""`make local` / `opsbot-local`: keep the offline stack up and send one signed slash command at a time.

Type the text after `/mycandidate` (e.g. `scale 4 for 2h`). Prefix with `as <user>` to change who you are
(admin, operator, viewer, stranger). `click <action_id> <value>` presses a button; `quit` stops.
"""

from __future__ import annotations

import sys
from itertools import count

from devtools.local_stack import ADMIN, OPERATOR, STRANGER, VIEWER, running_stack
from devtools.transcript import ack_text, message_text

USERS = {"admin": ADMIN, "operator": OPERATOR, "viewer": VIEWER, "stranger": STRANGER}


def main() -> int:
    print(__doc__)
    with running_stack() as stack:
        print(f"moto at {stack.endpoint}; Slack recorder at {stack.recorder.url}")
        bot = stack.bot()
        user = OPERATOR
        ids = count(1)
        while True:
            try:
                line = input(f"[{user}] /mycandidate ").strip()
            except EOFError:
                return 0
            if line in {"quit", "exit"}:
                return 0
            words = line.split()
            if len(words) >= 2 and words[0] == "as":
                if words[1] not in USERS:
                    print(f"unknown user {words[1]!r}; choose from {', '.join(USERS)}")
                    continue
                user, line = USERS[words[1]], " ".join(words[2:])
                if not line:
                    continue
            url = f"{stack.recorder.url}/response/{next(ids)}"
            before = len(stack.recorder.response_url_posts())
            if line.startswith("click "):
                parts = line.split(maxsplit=2)
                if len(parts) != 3:
                    print("usage: click <action_id> <value>")
                    continue
                bot.click(parts[1], parts[2], user, response_url=url)
            else:
                ack = bot.command(line, user, response_url=url)
                print("ack>", ack_text(ack) or "(empty)")
            for call in stack.recorder.response_url_posts()[before:]:
                print("bot>", message_text(call.body))
                for block in call.body.get("blocks", []):
                    for element in block.get("elements", []) if block["type"] == "actions" else []:
                        print(f"     button: click {element['action_id']} {element['value']}")


if __name__ == "__main__":
    sys.exit(main())
