"""The seller's SQS queue that Amazon's ORDER_CHANGE notifications arrive on (boto3).

One :class:`NotificationQueue` per account, built from its settings (``sqs_queue_url``,
``sqs_region``, ``sqs_endpoint_url`` for an SQS-compatible server, ``sqs_wait_seconds``) and its
encrypted credentials (``aws_access_key_id`` / ``aws_secret_access_key``; without them boto3's
own chain: environment, instance role). boto3 blocks, so each call runs in a worker thread;
a long poll waits at most ``sqs_wait_seconds`` (default 5: a stopping hub is never held up
longer, and a message is returned the moment it arrives whatever the wait).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from channelhub.core.errors import ConfigError

#: SQS's own bounds: at most 10 messages per receive, a long poll of at most 20 s.
MAX_MESSAGES = 10
MAX_WAIT_SECONDS = 20
DEFAULT_WAIT_SECONDS = 5


@dataclass(frozen=True)
class QueueMessage:
    """One received message: its id, the handle that deletes it, and its raw body."""

    message_id: str
    receipt_handle: str
    body: str


@dataclass(frozen=True, repr=False)
class QueueSettings:
    """Where an account's notification queue is and how to reach it."""

    url: str
    region: str
    endpoint_url: str | None = None
    access_key_id: SecretStr | None = None
    secret_access_key: SecretStr | None = None
    wait_seconds: int = DEFAULT_WAIT_SECONDS

    def __repr__(self) -> str:
        return f"QueueSettings(url={self.url!r}, region={self.region!r})"

    @classmethod
    def of(
        cls, account: str, settings: Mapping[str, Any], credentials: Mapping[str, SecretStr]
    ) -> QueueSettings | None:
        """The account's queue, or None when it has no ``sqs_queue_url`` (polling only)."""
        url = settings.get("sqs_queue_url")
        if not url:
            return None
        region = settings.get("sqs_region") or _region_of(str(url))
        if not region:
            raise ConfigError(
                f"amazon account {account!r}: set 'sqs_region' (the queue URL names none)"
            )
        key, secret = credentials.get("aws_access_key_id"), credentials.get("aws_secret_access_key")
        if (key is None) != (secret is None):
            raise ConfigError(
                f"amazon account {account!r}: give both 'aws_access_key_id' and "
                "'aws_secret_access_key', or neither (boto3's own credentials)"
            )
        wait = int(settings.get("sqs_wait_seconds", DEFAULT_WAIT_SECONDS))
        return cls(
            url=str(url),
            region=str(region),
            endpoint_url=str(settings["sqs_endpoint_url"])
            if settings.get("sqs_endpoint_url")
            else None,
            access_key_id=key,
            secret_access_key=secret,
            wait_seconds=max(0, min(wait, MAX_WAIT_SECONDS)),
        )


def _region_of(url: str) -> str | None:
    """``https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`` names its region."""
    host = url.split("//", 1)[-1].split("/", 1)[0]
    parts = host.split(".")
    return parts[1] if len(parts) >= 4 and parts[0] == "sqs" else None


class NotificationQueue:
    """Receive, delete and describe one SQS queue (each boto3 call in a worker thread)."""

    def __init__(self, settings: QueueSettings, *, client: Any = None) -> None:
        self.settings = settings
        self._client = client

    def __repr__(self) -> str:
        return f"NotificationQueue({self.settings.url!r})"

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # imported when a queue is used: the CLI never pays for it

            options: dict[str, Any] = {"region_name": self.settings.region}
            if self.settings.endpoint_url:
                options["endpoint_url"] = self.settings.endpoint_url
            if self.settings.access_key_id and self.settings.secret_access_key:
                options["aws_access_key_id"] = self.settings.access_key_id.get_secret_value()
                options["aws_secret_access_key"] = (
                    self.settings.secret_access_key.get_secret_value()
                )
            self._client = boto3.client("sqs", **options)
        return self._client

    async def receive(self, wait_seconds: int | None = None) -> list[QueueMessage]:
        """Up to 10 messages; waits up to ``wait_seconds`` for the first (a long poll)."""
        wait = self.settings.wait_seconds if wait_seconds is None else wait_seconds
        answer = await asyncio.to_thread(
            self.client.receive_message,
            QueueUrl=self.settings.url,
            MaxNumberOfMessages=MAX_MESSAGES,
            WaitTimeSeconds=wait,
        )
        return [
            QueueMessage(m["MessageId"], m["ReceiptHandle"], m.get("Body", ""))
            for m in answer.get("Messages", [])
        ]

    async def delete(self, messages: Sequence[QueueMessage]) -> int:
        """Delete ``messages`` (after what they asked for is stored), 10 per call; returns
        how many SQS would not delete (they come back after the visibility timeout and are
        then deduped by their NotificationId)."""
        failed = 0
        for start in range(0, len(messages), MAX_MESSAGES):
            chunk = messages[start : start + MAX_MESSAGES]
            entries = [
                {"Id": str(n), "ReceiptHandle": m.receipt_handle} for n, m in enumerate(chunk)
            ]
            answer = await asyncio.to_thread(
                self.client.delete_message_batch, QueueUrl=self.settings.url, Entries=entries
            )
            failed += len(answer.get("Failed") or [])
        return failed

    async def arn(self) -> str:
        """The queue's ARN (what createDestination takes)."""
        answer = await asyncio.to_thread(
            self.client.get_queue_attributes,
            QueueUrl=self.settings.url,
            AttributeNames=["QueueArn"],
        )
        return str(answer["Attributes"]["QueueArn"])
