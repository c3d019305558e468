"""Rephrase grounded answers with an optional OpenAI-compatible LLM, never adding a fact.

Answers are composed offline from templates and retrieved text with cited sources. When the merchant
sets an endpoint (a local Ollama at ``http://localhost:11434/v1``, vLLM or any provider), the LLM only
rewrites that draft to read naturally in the customer's language. Any failure (HTTP error, timeout,
malformed reply) and any reply carrying a number or code the draft does not have keeps the draft, so
the chat never breaks and never states something unsourced.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from shopmind.errors import check_param

SYSTEM_PROMPT = (
    "You polish the wording of a customer-service answer for an online shop. Rewrite the draft answer "
    "in the customer's language (Chinese or English), friendly and concise. Use only facts present in "
    "the draft or the sources. Keep every number, price, date, order id and product name exactly as "
    "written. Add nothing: no new facts, promises, links or offers. Reply with the rewritten answer only."
)
_LANGUAGES = {"zh": "Chinese", "en": "English"}
_OWNER = "the LLM phraser"
# Reasoning models served by Ollama or vLLM may prepend their thinking to the content.
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)


@dataclass(frozen=True)
class Draft:
    """A grounded answer to rephrase.

    Parameters
    ----------
    question : str
        The customer's message.
    answer : str
        The grounded answer composed from templates.
    sources : tuple of str
        Texts of the cited sources.
    language : str
        The customer's language, ``"zh"`` or ``"en"``.
    """

    question: str
    answer: str
    sources: tuple[str, ...]
    language: str


@dataclass(frozen=True)
class Phrased:
    """The text to send to the customer.

    Parameters
    ----------
    text : str
        The LLM's rephrasing, or the draft answer unchanged.
    used_llm : bool
        Whether ``text`` comes from the LLM.
    error : str or None
        Why the draft was kept (HTTP error, timeout, ungrounded output...), for logs.
    """

    text: str
    used_llm: bool
    error: str | None = None


class Phraser(Protocol):
    """Turns a grounded draft into the text sent to the customer."""

    def phrase(self, draft: Draft) -> Phrased:
        """Return the text for ``draft``; never raises."""
        ...


class TemplatePhraser:
    """The offline default: the draft answer as composed from templates."""

    def phrase(self, draft: Draft) -> Phrased:
        """Return the draft answer unchanged (``used_llm=False``)."""
        return Phrased(draft.answer, used_llm=False)

    def close(self) -> None:
        """Nothing to release; here so callers can close any phraser."""


class _BadReplyError(Exception):
    """The endpoint answered, but not with usable text."""


class OpenAICompatiblePhraser:
    """Rephrase drafts through the ``/chat/completions`` endpoint of an OpenAI-compatible API.

    Parameters
    ----------
    url : str
        Base URL of the API, e.g. ``http://localhost:11434/v1`` (Ollama).
    model : str
        Model name served at ``url``.
    api_key : str or None
        Sent as ``Authorization: Bearer <key>`` when set.
    timeout_s : float
        Connect, read and write timeout of each request, in seconds.
    max_tokens : int
        Upper bound on the reply's length; a reply cut off there keeps the draft.
    transport : httpx.BaseTransport or None
        Transport for the HTTP client (tests, proxies); httpx's default when None.

    Notes
    -----
    One ``httpx.Client`` is reused (it is thread-safe), so one phraser can serve concurrent chats.
    Call :meth:`close` when done.
    """

    def __init__(
        self,
        url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 10.0,
        max_tokens: int = 300,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        parts = urlsplit(url)
        check_param(
            _OWNER,
            "url",
            url,
            parts.scheme in ("http", "https") and bool(parts.netloc),
            "an http(s) URL of an OpenAI-compatible API, such as http://localhost:11434/v1",
        )
        check_param(_OWNER, "model", model, bool(model.strip()), "a model name served at the URL")
        check_param(_OWNER, "timeout_s", timeout_s, timeout_s > 0, "a number of seconds > 0")
        check_param(_OWNER, "max_tokens", max_tokens, max_tokens >= 1, "an int >= 1")
        self.url = url
        self.model = model
        self.timeout_s = timeout_s
        self.max_tokens = max_tokens
        self._endpoint = url.rstrip("/") + "/chat/completions"
        # The key lives only in the client's headers, so it never shows up in a repr or a log line.
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout_s, headers=headers, transport=transport)

    def phrase(self, draft: Draft) -> Phrased:
        """Return the LLM's rephrasing of ``draft``, or the draft with the reason it was kept.

        Parameters
        ----------
        draft : Draft
            The grounded answer.

        Returns
        -------
        Phrased
            ``used_llm=True`` only for a reply that is well formed and grounded in the draft.
        """
        try:
            text = self._complete(draft)
        except httpx.TimeoutException as exc:
            return _keep(draft, f"timeout after {self.timeout_s:g}s ({type(exc).__name__})")
        except httpx.HTTPStatusError as exc:
            body = exc.response.text[:200]
            return _keep(draft, f"HTTP {exc.response.status_code} from {self._endpoint}: {body}")
        except httpx.HTTPError as exc:  # connection refused, DNS, protocol errors
            return _keep(draft, f"{type(exc).__name__} for {self._endpoint}: {exc}")
        except _BadReplyError as exc:
            return _keep(draft, str(exc))
        except Exception as exc:  # the chat must answer whatever else goes wrong
            return _keep(draft, f"unexpected {type(exc).__name__}: {exc}")
        invented = ungrounded_tokens(text, draft)
        if invented:
            return _keep(draft, "ungrounded output: " + ", ".join(invented))
        return Phrased(text, used_llm=True)

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def _complete(self, draft: Draft) -> str:
        payload = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": _user_message(draft)},
            ],
            "temperature": 0.2,
            "max_tokens": self.max_tokens,
        }
        response = self._client.post(self._endpoint, json=payload)
        response.raise_for_status()
        try:
            body: Any = response.json()
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise _BadReplyError(f"malformed JSON from {self._endpoint}: {exc}") from exc
        choices = body.get("choices") if isinstance(body, dict) else None
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise _BadReplyError(f"no choices in the reply from {self._endpoint}")
        message = choices[0].get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            raise _BadReplyError(f"no message content in the reply from {self._endpoint}")
        # A reply cut off mid-sentence may have dropped a fact.
        if choices[0].get("finish_reason") == "length":
            raise _BadReplyError(f"reply cut off at max_tokens={self.max_tokens}")
        text = _THINK.sub("", content).strip()
        if not text:
            raise _BadReplyError(f"empty content in the reply from {self._endpoint}")
        return text


def _keep(draft: Draft, error: str) -> Phrased:
    return Phrased(draft.answer, used_llm=False, error=error)


def _user_message(draft: Draft) -> str:
    language = _LANGUAGES.get(draft.language, draft.language)
    lines = [
        f"Customer's language: {language}",
        "",
        "Customer's message:",
        draft.question,
        "",
        "Draft answer:",
        draft.answer,
    ]
    if draft.sources:
        lines += ["", "Sources:", *(f"[{i}] {s}" for i, s in enumerate(draft.sources, 1))]
    return "\n".join(lines)


# A comma between digit groups is a thousands separator: 1,299 == 1299.
_THOUSANDS = re.compile(r"(?<=[0-9]),(?=[0-9]{3}(?![0-9]))")
# Runs of latin letters and digits, with an optional decimal part: 26.90, 2026, so20260305001, 500g.
_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_ORDINAL = re.compile(r"([0-9]+)(?:st|nd|rd|th)")
# Space between a number and a word ("500 g", "iPhone 15"), so "500g" and "iphone15" are grounded.
_GAP = re.compile(r"(?<=[0-9])\s+(?=[a-z])|(?<=[a-z])\s+(?=[0-9])")


def _fold(text: str) -> str:
    # NFKC folds full-width digits and letters (２６．９ -> 26.9, ＳＯ -> SO).
    return _THOUSANDS.sub("", unicodedata.normalize("NFKC", text).lower())


def _number_key(number: str) -> str:
    whole, _, frac = number.partition(".")
    whole = whole.lstrip("0") or "0"  # "05" of 2026-03-05 is the 5 of "March 5"
    frac = frac.rstrip("0")  # 26.90 == 26.9, 26.00 == 26
    return f"{whole}.{frac}" if frac else whole


def _key(token: str) -> str | None:
    if _NUMBER.fullmatch(token):
        return _number_key(token)
    ordinal = _ORDINAL.fullmatch(token)
    if ordinal:
        return _number_key(ordinal.group(1))
    return token if any(c.isdigit() for c in token) else None


def ungrounded_tokens(text: str, draft: Draft) -> list[str]:
    """List the numbers and codes in ``text`` that the draft does not contain.

    Checked are numbers (``48``, ``26.9``, each part of ``2026-03-05``) and latin words with digits,
    which include order ids (``SO20260305001``) and models (``X200``, ``500g``). Grounded means found
    in the draft's answer or sources (not in the customer's question), compared after NFKC folding (full-width digits) and
    lower-casing, with numbers compared by value (``26.90`` == ``26.9``, ``05`` == ``5``,
    ``1,299`` == ``1299``, ``5th`` == ``5``).

    Parameters
    ----------
    text : str
        The LLM's rephrasing.
    draft : Draft
        The grounded draft it rephrases.

    Returns
    -------
    list of str
        The offending tokens, folded, in order of first appearance; empty when grounded.

    Notes
    -----
    Numbers are checked as a bag, not in context: a price moved onto another item passes. Numbers
    written in words (Chinese numerals such as 三天, English "three days") and product names without
    digits are out of scope; the system prompt asks the model to keep them.
    """
    # the customer's own message is not a source: "my 500 yuan refund" does not make 500 a fact
    grounded = _fold("\n".join((draft.answer, *draft.sources)))
    known = {_number_key(n) for n in _NUMBER.findall(grounded)}  # numbers inside codes count too
    for variant in (grounded, _GAP.sub("", grounded)):
        known.update(k for t in _TOKEN.findall(variant) if (k := _key(t)) is not None)
    found: list[str] = []
    seen: set[str] = set()
    for token in _TOKEN.findall(_fold(text)):
        key = _key(token)
        if key is not None and key not in known and key not in seen:
            seen.add(key)
            found.append(token)
    return found


def make_phraser(
    url: str | None, model: str | None, api_key: str | None = None, timeout_s: float = 10.0
) -> Phraser:
    """Build the phraser for the merchant's settings.

    Parameters
    ----------
    url : str or None
        Base URL of an OpenAI-compatible API; empty or None for offline templates only.
    model : str or None
        Model name; required with a URL.
    api_key : str or None
        Bearer key, if the endpoint needs one.
    timeout_s : float
        Request timeout in seconds.

    Returns
    -------
    Phraser
        :class:`TemplatePhraser` without a URL, else :class:`OpenAICompatiblePhraser`.

    Raises
    ------
    InvalidParameterError
        When the URL is not http(s) or the model is missing.
    """
    if not url or not url.strip():
        return TemplatePhraser()
    name = (model or "").strip()
    check_param(_OWNER, "model", model, bool(name), "a model name served at the URL")
    return OpenAICompatiblePhraser(url.strip(), name, api_key=api_key or None, timeout_s=timeout_s)
