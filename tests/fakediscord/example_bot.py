"""A small plain discord.py bot that exercises the emulator in its own tests (and shows how
an ordinary bot talks to it): app commands, a subcommand group, context menus, a View with
buttons and a select, a Modal, autocomplete, DMs and threads."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

ZONES = ["Europe/Berlin", "Europe/Lisbon", "America/New_York", "Asia/Tokyo"]


class JoinView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Join", custom_id="ex:join", style=discord.ButtonStyle.primary)
    async def join(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(content=f"{interaction.user.name} joined")

    @discord.ui.button(label="Tell me", custom_id="ex:tell")
    async def tell(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.send_message("just for you", ephemeral=True, view=OkView())

    @discord.ui.select(
        custom_id="ex:pick",
        placeholder="Pick a practice",
        options=[
            discord.SelectOption(label="Listening", value="listening"),
            discord.SelectOption(label="Phones down", value="phones_down"),
        ],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[Any]) -> None:
        await interaction.response.edit_message(content=f"picked {','.join(select.values)}")


class OkView(discord.ui.View):
    @discord.ui.button(label="OK", custom_id="ex:ok")
    async def ok(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.send_message(f"ok {interaction.user.name}")


class PeopleView(discord.ui.View):
    @discord.ui.select(
        cls=discord.ui.UserSelect, custom_id="ex:people", placeholder="Who?", max_values=3
    )
    async def people(
        self, interaction: discord.Interaction, select: discord.ui.UserSelect[Any]
    ) -> None:
        names = sorted(u.name for u in select.values)
        await interaction.response.send_message(f"chose {', '.join(names)}", ephemeral=True)


class Feedback(discord.ui.Modal):
    def __init__(self, title: str = "Feedback") -> None:
        super().__init__(title=title, custom_id="ex:feedback")
        self.name: discord.ui.TextInput[Feedback] = discord.ui.TextInput(
            label="Your name", custom_id="name", max_length=20
        )
        self.thoughts: discord.ui.TextInput[Feedback] = discord.ui.TextInput(
            label="Thoughts",
            custom_id="thoughts",
            style=discord.TextStyle.paragraph,
            required=False,
        )
        self.add_item(self.name)
        self.add_item(self.thoughts)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"thanks {self.name.value}: {self.thoughts.value or '-'}", ephemeral=True
        )


class ExampleBot(commands.Bot):
    """Records what it saw so tests can assert on it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("intents", discord.Intents.default())
        kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
        super().__init__(command_prefix=commands.when_mentioned, **kwargs)
        self.seen_messages: list[discord.Message] = []
        self.errors: list[int] = []
        self.joined: list[int] = []
        self.removed: list[int] = []
        self.interactions: list[discord.Interaction] = []
        self.gate = asyncio.Event()
        self.fake_clock: Any = None  # tests hand in the emulator clock for /late
        self._add_commands()

    async def setup_hook(self) -> None:
        self.add_view(JoinView())
        await self.tree.sync()

    async def on_message(self, message: discord.Message) -> None:
        if message.author.id != self.user.id:  # type: ignore[union-attr]
            self.seen_messages.append(message)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        self.interactions.append(interaction)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.joined.append(guild.id)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        self.removed.append(guild.id)

    def _add_commands(self) -> None:
        tree = self.tree
        bot = self

        @tree.command(description="Say hello with buttons")
        async def hi(interaction: discord.Interaction, name: str) -> None:
            await interaction.response.send_message(f"hi {name}", view=JoinView())

        @tree.command(description="Think, then answer")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.followup.send("done thinking")
            await interaction.followup.send("and one more", ephemeral=True)

        @tree.command(description="Open a modal")
        async def feedback(interaction: discord.Interaction, title: str = "Feedback") -> None:
            await interaction.response.send_modal(Feedback(title))

        @tree.command(description="Pick a zone")
        async def zone(interaction: discord.Interaction, timezone: str) -> None:
            await interaction.response.send_message(f"zone {timezone}", ephemeral=True)

        @zone.autocomplete("timezone")
        async def zone_auto(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            return [
                app_commands.Choice(name=z, value=z) for z in ZONES if current.lower() in z.lower()
            ]

        @tree.command(description="Post text to the channel")
        async def echo(
            interaction: discord.Interaction, text: str, ping: discord.Member | None = None
        ) -> None:
            await interaction.response.defer(ephemeral=True)
            mentions = discord.AllowedMentions(users=[ping]) if ping else discord.utils.MISSING
            try:
                assert isinstance(interaction.channel, discord.abc.Messageable)
                await interaction.channel.send(text, allowed_mentions=mentions)
            except discord.HTTPException as e:
                bot.errors.append(e.code)
                await interaction.followup.send(f"failed {e.code}")
            else:
                await interaction.followup.send("posted")

        @tree.command(description="DM me")
        async def dm(interaction: discord.Interaction) -> None:
            try:
                await interaction.user.send("hello in private", view=OkView())
            except discord.HTTPException as e:
                bot.errors.append(e.code)
                await interaction.response.send_message(f"dm failed {e.code}", ephemeral=True)
            else:
                await interaction.response.send_message("sent you a DM", ephemeral=True)

        @tree.command(description="Start a thread")
        async def thread(interaction: discord.Interaction, name: str) -> None:
            await interaction.response.send_message("starting")
            message = await interaction.original_response()
            created = await message.create_thread(name=name)
            await created.send("welcome to the thread")

        @tree.command(description="Answer too late")
        async def late(interaction: discord.Interaction) -> None:
            bot.fake_clock.advance(timedelta(seconds=4))
            try:
                await interaction.response.send_message("too late?")
            except discord.HTTPException as e:
                bot.errors.append(e.code)

        @tree.command(description="Answer twice")
        async def twice(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("once")
            interaction.response._response_type = None  # get past discord.py's own guard
            try:
                await interaction.response.send_message("twice")
            except discord.HTTPException as e:
                bot.errors.append(e.code)

        @tree.command(description="Defer, wait for the test, then follow up")
        async def wait(interaction: discord.Interaction) -> None:
            await interaction.response.defer()
            await bot.gate.wait()
            try:
                await interaction.followup.send("after the wait")
            except discord.HTTPException as e:
                bot.errors.append(e.code)

        @tree.command(description="Choose people")
        async def people(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pick", view=PeopleView(), ephemeral=True)

        @tree.command(description="Read a file")
        async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
            data = await file.read()
            await interaction.response.send_message(f"{file.filename}: {data.decode()}")

        @tree.command(description="Edit and delete through the interaction webhook")
        async def ops(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("first")
            await interaction.edit_original_response(content="first, edited")
            extra = await interaction.followup.send("extra", wait=True)
            await extra.edit(content="extra, edited")
            gone = await interaction.followup.send("short-lived", wait=True)
            await gone.delete()

        @tree.command(description="Point at a channel")
        async def announce(
            interaction: discord.Interaction, channel: discord.TextChannel, role: discord.Role
        ) -> None:
            await interaction.response.send_message(f"{role.name} in #{channel.name}")

        @tree.command(description="Never answers")
        async def silent(interaction: discord.Interaction) -> None:
            return

        phones = app_commands.Group(name="phonesdown", description="Phones down")

        @phones.command(name="start", description="Start a challenge")
        async def start(interaction: discord.Interaction, duration: str) -> None:
            await interaction.response.send_message(f"phones down for {duration}")

        tree.add_command(phones)

        @tree.command(description="Admins only", name="admin")
        @app_commands.default_permissions(manage_guild=True)
        async def admin(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("hello admin", ephemeral=True)

        @tree.context_menu(name="Name")
        async def name_menu(interaction: discord.Interaction, member: discord.Member) -> None:
            await interaction.response.send_message(f"that is {member.name}", ephemeral=True)

        @tree.context_menu(name="Reflect back")
        async def reflect(interaction: discord.Interaction, message: discord.Message) -> None:
            await interaction.response.send_message(f"you said: {message.content}", ephemeral=True)
