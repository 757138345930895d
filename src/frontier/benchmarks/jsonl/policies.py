"""Model-free baselines for the JSONL benchmark, weakest first.

A generic task has no environment to explore, so the only honest scripted
players are floors: `echo` answers with the prompt itself (near 0 on any sane
verifier), `guess` picks one of the task's `choices` at random when the record
has them (1/n on multiple choice) and otherwise echoes. Neither reads the
reference answer. They exist so the offline loop and the tests can run the
benchmark end to end, not to measure anything.
"""

from __future__ import annotations

import random

from frontier.domain.interfaces import Episode

PROFILES = ("echo", "guess")


class EchoPolicy:
    async def play(self, episode: Episode, rng: random.Random) -> None:
        await episode.call("answer", {"answer": episode.task.query})


class GuessPolicy:
    def __init__(self, choices_field: str) -> None:
        self.choices_field = choices_field

    async def play(self, episode: Episode, rng: random.Random) -> None:
        choices = episode.task.payload.get(self.choices_field)
        if isinstance(choices, list) and choices:
            await episode.call("answer", {"answer": str(rng.choice(choices))})
        else:
            await episode.call("answer", {"answer": episode.task.query})


def make_policy(profile: str, choices_field: str) -> EchoPolicy | GuessPolicy:
    if profile == "echo":
        return EchoPolicy()
    if profile == "guess":
        return GuessPolicy(choices_field)
    raise ValueError(f"unknown jsonl profile {profile!r}; available: {', '.join(PROFILES)}")
