"""Sentences for the curiosity practice's rules (cogs/curiosity/logic.py), in two sets.

`TABLE` is checked row by row (tests/unit/test_curiosity_logic.py): what Hearth notices,
and that every rewrite keeps what the sentence is about (`keep`, each found in every
rewrite, any case). `FRESH` was written apart from the rules and is only measured:
precision and recall of "critical or not" (also by bench/curiosity_tone.py, which compares
our word list with a lexicon library for the tone overall).
"""

from __future__ import annotations

from typing import NamedTuple


class Row(NamedTuple):
    text: str
    kind: str | None  # the phrasing noticed first (None: nothing critical)
    keep: tuple[str, ...] = ()


TABLE: tuple[Row, ...] = (
    # --- critical
    Row("Why would you tell everyone about my job?", "why-would-you", ("about my job",)),
    Row("Why on earth did you sell the car?", "why-would-you", ("sell the car",)),
    Row("Why did you leave the party without saying bye?", "why-did-you", ("the party",)),
    Row("You're always glued to your phone at dinner.", "youre-always", ("your phone",)),
    Row("Why didn't you call me back?", "why-didnt-you", ("call me back",)),
    Row("Why can't you just put the lid back on?", "why-cant-you", ("put the lid back on",)),
    Row("Why do you always leave your socks on the floor?", "why-do-you-always", ("socks",)),
    Row("Why do you keep interrupting me?", "why-do-you-keep", ("interrupting me",)),
    Row("Why don't you ever text first?", "why-do-you-never", ("text first",)),
    Row("You always forget my birthday.", "you-always", ("forget my birthday",)),
    Row("You never listen to me.", "you-never", ("listen to me",)),
    Row("You never called me back.", "you-never", ("call me back",)),
    Row(
        "What's wrong with you? You forgot my birthday again.",
        "whats-wrong-with-you",
        ("forgot my birthday",),
    ),
    Row("Obviously you don't care about this project.", "obviously-you", ("this project",)),
    Row("Clearly you think this is funny.", "obviously-you", ("funny",)),
    Row("You clearly weren't listening in the meeting.", "obviously-you", ("the meeting",)),
    Row("You should have told me sooner.", "you-should-have", ("told me sooner",)),
    Row("You should know better than that.", "you-should-know-better", ("you",)),
    Row("How could you say that to my sister?", "how-could-you", ("my sister",)),
    Row(
        "How many times do I have to tell you to close the door?",
        "how-many-times",
        ("close the door",),
    ),
    Row("You're so lazy, the dishes have been there for days.", "name-calling", ("dishes",)),
    Row("Do it now, you moron.", "name-calling", ("do it now",)),
    Row("You're such a jerk sometimes.", "name-calling", ("you",)),
    Row("It's all your fault that we missed the train.", "your-fault", ("missed the train",)),
    Row("Because of you, we lost the deposit.", "your-fault", ("lost the deposit",)),
    Row("You ruined the surprise party.", "you-ruined", ("surprise party",)),
    Row("You're being so dramatic about the dishes.", "youre-being", ("dishes",)),
    Row("Stop being so childish.", "youre-being", ("you",)),
    Row("Just calm down.", "calm-down", ("you",)),
    Row("It's not a big deal, get over it.", "calm-down", ("you",)),
    Row("Are you serious right now?", "are-you-serious", ("you",)),
    Row("Are you kidding me? We agreed on Tuesday.", "are-you-serious", ("agreed on tuesday",)),
    Row("Seriously?", "are-you-serious", ("you",)),
    Row("What were you thinking?", "what-were-you-thinking", ("you",)),
    Row("Who does that?", "what-were-you-thinking", ("you",)),
    Row("what is your problem", "whats-wrong-with-you", ("you",)),
    Row("WHAT IS WRONG WITH YOU", "whats-wrong-with-you", ("you",)),
    Row("Nice going, you broke the printer again.", "sarcasm-at-you", ("broke the printer",)),
    Row("Oh great, you lost the keys again.", "sarcasm-at-you", ("lost the keys",)),
    Row("Yeah, right.", "sarcasm-marker", ("you",)),
    Row("Thanks for nothing.", "sarcasm-marker", ("you",)),
    Row("You have no idea how hard this week was.", "you-have-no-idea", ("this week",)),
    Row("You need to stop interrupting me.", "you-need-to-stop", ("interrupting me",)),
    Row("You keep leaving your bike in the hall.", "you-keep", ("bike in the hall",)),
    Row("You don't even care about me.", "you-dont-even", ("care about me",)),
    Row("You don't care about anyone but yourself.", "you-dont-care", ("anyone but yourself",)),
    Row("You're wrong about the date.", "youre-wrong", ("the date",)),
    Row("That's a stupid idea.", "thats-stupid", ("idea",)),
    Row("You're never on time.", "youre-never", ("on time",)),
    Row("WHY WOULD YOU DO THAT", "why-would-you", ("do that",)),
    Row("Why would you do that, you idiot?!", "why-would-you", ("do that",)),
    Row("I CAN'T BELIEVE YOU LEFT WITHOUT US", "shouting", ("left without us",)),
    Row("I hate it when you leave me on read.", "harsh-tone", ("leave me on read",)),
    # --- not critical, some of them tricky
    Row("Why don't we try the new ramen place on Friday?", None),
    Row("Why did the train stop in the middle of nowhere?", None),
    Row("Why would the app crash like that?", None),
    Row("Why is the sky so orange tonight?", None),
    Row('She told me "you never listen" and it stung.', None),
    Row("My boss said `you should have known better` and I froze.", None),
    Row("> you're so lazy\nThat's what my brother texted me, ugh.", None),
    Row("Why do you like jazz so much?", None),
    Row("Why did you pick that book? I'm curious!", None),
    Row("You always make me laugh.", None),
    Row("You never fail to cheer me up.", None),
    Row("You're always so thoughtful.", None),
    Row("You should have seen the sunset!", None),
    Row("Are you serious about learning the cello? That's amazing!", None),
    Row("I'm so stupid, I locked myself out again.", None),
    Row("This week was awful and I feel terrible.", None),
    Row("Help me understand what led you to move cities?", None),
    Row("I noticed you seemed quiet today — how are you doing?", None),
    Row("What were the best bits of your trip?", None),
    Row("How could we make Sunday dinners easier for everyone?", None),
    Row("Can you tell me more about your new job?", None),
    Row("Thanks a lot for helping me move!", None),
    Row("Great job on the presentation, you nailed it!", None),
    Row("I wonder why you chose that colour, it's lovely.", None),
    Row("What's the matter with the printer?", None),
    Row("Who does the dishes tonight?", None),
    Row("LOL that was SO funny", None),
    Row("NASA launched a new telescope today.", None),
    Row("Honestly I'm exhausted and a bit sad today.", None),
)

