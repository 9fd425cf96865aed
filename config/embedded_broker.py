"""The broker of development without REDIS_URL: kombu's file-system transport, with each
message written whole before it appears in the queue's folder.

kombu's own transport creates the message's file and then writes into it; a worker
listing the folder in between takes the still empty file, fails to decode it and stops
("Unrecoverable error: JSONDecodeError"), which takes `dev.py run` down with it. Here
the message is written under a name the queue never reads (no dot) and renamed into
place, which is atomic. `_put` is the method kombu's virtual transports implement to
publish (kombu.transport.virtual.Channel)."""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        # kombu's name: the queue reads files in the order of this millisecond stamp.
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        partial = os.path.join(self.data_folder_out, f"writing-{uuid.uuid4().hex}")
        try:
            with open(partial, "wb") as message:
                message.write(str_to_bytes(dumps(payload)))
            os.replace(partial, os.path.join(self.data_folder_out, name))
        except OSError as error:
            raise ChannelError(f"Cannot add {name} to {self.data_folder_out}") from error


class Transport(filesystem.Transport):
    Channel = Channel
