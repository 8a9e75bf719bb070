"""Prompt formats: how a conversation becomes model input.

A rendered conversation is a list of :class:`Segment`: template text (whose control tokens such as
``<start_of_turn>`` must be parsed as control tokens) and message content (parsed as plain text, so
a message cannot forge a turn boundary).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from models.errors import InvalidRequest
from models.types import ChatMessage

__all__ = ["ChatFormat", "Segment", "chat_format"]


@dataclass(frozen=True)
class Segment:
    text: str
    special: bool


@dataclass(frozen=True)
class ChatFormat:
    """Renders messages to segments; ``stop`` ends the assistant's turn."""

    name: str
    stop: tuple[str, ...]
    template: str | None = None
    bos_token: str = ""
    eos_token: str = ""

    def render(self, messages: Sequence[ChatMessage], *, add_generation_prompt: bool) -> list[Segment]:
        if self.name == "gemma":
            return _gemma(messages, add_generation_prompt)
        if self.name == "chatml":
            return _chatml(messages, add_generation_prompt)
        if self.name == "plain":
            return _plain(messages, add_generation_prompt)
        return self._jinja(messages, add_generation_prompt)

    def _jinja(self, messages: Sequence[ChatMessage], add_generation_prompt: bool) -> list[Segment]:
        import jinja2
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        assert self.template is not None
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)

        def raise_exception(message: str) -> None:
            raise InvalidRequest(f"the model's chat template rejected the conversation: {message}")

        env.globals["raise_exception"] = raise_exception
        try:
            template = env.from_string(self.template)
        except jinja2.TemplateError as exc:
            raise InvalidRequest(f"the chat template does not compile: {exc}") from exc
        marks = [f"\x1e{i}\x1e" for i in range(len(messages))]
        marked = [{"role": m.role, "content": mark} for m, mark in zip(messages, marks, strict=True)]
        try:
            rendered = template.render(
                messages=marked,
                add_generation_prompt=add_generation_prompt,
                bos_token=self.bos_token,
                eos_token=self.eos_token,
            )
        except jinja2.TemplateError as exc:
            raise InvalidRequest(f"the chat template failed to render: {exc}") from exc
        if self.bos_token and rendered.startswith(self.bos_token):
            rendered = rendered[len(self.bos_token) :]
        parts = re.split("(\x1e\\d+\x1e)", rendered)
        if sum(1 for p in parts if p in marks) != len(messages):
            # The template rewrote the content; keep template and content together as control text
            # after removing control-token text from the content.
            plain = [{"role": m.role, "content": m.content} for m in messages]
            text = template.render(
                messages=plain,
                add_generation_prompt=add_generation_prompt,
                bos_token=self.bos_token,
                eos_token=self.eos_token,
            )
            if self.bos_token and text.startswith(self.bos_token):
                text = text[len(self.bos_token) :]
            return [Segment(text, True)]
        segments: list[Segment] = []
        for part in parts:
            if part in marks:
                segments.append(Segment(messages[marks.index(part)].content, False))
            elif part:
                segments.append(Segment(part, True))
        return segments


def _gemma(messages: Sequence[ChatMessage], add_generation_prompt: bool) -> list[Segment]:
    out: list[Segment] = []
    for m in messages:
        role = "model" if m.role == "assistant" else "user"
        out.append(Segment(f"<start_of_turn>{role}\n", True))
        out.append(Segment(m.content, False))
        out.append(Segment("<end_of_turn>\n", True))
    if add_generation_prompt:
        out.append(Segment("<start_of_turn>model\n", True))
    return out


def _chatml(messages: Sequence[ChatMessage], add_generation_prompt: bool) -> list[Segment]:
    out: list[Segment] = []
    for m in messages:
        out.append(Segment(f"<|im_start|>{m.role}\n", True))
        out.append(Segment(m.content, False))
        out.append(Segment("<|im_end|>\n", True))
    if add_generation_prompt:
        out.append(Segment("<|im_start|>assistant\n", True))
    return out


def _plain(messages: Sequence[ChatMessage], add_generation_prompt: bool) -> list[Segment]:
    names = {"system": "System", "user": "User", "assistant": "Assistant"}
    out: list[Segment] = []
    for m in messages:
        out.append(Segment(f"{names[m.role]}: {m.content}\n", False))
    if add_generation_prompt:
        out.append(Segment("Assistant:", False))
    return out


_STOPS = {"gemma": ("<end_of_turn>",), "chatml": ("<|im_end|>",), "plain": ("\nUser:", "\nSystem:")}


def chat_format(
    name: str, *, template: str | None = None, bos_token: str = "", eos_token: str = ""
) -> ChatFormat:
    """The chat format called ``name``; ``template`` (Jinja) overrides it when given."""
    if template is not None:
        return ChatFormat("jinja", (eos_token,) if eos_token else (), template, bos_token, eos_token)
    if name in _STOPS:
        return ChatFormat(name, _STOPS[name])
    raise InvalidRequest(
        f"prompt format {name!r} needs a chat template, and the model file carries none; "
        "set chat_template or another prompt_format in the models config"
    )
