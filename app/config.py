"""One settings object; every value comes from an environment variable MONITOR_*."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Below this, complementary suppression cannot protect small groups: refuse to start.
MIN_CELL_FLOOR = 5


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MONITOR_", extra="ignore")

    database_url: str = "sqlite:///var/monitor.db"
    survey_defs: Path = Path("survey_defs")
    min_cell: int = Field(default=10, ge=MIN_CELL_FLOOR)
    # Disclosure control (CONTRACT section 7): every hidden figure keeps a band of at least
    # twice this (0.10: 20 percentage points) that the published figures cannot narrow.
    # 0 leaves only cell suppression (no audit at close): quick test databases, never a
    # real wave.
    protection: float = Field(default=0.10, ge=0.0, le=0.5)
    cors_origins: Annotated[list[str], NoDecode] = []
    dashboard_dir: Path = Path("dashboards")
    max_body_bytes: int = 1024 * 1024
    # Failed code attempts (a respondent route refusing an unknown, foreign or spent code)
    # per client address and from all addresses together, per 10 minutes; further
    # attempts get 429 until the window has passed. Failed API keys and tokens are counted
    # with the same numbers, apart. 0 switches a limit off.
    code_failures_per_address: int = Field(default=20, ge=0)
    code_failures_total: int = Field(default=1000, ge=0)
    # Writes per minute per client address on respondent routes, valid ones included; 0
    # (the default) switches it off: a whole intranet may reach us from one proxy address.
    rate_limit: int = Field(default=0, ge=0)
    # Our own reverse proxies: behind them the client is the last X-Forwarded-For address.
    proxy_addresses: Annotated[list[str], NoDecode] = []
    log_level: str = "info"
    # Intranet single sign-on (optional): analysts and admins may send a JWT from the
    # intranet's identity provider instead of an API key. It is checked against the keys
    # in this JWKS file, its issuer and audience; its role comes from this claim (a dotted
    # path, e.g. "realm_access.roles"; values "analyst" / "admin").
    jwks_file: Path | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_role_claim: str = "role"
    # Blind-signed tokens (waves created with --tokens): a staff member's sign-in counts as
    # staff when this claim (a dotted path; a string, a list or a boolean) holds this value.
    jwt_staff_claim: str = "role"
    jwt_staff_value: str = "staff"
    # The key that seals each token wave's private key and keys the hashes of who has had
    # a token (made on first use; every worker and host of one deployment must share it).
    token_secret_file: Path = Path("var/token.key")
    # Where the survey page gets the staff member's sign-in for a token: the intranet's
    # endpoint, called from the browser with its cookies, that answers with a JWT (as
    # {"access_token": ...}, {"id_token": ...} or plain text). None: no button.
    identity_token_url: str | None = None
    # The survey's session cookie is sealed with the key in this file (made on first use;
    # every worker and host of one deployment must share it).
    secret_key_file: Path = Path("var/secret.key")
    # A survey session ends after this many minutes without a page being loaded or sent.
    session_idle_minutes: int = Field(default=20, ge=1, le=24 * 60)
    # Where the survey's "quick exit" button leaves to: a neutral site.
    quick_exit_url: str = "https://www.rijksoverheid.nl"

    @field_validator("cors_origins", "proxy_addresses", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("identity_token_url")
    @classmethod
    def _identity_url_is_web(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("MONITOR_IDENTITY_TOKEN_URL must be an http(s) address")
        return value

    def identity_origins(self) -> tuple[str, ...]:
        """The origin the survey page fetches the sign-in from, if not our own."""
        if not self.identity_token_url:
            return ()
        url = urlsplit(self.identity_token_url)
        return (f"{url.scheme}://{url.netloc}",)

    @model_validator(mode="after")
    def _sso_is_complete(self) -> Settings:
        if self.jwks_file is not None and not (self.jwt_issuer and self.jwt_audience):
            # Without both, a token meant for another application would be accepted.
            raise ValueError(
                "MONITOR_JWKS_FILE needs MONITOR_JWT_ISSUER and MONITOR_JWT_AUDIENCE as well"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