# Written apart from the rules, labelled only critical (True) or not: measured, not fitted.
FRESH: tuple[tuple[str, bool], ...] = (
    ("Why would anyone in their right mind book a flight at 5am?", True),
    ("You always do this when we have plans.", True),
    ("Why did you invite him without asking me?", True),
    ("You're so selfish.", True),
    ("Honestly, what is wrong with you lately?", True),
    ("You never help with the shopping.", True),
    ("Why can't you be on time for once?", True),
    ("Typical. You forgot again.", True),
    ("You should've asked before borrowing my charger.", True),
    ("Are you kidding? That's the third time this week.", True),
    ("Clearly you didn't read my message.", True),
    ("STOP TEXTING ME DURING DINNER", True),
    ("You're such a baby about spiders.", True),
    ("Wow, real mature.", True),
    ("How dare you read my diary!", True),
    ("It's your fault the cake burned.", True),
    ("You keep ignoring my texts.", True),
    ("Why do you even bother coming if you're going to be on your phone?", True),
    ("Ugh, you're useless at this.", True),
    ("What were you even thinking, leaving the door unlocked?", True),
    ("Why don't you come over for dinner on Saturday?", False),
    ("How did you get into pottery?", False),
    ("What made you decide to move to Lisbon?", False),
    ("You always know the best songs.", False),
    ("I felt a bit left out yesterday, can we talk?", False),
    ("Why is my laptop so slow today?", False),
    ('He said "why would you even go there" and laughed.', False),
    ("Did you ever finish that book you were reading?", False),
    ("Why did you choose teaching? I've always wondered.", False),
    ("You never cease to amaze me.", False),
    ("I'm curious, what do you love most about your job?", False),
    ("Are you okay? You seemed quiet at lunch.", False),
    ("That was a ridiculous amount of cake, and I loved it.", False),
    ("Can you help me understand the new rota?", False),
    ("What's your favourite memory from school?", False),
    ("I messed up the booking, sorry everyone.", False),
    ("Why would the shop close early on a Friday?", False),
    ("You should try the new bakery on Main Street.", False),
    ("Tell me more about the hike, it sounds amazing!", False),
    ("How was your week, really?", False),
)


def precision_recall(predicted: list[bool], actual: list[bool]) -> tuple[float, float]:
    """Of what was flagged, how much was critical; of what was critical, how much was
    flagged."""
    hits = sum(p and a for p, a in zip(predicted, actual, strict=True))
    flagged, critical = sum(predicted), sum(actual)
    return (hits / flagged if flagged else 1.0), (hits / critical if critical else 1.0)
