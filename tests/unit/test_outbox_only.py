"""Every message a practice says because its state changed goes through the outbox.

A practice may answer an interaction (`interaction.response…`, `interaction.followup…`,
`ui.reply`) — that is the interaction's own reply — but it never posts, DMs, edits,
deletes, opens a thread or reacts on Discord by itself: those are intents
(`bot.outbox`), written with the state change, so a crash or a deploy can neither lose
nor double them, and `/privacy delete` can always find them.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Calls that would reach Discord outside the outbox, whatever object they are made on.
FORBIDDEN = {
    "send",
    "send_message",
    "edit",
    "delete",
    "create_dm",
    "create_thread",
    "add_reaction",
    "start_private_message",
    "get_partial_messageable",
    "get_partial_message",
    "fetch_message",
}
# …except on these: the interaction's own answer, and the outbox itself.
ALLOWED_RECEIVERS = ("response", "followup", "outbox", "interaction", "store")


def receiver(node: ast.Attribute) -> str:
    value = node.value
    if isinstance(value, ast.Attribute):
        return value.attr
    if isinstance(value, ast.Name):
        return value.id
    return ""


def offences(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name = node.func.attr
        if name in FORBIDDEN and receiver(node.func) not in ALLOWED_RECEIVERS:
            found.append(f"{path.relative_to(root)}:{node.lineno} {receiver(node.func)}.{name}()")
        if name == "request" and receiver(node.func) == "http":
            found.append(f"{path.relative_to(root)}:{node.lineno} http.request()")
    return found


def test_no_practice_talks_to_discord_around_the_outbox() -> None:
    found = []
    for path in sorted((ROOT / "cogs").rglob("*.py")):
        found += offences(path)
    assert found == []


def test_the_check_would_catch_a_direct_post(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(
        "async def post(channel, thread, message):\n"
        "    await channel.send('hi')\n"
        "    await message.delete()\n"
        "    await interaction.response.send_message('fine')\n"
    )
    found = offences(sneaky, tmp_path)
    assert [f.split(" ", 1)[1] for f in found] == ["channel.send()", "message.delete()"]
